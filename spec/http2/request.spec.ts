// HTTP/2 through the public API: h2c with prior knowledge and h2 chosen by ALPN over TLS, many
// requests multiplexed on one pooled connection, the same Response and readers as HTTP/1.1,
// stream resets as stream_reset, and detach() refused.
import { after, before, test } from "node:test";
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type * as net from "node:net";
import { get, post, request, Pool } from "../../lib/index.ts";
import { rejection } from "../helpers/errors.ts";
import { tlsFixture } from "../helpers/servers.ts";
import { bodyOf, probe, serve, sha } from "./h2-server.ts";
import type { Served } from "./h2-server.ts";

let skip: string | null = null;
let plain: Served;
let secure: { port: number; sessions: number; h1: number; close(): Promise<void> } | null = null;

/** A TLS server speaking h2 (and HTTP/1.1 to clients that do not offer h2). */
function secureServer(): Promise<NonNullable<typeof secure>> {
  const server = http2.createSecureServer({ cert: tlsFixture.cert, key: tlsFixture.key, allowHTTP1: true });
  const s = { port: 0, sessions: 0, h1: 0, close: () => Promise.resolve() };
  const live = new Set<http2.ServerHttp2Session>();
  server.on("session", (sess) => {
    s.sessions++;
    live.add(sess);
    sess.on("close", () => live.delete(sess));
    sess.on("error", () => {});
  });
  const sockets = new Set<net.Socket>();
  server.on("secureConnection", (sock: net.Socket) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
  });
  server.on("request", (req, res) => {
    if (req.httpVersion !== "2.0") s.h1++;
    res.setHeader("x-version", req.httpVersion);
    res.end(`hello over ${req.httpVersion}`);
  });
  return new Promise((resolve) => {
    server.listen(0, "127.0.0.1", () => {
      s.port = (server.address() as net.AddressInfo).port;
      s.close = () =>
        new Promise<void>((done) => {
          for (const x of live) x.destroy();
          for (const x of sockets) x.destroy();
          server.close(() => done());
        });
      resolve(s);
    });
  });
}

before(async () => {
  skip = await probe();
  if (skip !== null) return;
  plain = await serve();
  secure = await secureServer();
});
after(async () => {
  await plain?.close();
  await secure?.close();
});

function skipped(t: TestContext): boolean {
  if (skip === null) return false;
  t.skip(skip);
  return true;
}

test("http2 request - h2c with prior knowledge: the same Response, httpVersion 2, lower-case headers", async (t) => {
  if (skipped(t)) return;
  const pool = new Pool();
  try {
    const res = await get(`http://127.0.0.1:${plain.port}/get?n=1000`, { pool, http2PriorKnowledge: true });
    assert.equal(res.status, 200);
    assert.equal(res.httpVersion, "2");
    assert.equal(res.info().httpVersion, "2");
    assert.equal(res.headers.get("x-n"), "1000");
    assert.ok(res.rawHeaders.every(([k]) => k === k.toLowerCase() && !k.startsWith(":")));
    assert.deepEqual(await res.bytes(), bodyOf(1000));
    let n = 0;
    for await (const c of await get(`http://127.0.0.1:${plain.port}/get?n=300000`, { pool, http2PriorKnowledge: true }))
      n += c.byteLength;
    assert.equal(n, 300000);
    const echo = await post(`http://127.0.0.1:${plain.port}/echo`, {
      pool,
      http2PriorKnowledge: true,
      body: bodyOf(4 << 20),
    });
    assert.equal(await echo.text(), `${4 << 20} ${sha(bodyOf(4 << 20))}`);
    const events: string[] = [];
    for await (const ev of await get(`http://127.0.0.1:${plain.port}/get?n=10`, {
      pool,
      http2PriorKnowledge: true,
      async: true,
    }))
      events.push(ev.type);
    assert.deepEqual([events[0], events[1], events.at(-1)], ["status", "headers", "done"]);
    const big = await get(`http://127.0.0.1:${plain.port}/get?n=100000`, {
      pool,
      http2PriorKnowledge: true,
      maxBody: 1000,
    });
    assert.equal((await rejection(big.bytes())).code, "body_too_large");
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
  }
});

test("http2 request - 1,000 concurrent requests share one connection, every body checked", async (t) => {
  if (skipped(t)) return;
  const pool = new Pool({ maxConnections: 1 });
  try {
    const sizes = Array.from({ length: 1000 }, (_, i) => 1 + ((i * 7919) % 20000));
    const results = await Promise.all(
      sizes.map(async (n) => {
        const res = await get(`http://127.0.0.1:${plain.port}/get?n=${n}`, {
          pool,
          http2PriorKnowledge: true,
          checkoutTimeout: 20_000,
        });
        return sha(await res.bytes()) === sha(bodyOf(n));
      }),
    );
    assert.equal(results.filter(Boolean).length, 1000);
    assert.ok(plain.sessions.size <= 1, `${plain.sessions.size} sessions`);
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
  }
});

test("http2 request - a reset stream is stream_reset; detach() is invalid_option; the connection goes on", async (t) => {
  if (skipped(t)) return;
  const pool = new Pool();
  const u = `http://127.0.0.1:${plain.port}`;
  try {
    const err = await rejection(get(`${u}/reset`, { pool, http2PriorKnowledge: true }).then((r) => r.bytes()));
    // Bun's node:http2 server answers close() with an empty DATA frame instead of RST_STREAM.
    assert.ok(
      err.code === "stream_reset" || (process.versions.bun !== undefined && err.code === "bad_response"),
      `${err.code}: ${err.message}`,
    );
    const res = await get(`${u}/get?n=5`, { pool, http2PriorKnowledge: true });
    assert.equal((await rejection(res.detach())).code, "invalid_option");
    const again = await get(`${u}/get?n=5`, { pool, http2PriorKnowledge: true });
    assert.deepEqual(await again.bytes(), bodyOf(5));
  } finally {
    await pool.close();
  }
});

test("http2 request - over TLS, ALPN picks h2 when offered, HTTP/1.1 otherwise", async (t) => {
  if (skipped(t) || !secure) return;
  const pool = new Pool();
  const u = `https://127.0.0.1:${secure.port}/`;
  try {
    const h2 = await get(u, { pool, tls: { ca: tlsFixture.ca }, protocols: ["h2", "http/1.1"] });
    assert.equal(h2.httpVersion, "2");
    assert.equal(await h2.text(), "hello over 2.0");
    const h1 = await request("GET", u, { pool, tls: { ca: tlsFixture.ca } });
    assert.equal(h1.httpVersion, "1.1");
    assert.equal(await h1.text(), "hello over 1.1");
    assert.equal(secure.h1, 1);
    const many = await Promise.all(
      Array.from({ length: 50 }, () =>
        get(u, { pool, tls: { ca: tlsFixture.ca }, protocols: ["h2", "http/1.1"] }).then((r) => r.text()),
      ),
    );
    assert.ok(many.every((b) => b === "hello over 2.0"));
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
  }
});

test("http2 request - a burst on an empty pool waits for the one connection being dialled", async (t) => {
  if (skipped(t)) return;
  const fresh = await serve();
  let sessions = 0;
  const pool = new Pool();
  try {
    const before = fresh.sessions.size;
    const bodies = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        get(`http://127.0.0.1:${fresh.port}/get?n=${100 + i}`, { pool, http2PriorKnowledge: true }).then((r) =>
          r.bytes(),
        ),
      ),
    );
    sessions = fresh.sessions.size - before;
    assert.ok(bodies.every((b, i) => b.byteLength === 100 + i));
    assert.equal(sessions, 1, `${sessions} connections for 20 requests`);
  } finally {
    await pool.close();
    await fresh.close();
  }
});
