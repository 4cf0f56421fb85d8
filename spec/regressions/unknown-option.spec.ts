// Regression: an option hansom does not know was ignored, so a typo (recvTimout) silently did
// nothing. Unknown options are invalid_option, naming the option and the closest known one.
import { test } from "node:test";
import assert from "node:assert/strict";
import { get, connect, Pool, type RequestOptions } from "../../lib/index.ts";
import { rejection } from "../helpers/errors.ts";
import { httpServer } from "../helpers/servers.ts";

test("options - an unknown option is invalid_option before any connection", async () => {
  const srv = await httpServer((_req, res) => res.end("x"));
  const pool = new Pool();
  try {
    const typo = { recvTimout: 10 } as unknown as RequestOptions;
    const err = await rejection(get(`${srv.url}/`, { pool, ...typo }));
    assert.equal(err.code, "invalid_option");
    assert.match(err.message, /recvTimout/);
    assert.match(err.message, /recvTimeout/);
    const streamed = await rejection(get(`${srv.url}/`, { pool, async: true, ...typo }));
    assert.equal(streamed.code, "invalid_option");
    const conn = await rejection(connect(srv.url, { ...typo }));
    assert.equal(conn.code, "invalid_option");
    assert.equal(srv.accepted, 0);
  } finally {
    await pool.close();
    await srv.close();
  }
});
