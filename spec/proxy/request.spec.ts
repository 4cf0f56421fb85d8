// request() through each kind of proxy, end to end, against the spec proxies and origins.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { Pool, request } from "../../lib/index.ts";
import type { RequestOptions } from "../../lib/index.ts";
import { serverTracker, startEchoServer, startHttpProxy, startSocks5, tlsFixtures } from "../helpers/proxies.ts";
import type { EchoServer } from "../helpers/proxies.ts";
import { rejection } from "../helpers/errors.ts";

const { track, closeAll } = serverTracker();
const pool = new Pool();
after(async () => {
  await pool.close();
  await closeAll();
});
const origins = Promise.all([track(startEchoServer()), track(startEchoServer(true))]);
const tls = { ca: tlsFixtures.ca };

type Echo = { method: string; url: string; headers: Record<string, string>; secure: boolean };
async function echo(origin: EchoServer, path: string, opts: RequestOptions): Promise<Echo> {
  const res = await request("GET", origin.origin + path, { pool, tls, ...opts });
  assert.equal(res.status, 200, `${origin.origin}${path}`);
  return (await res.json()) as Echo;
}

test("request via HTTP proxy - http target: absolute-form with Proxy-Authorization from the URL", async () => {
  const [plain] = await origins;
  const proxy = await track(startHttpProxy({ auth: ["al ice", "p@ss"] }));
  const got = await echo(plain, "/abs?q=1", { proxy: proxy.url.replace("//", "//al%20ice:p%40ss@") });
  assert.equal(got.url, "/abs?q=1");
  assert.deepEqual(proxy.requests, [`${plain.origin}/abs?q=1`]);
  assert.deepEqual(proxy.authorizations, ["Basic " + btoa("al ice:p@ss")]);
  assert.deepEqual(proxy.connects, []);
});

test("request via HTTP proxy - { host, port, auth } form", async () => {
  const [plain] = await origins;
  const proxy = await track(startHttpProxy({ auth: ["u", "pw"] }));
  await echo(plain, "/obj", { proxy: { host: "127.0.0.1", port: proxy.port, auth: ["u", "pw"] } });
  assert.deepEqual(proxy.requests, [`${plain.origin}/obj`]);
});

test("request via HTTP proxy - a 407 to a plain proxied request is an ordinary Response", async () => {
  const [plain] = await origins;
  const proxy = await track(startHttpProxy({ auth: ["u", "pw"] }));
  const res = await request("GET", `${plain.origin}/x`, { pool, proxy: `http://u:nope@127.0.0.1:${proxy.port}` });
  assert.equal(res.status, 407);
  assert.equal(res.headers.get("proxy-authenticate"), 'Basic realm="spec"');
  assert.equal(await res.text(), "deny");
});

test("request via HTTP proxy - https target goes through CONNECT, TLS inside, credentials stay with the proxy", async () => {
  const [, secure] = await origins;
  const proxy = await track(startHttpProxy({ auth: ["u", "pw"] }));
  const got = await echo(secure, "/tls", { proxy: `http://u:pw@127.0.0.1:${proxy.port}` });
  assert.equal(got.secure, true);
  assert.equal(got.url, "/tls", "origin-form inside the tunnel");
  assert.equal(got.headers["proxy-authorization"], undefined);
  assert.deepEqual(proxy.connects, [`127.0.0.1:${secure.port}`]);
  assert.deepEqual(proxy.requests, []);
});

test("request via HTTP proxy - a refused CONNECT is proxy_error", async () => {
  const [, secure] = await origins;
  const proxy = await track(startHttpProxy({ auth: ["u", "pw"] }));
  const e = await rejection(
    request("GET", `${secure.origin}/`, { pool, tls, proxy: `http://u:bad@127.0.0.1:${proxy.port}` }),
  );
  assert.equal(e.code, "proxy_error");
  assert.match(
    e.message,
    new RegExp(`^Proxy refused CONNECT to 127\\.0\\.0\\.1:${secure.port}: 407 Proxy Authentication Required`),
  );
});

test("request via { connect } - an http target is tunnelled too", async () => {
  const [plain] = await origins;
  const proxy = await track(startHttpProxy());
  const got = await echo(plain, "/tun", { proxy: { connect: { host: "127.0.0.1", port: proxy.port } } });
  assert.equal(got.url, "/tun");
  assert.deepEqual(proxy.connects, [`127.0.0.1:${plain.port}`]);
  assert.deepEqual(proxy.requests, []);
});

test("request via SOCKS5 - http and https targets, with and without credentials", async () => {
  const [plain, secure] = await origins;
  const open = await track(startSocks5());
  assert.equal((await echo(plain, "/s", { proxy: open.url })).url, "/s");
  const authed = await track(startSocks5({ auth: ["sam", "pw"] }));
  const got = await echo(secure, "/s2", {
    proxy: { socks5: { host: "127.0.0.1", port: authed.port, username: "sam", password: "pw" } },
  });
  assert.equal(got.secure, true);
  assert.deepEqual(
    authed.requests.map((r) => r.atyp),
    [1],
  );
  const e = await rejection(
    request("GET", `${plain.origin}/`, { pool, proxy: `socks5://sam:wrong@127.0.0.1:${authed.port}` }),
  );
  assert.equal(e.code, "proxy_error");
  assert.match(e.message, /^SOCKS5 authentication failed/);
});

test("request via proxies - tunnelled connections are reused per proxy, never shared across proxies", async () => {
  const [, secure] = await origins;
  const a = await track(startHttpProxy());
  const b = await track(startHttpProxy());
  const s5 = await track(startSocks5());
  const before = secure.connections;
  for (let i = 0; i < 3; i++) await echo(secure, `/a${i}`, { proxy: a.url });
  assert.equal(a.connects.length, 1, "one tunnel through proxy a, reused");
  assert.equal(a.connections, 1);
  await echo(secure, "/b", { proxy: b.url });
  await echo(secure, "/b2", { proxy: b.url });
  assert.equal(b.connects.length, 1, "proxy b got its own tunnel");
  await echo(secure, "/s", { proxy: s5.url });
  await echo(secure, "/direct", {});
  assert.equal(s5.requests.length, 1);
  assert.equal(secure.connections - before, 4, "a, b, socks5 and direct: four connections to the origin");
  await echo(secure, "/a-again", { proxy: a.url });
  assert.equal(a.connects.length, 1);
});

test("request via proxies - different credentials for the same proxy do not share a tunnel", async () => {
  const [, secure] = await origins;
  const proxy = await track(startHttpProxy());
  await echo(secure, "/1", { proxy: `http://one:pw@127.0.0.1:${proxy.port}` });
  await echo(secure, "/2", { proxy: `http://two:pw@127.0.0.1:${proxy.port}` });
  await echo(secure, "/3", { proxy: `http://one:pw@127.0.0.1:${proxy.port}` });
  assert.equal(proxy.connects.length, 2);
});

test('request via proxy: "env" - http_proxy / https_proxy and no_proxy from the environment', async () => {
  const [plain, secure] = await origins;
  const proxy = await track(startHttpProxy());
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
    process.env["http_proxy"] = `127.0.0.1:${proxy.port}`;
    process.env["HTTPS_PROXY"] = proxy.url;
    await echo(plain, "/env", { proxy: "env" });
    await echo(secure, "/env-tls", { proxy: "env" });
    assert.deepEqual(proxy.requests, [`${plain.origin}/env`]);
    assert.deepEqual(proxy.connects, [`127.0.0.1:${secure.port}`]);
    process.env["no_proxy"] = "localhost, 127.0.0.0/8";
    await echo(plain, "/bypass", { proxy: "env" });
    assert.equal(proxy.requests.length, 1, "no_proxy: straight to the origin");
  } finally {
    for (const [n, v] of saved) {
      if (v === undefined) delete process.env[n];
      else process.env[n] = v;
    }
  }
});

test("request via proxies - a bad proxy option rejects before any connection", async () => {
  const [plain] = await origins;
  const proxy = await track(startHttpProxy());
  const before = proxy.connections;
  assert.equal(
    (await rejection(request("GET", plain.origin, { pool, proxy: { host: "127.0.0.1", port: -1 } }))).code,
    "invalid_option",
  );
  assert.equal(
    (await rejection(request("GET", plain.origin, { pool, proxy: "ftp://127.0.0.1:1" }))).code,
    "invalid_url",
  );
  assert.equal(proxy.connections, before);
});

test("request via proxies - connectTimeout bounds a silent proxy", async () => {
  const [, secure] = await origins;
  const silent = await track(startHttpProxy({ silent: true }));
  const t0 = Date.now();
  const e = await rejection(request("GET", secure.origin, { pool, tls, proxy: silent.url, connectTimeout: 200 }));
  assert.equal(e.code, "connect_timeout");
  assert.ok(Date.now() - t0 < 2000);
});
