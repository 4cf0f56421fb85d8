// request() through an https:// proxy: TLS to the proxy first (proxyTls), then absolute-form
// requests for http targets and CONNECT with TLS inside TLS for https ones.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { Pool, connect, request } from "../../lib/index.ts";
import type { RequestOptions } from "../../lib/index.ts";
import { serverTracker, startEchoServer, tlsFixtures } from "../helpers/proxies.ts";
import type { EchoServer } from "../helpers/proxies.ts";
import { clientFixture, startHttpsProxy } from "../helpers/https-proxy.ts";
import { rejection } from "../helpers/errors.ts";
import { parseUrl } from "../../lib/url.ts";
import { resolveProxy } from "../../lib/proxy/index.ts";
import type { ProxyTlsOptions } from "../../lib/proxy/index.ts";
import type { SocketAdapter } from "../../lib/runtime/socket.ts";

const { track, closeAll } = serverTracker();
const pool = new Pool();
after(async () => {
  await pool.close();
  await closeAll();
});
const origins = Promise.all([track(startEchoServer()), track(startEchoServer(true))]);
/** The origin's TLS settings: its certificate is from the test CA too. */
const tls = { ca: tlsFixtures.ca };
const proxyTls = { ca: tlsFixtures.ca };

type Echo = { method: string; url: string; headers: Record<string, string>; secure: boolean };
async function echo(origin: EchoServer, path: string, opts: RequestOptions): Promise<Echo> {
  const res = await request("GET", origin.origin + path, { pool, tls, ...opts });
  assert.equal(res.status, 200, `${origin.origin}${path}`);
  return (await res.json()) as Echo;
}

const noNet: SocketAdapter = {
  runtime: "node",
  connect: () => Promise.reject(new Error("no connections here")),
  openFile: () => Promise.reject(new Error("no files here")),
  env: () => undefined,
  decoders: () => Promise.resolve({}),
};

test("https proxy - resolveProxy: https:// means TLS to the proxy, port 443 by default, proxyTls in the key", () => {
  const HTTP = parseUrl("http://example.com/");
  const HTTPS = parseUrl("https://example.com/");
  const route = (url: string, target = HTTP, t?: ProxyTlsOptions) => resolveProxy(url, target, noNet, t)!;
  const r = route("https://u:secret@Proxy.Local");
  assert.deepEqual([r.kind, r.host, r.port, r.user, r.password], ["http", "proxy.local", 443, "u", "secret"]);
  assert.deepEqual(r.tls, { tls: {}, insecure: false }, "system CAs, verification on");
  assert.equal(route("https://p:8443", HTTPS).kind, "tunnel");
  assert.equal(route("HTTPS://p:8443").port, 8443);
  assert.equal(route("http://p:8443").tls, undefined, "no TLS to an http:// proxy");
  const ca = tlsFixtures.ca;
  assert.deepEqual(route("https://p:1", HTTP, { ca, servername: "x", insecure: true }).tls, {
    tls: { ca, servername: "x" },
    insecure: true,
  });
  const keys = [
    route("http://p:1").key,
    route("https://p:1").key,
    route("https://p:1", HTTPS).key,
    route("https://p:1", HTTP, { ca }).key,
    route("https://p:1", HTTP, { ca, servername: "x" }).key,
    route("https://p:1", HTTP, { insecure: true }).key,
    route("https://p:1", HTTP, { cert: clientFixture.cert, key: clientFixture.key }).key,
  ];
  assert.equal(new Set(keys).size, keys.length, keys.join(" "));
  for (const k of keys) assert.ok(!k.includes("secret"), k);
  assert.equal(
    route("https://p:1", HTTP, { ca }).key,
    route("https://p:1", HTTP, { ca: String(ca) }).key,
    "equal settings, equal key",
  );
  assert.equal(
    route("http://p:1", HTTP, { ca }).key,
    route("http://p:1").key,
    "proxyTls does not shape an http:// proxy's connection",
  );
});

test("https proxy - http target: absolute-form over TLS to the proxy", async () => {
  const [plain] = await origins;
  const proxy = await track(startHttpsProxy());
  const got = await echo(plain, "/abs?q=1", { proxy: proxy.url, proxyTls });
  assert.equal(got.url, "/abs?q=1");
  assert.equal(got.secure, false);
  assert.deepEqual(proxy.requests, [`${plain.origin}/abs?q=1`]);
  assert.deepEqual(proxy.connects, []);
  assert.equal(proxy.tlsConnections, 1);
});

test("https proxy - https target: CONNECT over TLS, then TLS with the origin inside it", async () => {
  const [, secure] = await origins;
  const proxy = await track(startHttpsProxy());
  const got = await echo(secure, "/inner", { proxy: proxy.url, proxyTls });
  assert.equal(got.secure, true);
  assert.equal(got.url, "/inner", "origin-form inside the tunnel");
  assert.deepEqual(proxy.connects, [`127.0.0.1:${secure.port}`]);
  assert.deepEqual(proxy.requests, []);
  assert.equal(proxy.tlsConnections, 1);
  // The tunnel is pooled and reused: a second request opens nothing new.
  const again = await echo(secure, "/inner2", { proxy: proxy.url, proxyTls });
  assert.equal(again.url, "/inner2");
  assert.equal(proxy.connections, 1);
  assert.equal(proxy.connects.length, 1);
});

test("https proxy - a POST body goes through the tunnel intact", async () => {
  const [, secure] = await origins;
  const proxy = await track(startHttpsProxy());
  const body = "x".repeat(200_000);
  const res = await request("POST", `${secure.origin}/post`, { pool, tls, proxy: proxy.url, proxyTls, body });
  const got = (await res.json()) as Echo & { body: string };
  assert.equal(got.body.length, body.length);
  assert.equal(got.body, body);
});

test("https proxy - credentials in the URL are sent as Proxy-Authorization; without them 407", async () => {
  const [plain, secure] = await origins;
  const proxy = await track(startHttpsProxy({ auth: ["al ice", "p@ss"] }));
  const withCreds = proxy.url.replace("//", "//al%20ice:p%40ss@");
  const expected = "Basic " + btoa("al ice:p@ss");
  await echo(plain, "/plain", { proxy: withCreds, proxyTls });
  const got = await echo(secure, "/tls", { proxy: withCreds, proxyTls });
  assert.deepEqual(proxy.authorizations, [expected, expected], "absolute-form request, then CONNECT");
  assert.equal(got.headers["proxy-authorization"], undefined, "never sent to the origin through the tunnel");

  const res = await request("GET", `${plain.origin}/x`, { pool, proxy: proxy.url, proxyTls });
  assert.equal(res.status, 407, "a 407 to a plain proxied request is an ordinary Response");
  assert.equal(await res.text(), "deny");
  const e = await rejection(request("GET", `${secure.origin}/x`, { pool, tls, proxy: proxy.url, proxyTls }));
  assert.equal(e.code, "proxy_error");
  assert.match(e.message, /407 Proxy Authentication Required/);
});

test("https proxy - the proxy's certificate is verified: without proxyTls.ca it is tls_error", async () => {
  const [plain, secure] = await origins;
  const proxy = await track(startHttpsProxy());
  for (const [origin, opts] of [
    [plain, {}],
    [secure, {}],
    // The origin's tls and insecure do not apply to the proxy.
    [secure, { tls: { ca: tlsFixtures.ca } }],
    [plain, { insecure: true }],
  ] as const) {
    const e = await rejection(request("GET", `${origin.origin}/`, { pool, ...opts, proxy: proxy.url }));
    assert.equal(e.code, "tls_error", e.message);
    assert.match(
      e.message,
      new RegExp(`^TLS with the HTTPS proxy 127\\.0\\.0\\.1:${proxy.port} failed .*proxyTls\\.ca`),
    );
  }
  assert.deepEqual(proxy.requests, []);
  assert.deepEqual(proxy.connects, []);
  // A name the certificate does not carry fails too.
  const e = await rejection(
    request("GET", `${plain.origin}/`, {
      pool,
      proxy: proxy.url,
      proxyTls: { ...proxyTls, servername: "not-the-proxy.example" },
    }),
  );
  assert.equal(e.code, "tls_error", e.message);
});

test("https proxy - proxyTls.insecure skips verifying the proxy, not the origin", async () => {
  const [plain, secure] = await origins;
  const proxy = await track(startHttpsProxy());
  assert.equal((await echo(plain, "/p", { proxy: proxy.url, proxyTls: { insecure: true } })).url, "/p");
  assert.equal((await echo(secure, "/s", { proxy: proxy.url, proxyTls: { insecure: true } })).secure, true);
  // The origin's certificate is still checked: without tls.ca it fails inside the tunnel.
  const e = await rejection(
    request("GET", `${secure.origin}/`, { pool, proxy: proxy.url, proxyTls: { insecure: true } }),
  );
  assert.equal(e.code, "tls_error", e.message);
  assert.match(e.message, /^TLS handshake with 127\.0\.0\.1 failed/);
});

test("https proxy - proxyTls.servername is the SNI sent to the proxy; a client certificate is presented", async () => {
  const [plain, secure] = await origins;
  const proxy = await track(startHttpsProxy({ requestCert: true }));
  await echo(plain, "/sni", { proxy: proxy.url, proxyTls: { ...proxyTls, servername: "localhost" } });
  await echo(secure, "/cert", { proxy: proxy.url, proxyTls: { ...proxyTls, ...clientFixture } });
  // (Without servername, Node and Deno send no SNI for an IP literal; Bun's own TLS sends the IP.)
  assert.equal(proxy.servernames[0], "localhost");
  assert.notEqual(proxy.servernames[1], "localhost");
  assert.deepEqual(proxy.clientVerified, [false, true]);
});

test('https proxy - proxy: "env" takes an https:// HTTPS_PROXY and HTTP_PROXY', async () => {
  const [plain, secure] = await origins;
  const proxy = await track(startHttpsProxy());
  const names = [
    "http_proxy",
    "HTTP_PROXY",
    "https_proxy",
    "HTTPS_PROXY",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
    "REQUEST_METHOD",
  ];
  const saved = names.map((n) => [n, process.env[n]] as const);
  try {
    for (const n of names) delete process.env[n];
    process.env["HTTPS_PROXY"] = proxy.url;
    process.env["HTTP_PROXY"] = proxy.url.replace("https://", "HTTPS://");
    assert.equal((await echo(secure, "/env-tls", { proxy: "env", proxyTls })).secure, true);
    await echo(plain, "/env", { proxy: "env", proxyTls });
    assert.deepEqual(proxy.connects, [`127.0.0.1:${secure.port}`]);
    assert.deepEqual(proxy.requests, [`${plain.origin}/env`]);
    const e = await rejection(request("GET", `${secure.origin}/`, { pool, tls, proxy: "env" }));
    assert.equal(e.code, "tls_error", "proxyTls applies to a proxy from the environment too");
  } finally {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  }
});

test("https proxy - connections with different proxyTls settings are never shared", async () => {
  const [plain, secure] = await origins;
  for (const origin of [plain, secure]) {
    const proxy = await track(startHttpsProxy());
    const caOnly = { ca: tlsFixtures.ca };
    await echo(origin, "/a", { proxy: proxy.url, proxyTls: caOnly });
    await echo(origin, "/a2", { proxy: proxy.url, proxyTls: { ca: tlsFixtures.ca } });
    assert.equal(proxy.connections, 1, `${origin.origin}: equal settings share the pooled connection`);
    await echo(origin, "/b", { proxy: proxy.url, proxyTls: { ca: tlsFixtures.ca, servername: "localhost" } });
    assert.equal(proxy.connections, 2, `${origin.origin}: another servername, another connection`);
    await echo(origin, "/c", { proxy: proxy.url, proxyTls: { insecure: true } });
    assert.equal(proxy.connections, 3, `${origin.origin}: insecure, another connection`);
    await echo(origin, "/a3", { proxy: proxy.url, proxyTls: caOnly });
    assert.equal(proxy.connections, 3, `${origin.origin}: back to the first settings, its connection again`);
  }
});

test("https proxy - connect() keeps a TLS-in-TLS connection for its requests", async () => {
  const [, secure] = await origins;
  const proxy = await track(startHttpsProxy());
  const conn = await connect(secure.origin, { tls, proxy: proxy.url, proxyTls });
  try {
    for (const path of ["/c1", "/c2"]) {
      const res = await conn.request("GET", path);
      assert.equal(((await res.json()) as Echo).url, path);
    }
    assert.equal(proxy.connections, 1);
  } finally {
    await conn.close();
  }
});

test("https proxy - connectTimeout bounds a proxy that never answers the TLS handshake", async () => {
  const [plain, secure] = await origins;
  const held = new Set<net.Socket>();
  const silent = net.createServer((s) => {
    held.add(s);
    s.on("error", () => {});
  });
  await new Promise<void>((r) => silent.listen(0, "127.0.0.1", () => r()));
  const port = (silent.address() as net.AddressInfo).port;
  try {
    for (const origin of [plain, secure]) {
      const started = Date.now();
      const e = await rejection(
        request("GET", `${origin.origin}/`, {
          pool,
          tls,
          proxy: `https://127.0.0.1:${port}`,
          proxyTls,
          connectTimeout: 300,
        }),
      );
      assert.equal(e.code, "connect_timeout", e.message);
      assert.ok(Date.now() - started < 5000, "bounded by connectTimeout");
    }
  } finally {
    for (const s of held) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
  }
});

test("https proxy - a bad proxyTls option is invalid_option before any connection", async () => {
  const [plain] = await origins;
  const proxy = await track(startHttpsProxy());
  for (const bad of [
    "x",
    null,
    [],
    { caa: "x" },
    { ca: 5 },
    { ca: ["ok", 5] },
    { cert: {} },
    { servername: 1 },
    { insecure: "yes" },
    { minVersion: "TLSv1.3" },
  ]) {
    const e = await rejection(
      request("GET", `${plain.origin}/`, { pool, proxy: proxy.url, proxyTls: bad as RequestOptions["proxyTls"] }),
    );
    assert.equal(e.code, "invalid_option", JSON.stringify(bad));
    assert.equal(e.phase, "input");
  }
  assert.equal(proxy.connections, 0);
});
