// Regression: when the signal aborted just as the connect succeeded, the connection changed its
// state before checking the signal and rejected without releasing: inUse stayed 1 for good and
// later requests ended in checkout_timeout.
import { test } from "node:test";
import assert from "node:assert/strict";
import { get, Pool } from "../../lib/index.ts";
import { rejection } from "../helpers/errors.ts";
import { httpServer } from "../helpers/servers.ts";

/** A pool that aborts the request's controller the moment it hands out a connection. */
class AbortingPool extends Pool {
  ctl: AbortController | null = null;
  override checkout(...args: Parameters<Pool["checkout"]>): ReturnType<Pool["checkout"]> {
    return super.checkout(...args).then((c) => {
      this.ctl?.abort();
      return c;
    });
  }
}

test("abort at checkout - a signal aborted as the connection arrives releases it", async () => {
  const srv = await httpServer((_req, res) => res.end("ok"));
  const pool = new AbortingPool({ maxConnections: 1 });
  try {
    for (let i = 0; i < 3; i++) {
      pool.ctl = new AbortController();
      const err = await rejection(get(`${srv.url}/`, { pool, signal: pool.ctl.signal, checkoutTimeout: 500 }));
      assert.equal(err.code, "aborted", err.message);
      assert.equal(pool.stats().inUse, 0, "the aborted request gave its connection back");
    }
    pool.ctl = null;
    const res = await get(`${srv.url}/`, { pool, checkoutTimeout: 500 });
    assert.equal(await res.text(), "ok");
  } finally {
    await pool.close();
    await srv.close();
  }
});
