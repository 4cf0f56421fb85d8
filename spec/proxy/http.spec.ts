import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { HansomError } from "../../lib/errors.ts";
import { ConnectHandshake, basicCredentials } from "../../lib/proxy/http.ts";
import { openTunnel } from "../../lib/proxy/index.ts";
import type { ProxyRoute } from "../../lib/proxy/index.ts";
import { getAdapter } from "../../lib/runtime/index.ts";
import { getOver, readAll, serverTracker, startEchoServer, startHttpProxy, tlsFixtures } from "../helpers/proxies.ts";
import { rejection } from "../helpers/errors.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const { track, closeAll } = serverTracker();
after(closeAll);

function feedAll(hs: ConnectHandshake, parts: Uint8Array[]): { used?: number; at: number } {
  for (let i = 0; i < parts.length; i++) {
    const r = hs.feed(parts[i]!);
    if (r.used !== undefined) return { used: r.used, at: i };
  }
  return { at: -1 };
}

test("CONNECT - request head: authority-form target, Host, Proxy-Authorization when given", () => {
  assert.equal(
    dec.decode(new ConnectHandshake("example.com", 443).first()),
    "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
  );
  assert.equal(
    dec.decode(new ConnectHandshake("::1", 8443, basicCredentials("u", "p")).first()),
    "CONNECT [::1]:8443 HTTP/1.1\r\nHost: [::1]:8443\r\nProxy-Authorization: Basic dTpw\r\n\r\n",
  );
});

test("CONNECT - the reply at every split point: the tunnel's bytes start right after the head", () => {
  const wire = enc.encode(
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 Connection established\r\nVia: 1.1 spec\r\nContent-Length: 9\r\n\r\nEARLY",
  );
  const early = wire.length - 5;
  for (let cut = 0; cut <= wire.length; cut++) {
    const { used, at } = feedAll(new ConnectHandshake("h", 1), [wire.subarray(0, cut), wire.subarray(cut)]);
    assert.notEqual(used, undefined, `cut ${cut}`);
    assert.equal((at === 0 ? 0 : cut) + used!, early, `cut ${cut}`);
  }
  const hs = new ConnectHandshake("h", 1);
  let total = 0;
  for (let i = 0; i < wire.length; i++) {
    const r = hs.feed(wire.subarray(i, i + 1));
    if (r.used !== undefined) {
      total = i + r.used;
      break;
    }
  }
  assert.equal(total, early, "byte by byte");
});

test("CONNECT - a non-2xx reply is proxy_error naming the status and reason", () => {
  const wire = enc.encode(
    'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="x"\r\nContent-Length: 3\r\n\r\nno!',
  );
  for (let cut = 0; cut <= wire.length; cut++) {
    const hs = new ConnectHandshake("example", 443);
    assert.throws(
      () => feedAll(hs, [wire.subarray(0, cut), wire.subarray(cut)]),
      (e: unknown) =>
        e instanceof HansomError &&
        e.code === "proxy_error" &&
        e.phase === "proxy" &&
        e.message === "Proxy refused CONNECT to example:443: 407 Proxy Authentication Required",
      `cut ${cut}`,
    );
  }
  assert.throws(
    () => new ConnectHandshake("h", 1).feed(enc.encode("HTTP/1.1 502\r\n\r\n")),
    /Proxy refused CONNECT to h:1: 502$/,
  );
  assert.throws(
    () => new ConnectHandshake("h", 1).feed(enc.encode("HTTP/1.1 101 Switching Protocols\r\n\r\n")),
    /101 Switching/,
  );
});

test("CONNECT - a reply that is not HTTP is proxy_error with the parser's reason", () => {
  assert.throws(
    () => new ConnectHandshake("h", 1).feed(enc.encode("SSH-2.0-OpenSSH\r\n\r\n")),
    (e: unknown) =>
      e instanceof HansomError &&
      e.code === "proxy_error" &&
      /invalid reply to CONNECT to h:1: Invalid response: bad status line/.test(e.message),
  );
});

const route = (p: { port: number }, user?: string, password?: string): ProxyRoute => ({
  kind: "tunnel",
  host: "127.0.0.1",
  port: p.port,
  key: "spec",
  ...(user === undefined ? {} : { user, password }),
});

test("openTunnel CONNECT - plain http through the tunnel", async () => {
  const origin = await track(startEchoServer());
  const proxy = await track(startHttpProxy());
  const sock = await openTunnel(
    await getAdapter(),
    route(proxy),
    { host: "127.0.0.1", port: origin.port, secure: false },
    { timeout: 2000 },
  );
  const text = await getOver(sock, `127.0.0.1:${origin.port}`, "/through");
  assert.match(text, /^HTTP\/1\.1 200 OK/);
  assert.match(text, /"url":"\/through"/);
  assert.deepEqual(proxy.connects, [`127.0.0.1:${origin.port}`]);
  assert.match(
    proxy.connectHeads[0]!,
    new RegExp(`^CONNECT 127\\.0\\.0\\.1:${origin.port} HTTP/1\\.1\\r\\nHost: 127\\.0\\.0\\.1:${origin.port}\\r\\n`),
  );
  assert.deepEqual(proxy.authorizations, [undefined]);
});

test("openTunnel CONNECT - credentials go in Proxy-Authorization; TLS to the target inside the tunnel", async () => {
  const origin = await track(startEchoServer(true));
  const proxy = await track(startHttpProxy({ auth: ["alice", "s3cr:et"] }));
  const sock = await openTunnel(
    await getAdapter(),
    route(proxy, "alice", "s3cr:et"),
    { host: "127.0.0.1", port: origin.port, secure: true },
    {
      timeout: 2000,
      tls: { ca: tlsFixtures.ca },
    },
  );
  assert.equal(sock.secure, true);
  const text = await getOver(sock, `127.0.0.1:${origin.port}`);
  assert.match(text, /"secure":true/);
  assert.deepEqual(proxy.authorizations, ["Basic " + btoa("alice:s3cr:et")]);
});

test("openTunnel CONNECT - wrong credentials: proxy_error with the proxy's 407", async () => {
  const proxy = await track(startHttpProxy({ auth: ["alice", "right"] }));
  const e = await rejection(
    openTunnel(
      await getAdapter(),
      route(proxy, "alice", "wrong"),
      { host: "example.test", port: 443, secure: true },
      { timeout: 2000 },
    ),
  );
  assert.equal(e.code, "proxy_error");
  assert.equal(e.phase, "proxy");
  assert.equal(e.message, "Proxy refused CONNECT to example.test:443: 407 Proxy Authentication Required");
});

test("openTunnel CONNECT - a refusal names the status the proxy answered", async () => {
  const proxy = await track(startHttpProxy({ refuse: { status: 403, reason: "Forbidden" } }));
  const e = await rejection(
    openTunnel(await getAdapter(), route(proxy), { host: "example.test", port: 25, secure: false }, { timeout: 2000 }),
  );
  assert.equal(e.code, "proxy_error");
  assert.equal(e.message, "Proxy refused CONNECT to example.test:25: 403 Forbidden");
});

test("openTunnel CONNECT - bytes in the same read as the reply reach the next handler first", async () => {
  const origin = await track(startEchoServer());
  const proxy = await track(startHttpProxy({ early: "EARLY!" }));
  const sock = await openTunnel(
    await getAdapter(),
    route(proxy),
    { host: "127.0.0.1", port: origin.port, secure: false },
    { timeout: 2000 },
  );
  const text = await getOver(sock, "127.0.0.1");
  assert.match(text, /^EARLY!HTTP\/1\.1 200 OK/);
});

test("openTunnel CONNECT - early bytes before TLS fail clearly", async () => {
  const origin = await track(startEchoServer(true));
  const proxy = await track(startHttpProxy({ early: "EARLY!" }));
  const e = await rejection(
    openTunnel(
      await getAdapter(),
      route(proxy),
      { host: "127.0.0.1", port: origin.port, secure: true },
      { timeout: 2000, tls: { ca: tlsFixtures.ca } },
    ),
  );
  assert.equal(e.code, "proxy_error");
  assert.match(e.message, /Proxy sent \d+ bytes through the tunnel before the TLS handshake began/);
});

test("openTunnel CONNECT - certificate checks apply to the target inside the tunnel", async () => {
  const origin = await track(startEchoServer(true));
  const proxy = await track(startHttpProxy());
  const adapter = await getAdapter();
  const target = { host: "127.0.0.1", port: origin.port, secure: true };
  const e = await rejection(openTunnel(adapter, route(proxy), target, { timeout: 2000 }));
  assert.equal(e.code, "tls_error");
  const ok = await openTunnel(adapter, route(proxy), target, { timeout: 2000, insecure: true });
  assert.match(await getOver(ok, "127.0.0.1"), /"secure":true/);
});

test("openTunnel CONNECT - a silent proxy: connect_timeout in the proxy phase, on time", async () => {
  const proxy = await track(startHttpProxy({ silent: true }));
  const t0 = Date.now();
  const e = await rejection(
    openTunnel(await getAdapter(), route(proxy), { host: "h", port: 1, secure: false }, { timeout: 150 }),
  );
  const took = Date.now() - t0;
  assert.equal(e.code, "connect_timeout");
  assert.equal(e.phase, "proxy");
  assert.match(e.message, /CONNECT to h:1.*connectTimeout/);
  assert.ok(took >= 140 && took < 1000, `took ${took} ms`);
});

test("openTunnel CONNECT - one deadline covers the handshake and TLS to the target", async () => {
  // The tunnelled target accepts TCP and never speaks TLS: the rest of the budget runs out there.
  const mute = net.createServer(() => {});
  const sockets = new Set<net.Socket>();
  mute.on("connection", (s) => sockets.add(s));
  await new Promise<void>((r) => mute.listen(0, "127.0.0.1", r));
  await track({
    port: 0,
    connections: 0,
    close: () =>
      new Promise((r) => {
        for (const s of sockets) s.destroy();
        mute.close(() => r());
      }),
  });
  const proxy = await track(startHttpProxy());
  const t0 = Date.now();
  const port = (mute.address() as net.AddressInfo).port;
  const e = await rejection(
    openTunnel(await getAdapter(), route(proxy), { host: "127.0.0.1", port, secure: true }, { timeout: 300 }),
  );
  const took = Date.now() - t0;
  assert.equal(e.code, "connect_timeout");
  assert.ok(took >= 280 && took < 1000, `took ${took} ms`);
});

test("openTunnel CONNECT - the signal aborts the handshake", async () => {
  const proxy = await track(startHttpProxy({ silent: true }));
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error("stop")), 50);
  const e = await rejection(
    openTunnel(
      await getAdapter(),
      route(proxy),
      { host: "h", port: 1, secure: false },
      { timeout: 5000, signal: ac.signal },
    ),
  );
  assert.equal(e.code, "aborted");
  const pre = await rejection(
    openTunnel(
      await getAdapter(),
      route(proxy),
      { host: "h", port: 1, secure: false },
      { timeout: 5000, signal: ac.signal },
    ),
  );
  assert.equal(pre.code, "aborted");
});

test("openTunnel CONNECT - a proxy that hangs up mid-handshake is proxy_error; an unreachable one keeps its connect error", async () => {
  const rude = net.createServer((s) => s.resume().end("HTTP/1.1 200 Conn")); // resume: read the FIN, so close() can finish
  await new Promise<void>((r) => rude.listen(0, "127.0.0.1", r));
  const port = (rude.address() as net.AddressInfo).port;
  const e = await rejection(
    openTunnel(await getAdapter(), route({ port }), { host: "h", port: 1, secure: false }, { timeout: 2000 }),
  );
  assert.equal(e.code, "proxy_error");
  assert.match(e.message, /Proxy closed the connection during the handshake \(CONNECT to h:1\)/);
  await new Promise<void>((r) => rude.close(() => r()));
  const gone = await rejection(
    openTunnel(await getAdapter(), route({ port }), { host: "h", port: 1, secure: false }, { timeout: 2000 }),
  );
  assert.equal(gone.code, "econnrefused");
});

test("openTunnel CONNECT - a tunnel the proxy closes right after its reply still reports EOF", async () => {
  const quick = net.createServer((s) => s.once("data", () => s.resume().end("HTTP/1.1 200 OK\r\n\r\n")));
  await new Promise<void>((r) => quick.listen(0, "127.0.0.1", r));
  const port = (quick.address() as net.AddressInfo).port;
  const sock = await openTunnel(
    await getAdapter(),
    route({ port }),
    { host: "h", port: 1, secure: false },
    { timeout: 2000 },
  );
  await new Promise((r) => setTimeout(r, 50)); // the EOF arrives before anyone listens
  assert.equal(await readAll(sock), "");
  sock.destroy();
  await new Promise<void>((r) => quick.close(() => r()));
});
