// json, query, baseUrl, throwHttpErrors and res.ok against a node:http echo server.
import { test } from "node:test";
import assert from "node:assert/strict";
import { get, post, request, HansomError, HansomResponse, Response, Pool } from "../lib/index.ts";
import { rejection } from "./helpers/errors.ts";
import { httpServer, readBody } from "./helpers/servers.ts";

async function echo() {
  return httpServer(async (req, res) => {
    const body = (await readBody(req)).toString("utf8");
    if (req.url!.startsWith("/status/")) res.statusCode = Number(req.url!.slice(8));
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ url: req.url, ct: req.headers["content-type"] ?? null, body }));
  });
}

test("conveniences - json sends the value with its Content-Type; with body too it is invalid_option", async () => {
  const srv = await echo();
  const pool = new Pool();
  try {
    const r = (await (await post(`${srv.url}/x`, { pool, json: { a: [1, "two"], b: null } })).json()) as {
      ct: string;
      body: string;
    };
    assert.equal(r.ct, "application/json");
    assert.deepEqual(JSON.parse(r.body), { a: [1, "two"], b: null });
    const own = (await (
      await post(`${srv.url}/x`, { pool, json: 5, headers: { "content-type": "application/vnd.x+json" } })
    ).json()) as { ct: string; body: string };
    assert.deepEqual([own.ct, own.body], ["application/vnd.x+json", "5"]);
    assert.equal((await rejection(post(`${srv.url}/x`, { pool, json: {}, body: "x" }))).code, "invalid_option");
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    assert.equal((await rejection(post(`${srv.url}/x`, { pool, json: cyclic }))).code, "invalid_option");
    assert.equal(srv.accepted, 1, "the bad inputs opened no connection");
  } finally {
    await pool.close();
    await srv.close();
  }
});

test("conveniences - query is appended in order; baseUrl resolves relative urls as new URL does", async () => {
  const srv = await echo();
  const pool = new Pool();
  try {
    const a = (await (await get(`${srv.url}/p?x=1#frag`, { pool, query: { q: "a b", n: 2, t: true } })).json()) as {
      url: string;
    };
    assert.equal(a.url, "/p?x=1&q=a+b&n=2&t=true");
    const b = (await (
      await get(`${srv.url}/p`, {
        pool,
        query: [
          ["k", "1"],
          ["k", "2"],
        ],
      })
    ).json()) as { url: string };
    assert.equal(b.url, "/p?k=1&k=2");
    const c = (await (await get(`${srv.url}/p`, { pool, query: new URLSearchParams({ z: "é" }) })).json()) as {
      url: string;
    };
    assert.equal(c.url, "/p?z=%C3%A9");
    const d = (await (await get("v1/users", { pool, baseUrl: `${srv.url}/api/` })).json()) as { url: string };
    assert.equal(d.url, "/api/v1/users");
    const e = (await (await get("/root", { pool, baseUrl: `${srv.url}/api/` })).json()) as { url: string };
    assert.equal(e.url, "/root");
    const f = (await (await get(`${srv.url}/abs`, { pool, baseUrl: "http://elsewhere.invalid/" })).json()) as {
      url: string;
    };
    assert.equal(f.url, "/abs", "an absolute url ignores baseUrl");
  } finally {
    await pool.close();
    await srv.close();
  }
});

test("conveniences - throwHttpErrors rejects a status >= 400 with http_error and the unread Response; res.ok", async () => {
  const srv = await echo();
  const pool = new Pool();
  try {
    const ok = await get(`${srv.url}/status/204`, { pool, throwHttpErrors: true });
    assert.equal(ok.ok, true);
    const err = await rejection(get(`${srv.url}/status/404`, { pool, throwHttpErrors: true }));
    assert.equal(err.code, "http_error");
    assert.match(err.message, /404/);
    assert.ok(err.response instanceof HansomResponse);
    assert.equal(HansomResponse, Response);
    assert.equal(err.response!.status, 404);
    assert.equal(err.response!.ok, false);
    assert.match(await err.response!.text(), /status\/404/);
    const plain = await request("GET", `${srv.url}/status/500`, { pool });
    assert.equal(plain.ok, false);
    await plain.skip();
    assert.equal(pool.stats().inUse, 0);
    assert.ok(err instanceof HansomError);
  } finally {
    await pool.close();
    await srv.close();
  }
});
