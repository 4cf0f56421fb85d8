// hansom/testing: mockOrigin answers every request to an origin from code, through any pool,
// with no socket opened; redirects, json and the readers work on its answers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { get, post, Pool } from "../lib/index.ts";
import { mockOrigin } from "../lib/testing/index.ts";
import { rejection } from "./helpers/errors.ts";

test("mockOrigin - answers from the handler, records calls, follows redirects, and restores", async () => {
  const mock = mockOrigin("http://api.test", (req) => {
    const u = new URL(req.url);
    if (u.pathname === "/old") return { status: 301, headers: { location: "/new" } };
    if (u.pathname === "/json")
      return {
        status: 201,
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          got: req.body ? new TextDecoder().decode(req.body as Uint8Array) : null,
          auth: req.headers.get("authorization"),
        }),
      };
    return { body: `hello from ${u.pathname}` };
  });
  const pool = new Pool({ maxConnections: 1 });
  try {
    const a = await get("http://api.test/hi", { pool });
    assert.equal(a.status, 200);
    assert.equal(await a.text(), "hello from /hi");
    const b = await post("http://api.test/json", { pool: false, json: { x: 1 }, basicAuth: ["u", "p"] });
    assert.equal(b.status, 201);
    assert.deepEqual(await b.json(), { got: '{"x":1}', auth: "Basic dTpw" });
    const c = await get("http://api.test/old", { followRedirect: true });
    assert.equal(c.url, "http://api.test/new");
    assert.equal(c.redirects.length, 1);
    assert.equal(await c.text(), "hello from /new");
    const stream = await get("http://api.test/s", { async: true });
    const types: string[] = [];
    for await (const ev of stream) types.push(ev.type);
    assert.deepEqual(types, ["status", "headers", "data", "done"]);
    assert.equal(mock.calls.length, 5);
    assert.equal(mock.calls[1]!.method, "POST");
    assert.equal((await rejection((await get("http://api.test/d")).detach())).code, "invalid_option");
    assert.deepEqual(pool.stats(), { inUse: 0, free: 0, queued: 0, maxConnections: 1 });
  } finally {
    mock.restore();
    await pool.close();
  }
  const gone = await rejection(get("http://api.test/hi", { connectTimeout: 2000 }));
  assert.ok(
    ["nxdomain", "connect_timeout", "econnrefused"].includes(gone.code),
    `after restore the network is used: ${gone.code}`,
  );
});
