// Middleware: the pool's chain runs before the request's own, each may change the request,
// call next more than once, or answer itself; redirects happen inside next.
import { test } from "node:test";
import assert from "node:assert/strict";
import { get, Pool, type Middleware } from "../lib/index.ts";
import { httpServer } from "./helpers/servers.ts";

test("middleware - order, request changes, a retry by calling next twice, an answer without next", async () => {
  let hits = 0;
  const srv = await httpServer((req, res) => {
    hits++;
    if (req.url === "/redirect") {
      res.statusCode = 302;
      res.setHeader("location", "/final");
      res.end();
      return;
    }
    if (req.url === "/flaky" && hits % 2 === 1) {
      res.statusCode = 503;
      res.end("busy");
      return;
    }
    res.end(JSON.stringify({ url: req.url, tag: req.headers["x-tag"] ?? null }));
  });
  const order: string[] = [];
  const tag: Middleware = async (req, next) => {
    order.push("pool");
    req.headers.set("x-tag", "from-pool");
    return next(req);
  };
  const pool = new Pool({ middleware: [tag] });
  try {
    const own: Middleware = async (req, next) => {
      order.push(`own ${req.headers.get("x-tag")}`);
      return next({ ...req, url: req.url.replace("/old", "/new") });
    };
    const a = (await (await get(`${srv.url}/old`, { pool, middleware: [own] })).json()) as { url: string; tag: string };
    assert.deepEqual(a, { url: "/new", tag: "from-pool" });
    assert.deepEqual(order, ["pool", "own from-pool"]);
    const retry: Middleware = async (req, next) => {
      const first = await next(req);
      if (first.status !== 503) return first;
      await first.skip();
      return next(req);
    };
    hits = 0;
    const b = await get(`${srv.url}/flaky`, { pool, middleware: [retry] });
    assert.equal(b.status, 200);
    await b.skip();
    const calls: string[] = [];
    const seen: Middleware = async (req, next) => {
      calls.push(req.url);
      return next(req);
    };
    const c = await get(`${srv.url}/redirect`, { pool, middleware: [seen], followRedirect: true });
    assert.equal(c.url, `${srv.url}/final`);
    await c.skip();
    assert.equal(calls.length, 1, "middleware runs once per call; the redirect is followed inside next");
    const before = hits;
    const cached: Middleware = async (_req, _next) => await get(`${srv.url}/cached`, { pool: false });
    const d = await get(`${srv.url}/anything`, { pool, middleware: [cached] });
    assert.equal(((await d.json()) as { url: string }).url, "/cached");
    assert.equal(hits, before + 1);
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
    await srv.close();
  }
});
