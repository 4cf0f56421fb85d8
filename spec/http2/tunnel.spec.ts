// HTTP/2 inside tunnels: h2 chosen by ALPN over TLS negotiated inside a CONNECT tunnel (an
// http:// proxy URL for an https target, and `{ connect }`) and inside a SOCKS5 tunnel, and h2c
// with prior knowledge through SOCKS5.
import { after, before, test } from "node:test";
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type * as net from "node:net";
import { get, post, Pool } from "../../lib/index.ts";
import { startHttpProxy, startSocks5 } from "../helpers/proxies.ts";
import { tlsFixture } from "../helpers/servers.ts";
import { bodyOf, probe, serve, sha } from "./h2-server.ts";
import type { Served } from "./h2-server.ts";

let skip: string | null = null;
let plain: Served;
let secure: { port: number; sessions: number; close(): Promise<void> };

/** A TLS node:http2 server answering "<method> <path> over <version>"; /echo gives the body's sha256. */
function secureServer(): Promise<typeof secure> {
  const server = http2.createSecureServer({ cert: tlsFixture.cert, key: tlsFixture.key, allowHTTP1: true });
  const s = { port: 0, sessions: 0, close: () => Promise.resolve() };
  const live = new Set<http2.ServerHttp2Session>();
  const sockets = new Set<net.Socket>();
  server.on("session", (sess) => {
    s.sessions++;
    live.add(sess);
    sess.on("close", () => live.delete(sess));
    sess.on("error", () => {});
  });
  server.on("secureConnection", (sock: net.Socket) => {
    sockets.add(sock);
    sock.on("close", () => sockets.delete(sock));
  });
  server.on("request", (req, res) => {
    const chunks: Uint8Array[] = [];
    req.on("data", (c: Uint8Array) => chunks.push(c));
    req.on("end", () => {
      const n = chunks.reduce((a, c) => a + c.length, 0);
      const all = new Uint8Array(n);
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      res.end(req.url === "/echo" ? `${n} ${sha(all)}` : `${req.method} ${req.url} over ${req.httpVersion}`);
    });
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

const h2tls = {
  tls: { ca: tlsFixture.ca },
  protocols: ["h2", "http/1.1"] as Array<"h2" | "http/1.1">,
  recvTimeout: 10_000,
};

test("http2 tunnel - h2 by ALPN inside a CONNECT tunnel (http:// proxy URL, https target), multiplexed", async (t) => {
  if (skipped(t)) return;
  const proxy = await startHttpProxy();
  const pool = new Pool();
  const u = `https://127.0.0.1:${secure.port}`;
  try {
    const res = await get(`${u}/one`, { ...h2tls, pool, proxy: proxy.url });
    assert.equal(res.httpVersion, "2");
    assert.equal(await res.text(), "GET /one over 2.0");
    const many = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        get(`${u}/m${i}`, { ...h2tls, pool, proxy: proxy.url }).then((r) => r.text()),
      ),
    );
    assert.deepEqual(
      many,
      Array.from({ length: 20 }, (_, i) => `GET /m${i} over 2.0`),
    );
    const body = bodyOf(1 << 20);
    const echo = await post(`${u}/echo`, { ...h2tls, pool, proxy: proxy.url, body });
    assert.equal(await echo.text(), `${1 << 20} ${sha(body)}`);
    assert.deepEqual(proxy.connects, [`127.0.0.1:${secure.port}`], "one tunnel carries every request");
    assert.equal(proxy.requests.length, 0, "nothing forwarded in absolute form");
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
    await proxy.close();
  }
});

test("http2 tunnel - h2 by ALPN inside an explicit { connect } tunnel", async (t) => {
  if (skipped(t)) return;
  const proxy = await startHttpProxy();
  const pool = new Pool();
  try {
    const res = await get(`https://127.0.0.1:${secure.port}/c`, {
      ...h2tls,
      pool,
      proxy: { connect: { host: "127.0.0.1", port: proxy.port } },
    });
    assert.equal(res.httpVersion, "2");
    assert.equal(await res.text(), "GET /c over 2.0");
    assert.equal(proxy.connects.length, 1);
  } finally {
    await pool.close();
    await proxy.close();
  }
});

test("http2 tunnel - h2 by ALPN inside a SOCKS5 tunnel", async (t) => {
  if (skipped(t)) return;
  const socks = await startSocks5();
  const pool = new Pool();
  const u = `https://127.0.0.1:${secure.port}`;
  const proxy = { socks5: { host: "127.0.0.1", port: socks.port } };
  try {
    const res = await get(`${u}/s`, { ...h2tls, pool, proxy });
    assert.equal(res.httpVersion, "2");
    assert.equal(await res.text(), "GET /s over 2.0");
    const many = await Promise.all(
      Array.from({ length: 10 }, (_, i) => get(`${u}/s${i}`, { ...h2tls, pool, proxy }).then((r) => r.text())),
    );
    assert.deepEqual(
      many,
      Array.from({ length: 10 }, (_, i) => `GET /s${i} over 2.0`),
    );
    assert.equal(socks.requests.length, 1, "one SOCKS5 tunnel carries every request");
    assert.deepEqual(
      { host: socks.requests[0]!.host, port: socks.requests[0]!.port },
      { host: "127.0.0.1", port: secure.port },
    );
  } finally {
    await pool.close();
    await socks.close();
  }
});

test("http2 tunnel - h2c with prior knowledge through SOCKS5", async (t) => {
  if (skipped(t)) return;
  const socks = await startSocks5();
  const pool = new Pool();
  const proxy = { socks5: { host: "127.0.0.1", port: socks.port } };
  const u = `http://127.0.0.1:${plain.port}`;
  try {
    const res = await get(`${u}/get?n=70000`, { pool, proxy, http2PriorKnowledge: true, recvTimeout: 10_000 });
    assert.equal(res.httpVersion, "2");
    assert.deepEqual(await res.bytes(), bodyOf(70000));
    const many = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        get(`${u}/get?n=${i + 1}`, { pool, proxy, http2PriorKnowledge: true }).then((r) => r.bytes()),
      ),
    );
    assert.ok(many.every((b, i) => sha(b) === sha(bodyOf(i + 1))));
    assert.equal(socks.requests.length, 1);
    assert.equal(plain.sessions.size, 1);
  } finally {
    await pool.close();
    await socks.close();
  }
});
