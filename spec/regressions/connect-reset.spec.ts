// Regression: on Bun, a server that reset the connection right after accepting it made the
// request hang for ever: the adapter cleared the connect deadline, then threw reading the
// address of the dead socket inside Bun's callback, so the promise was never settled.
import { test } from "node:test";
import assert from "node:assert/strict";
import { get, Pool } from "../../lib/index.ts";
import { rejection } from "../helpers/errors.ts";
import { resetOnAcceptServer } from "../helpers/reset-server.ts";

test("connect reset - a reset right after accept rejects with a HansomError, in bounded time", async () => {
  const srv = await resetOnAcceptServer();
  const pool = new Pool();
  try {
    for (let i = 0; i < 20; i++) {
      const started = Date.now();
      const err = await rejection(
        get(`${srv.url}/`, { pool, connectTimeout: 3000, recvTimeout: 3000 }).then((r) => r.bytes()),
      );
      assert.ok(["econnreset", "closed"].includes(err.code), `${err.code}: ${err.message}`);
      assert.ok(Date.now() - started < 2500, `settled after ${Date.now() - started} ms`);
    }
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
    await srv.close();
  }
});
