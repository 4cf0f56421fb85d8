// Regression: after "1;ext=" a server could send megabytes of chunk-extension bytes; the client
// read them all and ended in recv_timeout instead of failing fast (cf. CVE-2024-22019).
import { test } from "node:test";
import assert from "node:assert/strict";
import { get, Pool } from "../../lib/index.ts";
import { rejection } from "../helpers/errors.ts";
import { rawServer, readHead } from "../helpers/servers.ts";

test("chunk extensions - an endless chunk-size line is bad_response at once", async () => {
  const srv = await rawServer(async (s) => {
    await readHead(s).catch(() => {});
    s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;ext=");
    const junk = new Uint8Array(64 * 1024).fill(97);
    const t = setInterval(() => (s.destroyed ? clearInterval(t) : s.write(junk)), 5);
    s.once("close", () => clearInterval(t));
  });
  const pool = new Pool();
  try {
    const started = Date.now();
    const res = await get(`${srv.url}/`, { pool, recvTimeout: 5000 });
    const err = await rejection(res.bytes());
    assert.equal(err.code, "bad_response", err.message);
    assert.match(err.message, /chunk size line/);
    assert.ok(Date.now() - started < 2000, `took ${Date.now() - started} ms`);
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
    await srv.close();
  }
});
