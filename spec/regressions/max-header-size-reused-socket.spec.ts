// Regression: maxHeaderSize was given to a connection when it was dialled and was not part of
// the pool key, so a request with a small limit on a reused socket accepted a head that a
// fresh socket refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { get, Pool } from "../../lib/index.ts";
import { rejection } from "../helpers/errors.ts";
import { httpServer } from "../helpers/servers.ts";

test("maxHeaderSize - holds on a reused socket as on a fresh one", async () => {
  const srv = await httpServer((_req, res) => {
    res.setHeader("x-long", "a".repeat(500));
    res.end("ok");
  });
  const pool = new Pool();
  try {
    assert.equal(await (await get(`${srv.url}/`, { pool })).text(), "ok");
    const err = await rejection(get(`${srv.url}/`, { pool, maxHeaderSize: 100 }));
    assert.equal(err.code, "bad_response");
    assert.match(err.message, /maxHeaderSize/);
    const fresh = await rejection(get(`${srv.url}/`, { pool: false, maxHeaderSize: 100 }));
    assert.equal(fresh.code, "bad_response");
    assert.equal(await (await get(`${srv.url}/`, { pool })).text(), "ok");
  } finally {
    await pool.close();
    await srv.close();
  }
});
