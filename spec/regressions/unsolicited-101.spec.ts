// Regression: a 101 Switching Protocols to a request that asked for no upgrade gave a Response
// whose body read empty while the connection stayed checked out for good (inUse stuck at 1).
import { test } from "node:test";
import assert from "node:assert/strict";
import { get, Pool } from "../../lib/index.ts";
import { rejection } from "../helpers/errors.ts";
import { rawServer, readHead } from "../helpers/servers.ts";

test("unsolicited 101 - is bad_response, the socket is discarded and the pool stays usable", async () => {
  const srv = await rawServer(async (s) => {
    for (;;) {
      const { head } = await readHead(s).catch(() => ({ head: "" }));
      if (!head) return;
      if (/^upgrade:/im.test(head))
        s.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\nhello");
      else if (head.startsWith("GET /ok")) s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      else s.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\n\r\n");
    }
  });
  const pool = new Pool({ maxConnections: 1 });
  try {
    const err = await rejection(get(`${srv.url}/`, { pool, checkoutTimeout: 1000 }));
    assert.equal(err.code, "bad_response");
    assert.equal(pool.stats().inUse, 0);
    const ok = await get(`${srv.url}/ok`, { pool, checkoutTimeout: 1000 });
    assert.equal(await ok.text(), "ok");
    assert.equal(srv.accepted, 2, "the socket that sent the 101 was not reused");
    // A 101 the request asked for is still handed over with detach().
    const up = await get(`${srv.url}/up`, { pool, headers: { connection: "upgrade", upgrade: "echo" } });
    assert.equal(up.status, 101);
    const d = await up.detach();
    assert.equal(new TextDecoder().decode(d.buffer), "hello");
    await d.socket.close();
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
    await srv.close();
  }
});
