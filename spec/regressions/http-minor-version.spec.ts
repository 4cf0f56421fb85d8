// Regression: "HTTP/1.2 200 OK" was rejected; RFC 9110 §2.5 says a client treats a higher
// minor version as the highest it supports.
import { test } from "node:test";
import assert from "node:assert/strict";
import { get, Pool } from "../../lib/index.ts";
import { rawServer, readHead } from "../helpers/servers.ts";

test("HTTP/1.x - a higher minor version is read as HTTP/1.1 and kept alive", async () => {
  const srv = await rawServer(async (s) => {
    for (;;) {
      const { head } = await readHead(s).catch(() => ({ head: "" }));
      if (!head) return;
      s.write("HTTP/1.2 200 OK\r\nContent-Length: 2\r\n\r\nhi");
    }
  });
  const pool = new Pool();
  try {
    for (let i = 0; i < 3; i++) {
      const res = await get(`${srv.url}/`, { pool });
      assert.equal(res.status, 200);
      assert.equal(res.httpVersion, "1.1");
      assert.equal(await res.text(), "hi");
    }
    assert.equal(srv.accepted, 1);
  } finally {
    await pool.close();
    await srv.close();
  }
});
