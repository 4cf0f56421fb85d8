// The retry option end to end: statuses and network failures retried with backoff, Retry-After
// honoured (seconds and dates, capped by maxDelay), only idempotent methods and replayable bodies
// unless widened, attempts in info(), and the signal cutting a wait short.
import { test } from "node:test";
import assert from "node:assert/strict";
import { get, post, request, Pool } from "../lib/index.ts";
import { rejection } from "./helpers/errors.ts";
import { httpServer, rawServer, readHead } from "./helpers/servers.ts";

/** A server answering each path with the statuses listed in the query, in turn, then 200. */
async function flaky() {
  const hits = new Map<string, number>();
  const srv = await httpServer((req, res) => {
    const u = new URL(req.url!, "http://x");
    const n = hits.get(u.pathname) ?? 0;
    hits.set(u.pathname, n + 1);
    const plan = (u.searchParams.get("s") ?? "").split(",").filter(Boolean).map(Number);
    const after = u.searchParams.get("after");
    req.resume();
    if (n < plan.length) {
      if (after) res.setHeader("retry-after", after);
      res.statusCode = plan[n]!;
      res.end("not yet");
      return;
    }
    res.end(`ok after ${n}`);
  });
  return { srv, hits };
}

test("retry - retryable statuses are retried with backoff; attempts is counted", async () => {
  const { srv, hits } = await flaky();
  const pool = new Pool();
  try {
    const res = await get(`${srv.url}/a?s=503,502`, { pool, retry: { limit: 2, backoff: () => 10 } });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "ok after 2");
    assert.equal(res.info().attempts, 3);
    const out = await get(`${srv.url}/b?s=500,500,500`, { pool, retry: { limit: 1, backoff: () => 5 } });
    assert.equal(out.status, 500, "past the limit the last answer is returned");
    assert.equal(out.info().attempts, 2);
    await out.skip();
    const none = await get(`${srv.url}/c?s=404`, { pool, retry: 3 });
    assert.equal(none.status, 404, "404 is not retried");
    assert.equal(none.info().attempts, 1);
    await none.skip();
    const plain = await get(`${srv.url}/d?s=503`, { pool });
    assert.equal(plain.status, 503, "no retry option: no retries");
    await plain.skip();
    assert.equal(hits.get("/d"), 1);
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
    await srv.close();
  }
});

test("retry - Retry-After in seconds is honoured; beyond maxDelay there is no retry", async () => {
  const { srv } = await flaky();
  const pool = new Pool();
  try {
    const t0 = Date.now();
    const res = await get(`${srv.url}/a?s=429&after=1`, { pool, retry: { limit: 1, backoff: () => 0 } });
    assert.equal(res.status, 200);
    assert.ok(Date.now() - t0 >= 900, `waited ${Date.now() - t0} ms for Retry-After: 1`);
    await res.skip();
    const date = new Date(Date.now() + 60_000).toUTCString();
    const capped = await get(`${srv.url}/b?s=503&after=${encodeURIComponent(date)}`, {
      pool,
      retry: { limit: 2, maxDelay: 1000 },
    });
    assert.equal(capped.status, 503, "a Retry-After past maxDelay ends the retries");
    await capped.skip();
  } finally {
    await pool.close();
    await srv.close();
  }
});

test("retry - POST is not retried unless its method is listed; a one-shot body never is", async () => {
  const { srv, hits } = await flaky();
  const pool = new Pool();
  try {
    const p = await post(`${srv.url}/p?s=503`, { pool, body: "x", retry: { limit: 2, backoff: () => 1 } });
    assert.equal(p.status, 503);
    await p.skip();
    const q = await post(`${srv.url}/q?s=503`, {
      pool,
      body: "x",
      retry: { limit: 2, methods: ["POST"], backoff: () => 1 },
    });
    assert.equal(q.status, 200);
    await q.skip();
    async function* once() {
      yield new TextEncoder().encode("one shot");
    }
    const r = await request("PUT", `${srv.url}/r?s=503`, { pool, body: once(), retry: { limit: 2, backoff: () => 1 } });
    assert.equal(r.status, 503, "an async-iterable body cannot be sent again");
    await r.skip();
    assert.deepEqual([hits.get("/p"), hits.get("/q"), hits.get("/r")], [1, 2, 1]);
  } finally {
    await pool.close();
    await srv.close();
  }
});

test("retry - a network failure is retried; the signal aborts a wait at once", async () => {
  let n = 0;
  const srv = await rawServer(async (s) => {
    const { head } = await readHead(s).catch(() => ({ head: "" }));
    if (!head) return;
    if (n++ === 0) s.destroy();
    else s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  });
  const pool = new Pool();
  try {
    const res = await get(`${srv.url}/`, { pool, retry: { limit: 1, backoff: () => 10 } });
    assert.equal(await res.text(), "ok");
    assert.equal(res.info().attempts, 2);
    const { srv: slow } = await flaky();
    try {
      const ctl = new AbortController();
      const t0 = Date.now();
      setTimeout(() => ctl.abort(), 100);
      const err = await rejection(
        get(`${slow.url}/x?s=503,503`, { pool, signal: ctl.signal, retry: { limit: 2, backoff: () => 20_000 } }),
      );
      assert.equal(err.code, "aborted");
      assert.ok(Date.now() - t0 < 2000, "the wait ended with the signal");
    } finally {
      await slow.close();
    }
    await assert.rejects(
      get(`${srv.url}/`, { pool, retry: { limt: 1 } as never }),
      (e: unknown) => (e as { code?: string }).code === "invalid_option",
    );
  } finally {
    await pool.close();
    await srv.close();
  }
});
