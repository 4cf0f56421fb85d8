import { test, after } from "node:test";
import assert from "node:assert/strict";
import { HansomError } from "../../lib/errors.ts";
import { Socks5Handshake, socks5ReplyText } from "../../lib/proxy/socks5.ts";
import { openTunnel } from "../../lib/proxy/index.ts";
import type { ProxyRoute } from "../../lib/proxy/index.ts";
import { getAdapter } from "../../lib/runtime/index.ts";
import { getOver, serverTracker, startEchoServer, startSocks5, tlsFixtures } from "../helpers/proxies.ts";
import { rejection } from "../helpers/errors.ts";

const { track, closeAll } = serverTracker();
after(closeAll);

const bytes = (...b: number[]): Uint8Array => new Uint8Array(b);

/** Runs a handshake against scripted proxy replies, each fed in `split`-byte pieces; returns what was sent and the offset where it ended. */
function script(hs: Socks5Handshake, replies: Uint8Array[], split: number): { sent: number[][]; used?: number } {
  const sent: number[][] = [[...hs.first()]];
  for (let r = 0; r < replies.length; r++) {
    const reply = replies[r]!;
    for (let i = 0; i < reply.length; i += split) {
      const piece = reply.subarray(i, Math.min(reply.length, i + split));
      const out = hs.feed(piece);
      if (out.send) sent.push([...out.send]);
      if (out.used !== undefined) return { sent, used: i + out.used };
    }
  }
  return { sent };
}

test("socks5 - no auth: greeting, CONNECT with a host name as ATYP 3, reply of any address type", () => {
  for (const bnd of [
    [1, 1, 2, 3, 4],
    [4, ...new Array(16).fill(0)],
    [3, 3, 0x61, 0x62, 0x63],
  ]) {
    for (let split = 1; split <= 30; split++) {
      const reply = bytes(5, 0, 0, ...bnd, 0x1f, 0x90, 0x48, 0x49); // "HI" follows: tunnel data
      const { sent, used } = script(new Socks5Handshake("example.com", 443), [bytes(5, 0), reply], split);
      assert.deepEqual(sent, [
        [5, 1, 0],
        [5, 1, 0, 3, 11, ...new TextEncoder().encode("example.com"), 1, 187],
      ]);
      assert.equal(used, reply.length - 2, `split ${split}, atyp ${bnd[0]}`);
    }
  }
});

test("socks5 - IPv4 and IPv6 literals go as ATYP 1 and 4", () => {
  const v4 = new Socks5Handshake("10.1.2.3", 80);
  v4.first();
  assert.deepEqual([...v4.feed(bytes(5, 0)).send!], [5, 1, 0, 1, 10, 1, 2, 3, 0, 80]);
  const v6 = new Socks5Handshake("2001:db8::1", 8080);
  v6.first();
  assert.deepEqual(
    [...v6.feed(bytes(5, 0)).send!],
    [5, 1, 0, 4, 0x20, 1, 0x0d, 0xb8, ...new Array(11).fill(0), 1, 0x1f, 0x90],
  );
});

test("socks5 - username/password (RFC 1929) at every split", () => {
  for (let split = 1; split <= 12; split++) {
    const { sent, used } = script(
      new Socks5Handshake("h", 1, "üser", "pw"),
      [bytes(5, 2), bytes(1, 0), bytes(5, 0, 0, 1, 0, 0, 0, 0, 0, 0)],
      split,
    );
    assert.deepEqual(sent, [
      [5, 2, 0, 2],
      [1, 5, 0xc3, 0xbc, 0x73, 0x65, 0x72, 2, 0x70, 0x77],
      [5, 1, 0, 3, 1, 0x68, 0, 1],
    ]);
    assert.equal(used, 10);
  }
  // The proxy may decline to authenticate: no-auth is offered too.
  const { sent } = script(new Socks5Handshake("h", 1, "u", "p"), [bytes(5, 0)], 1);
  assert.equal(sent[1]![0], 5);
});

function failsWith(make: () => Socks5Handshake, replies: Uint8Array[], message: string | RegExp): void {
  for (let split = 1; split <= 3; split++) {
    assert.throws(
      () => script(make(), replies, split),
      (e: unknown) =>
        e instanceof HansomError &&
        e.code === "proxy_error" &&
        e.phase === "proxy" &&
        (typeof message === "string" ? e.message === message : message.test(e.message)),
      `${String(message)} (split ${split})`,
    );
  }
}

test("socks5 - failures: auth refused, no acceptable method, reply codes with their RFC 1928 meaning", () => {
  failsWith(
    () => new Socks5Handshake("h", 1, "u", "p"),
    [bytes(5, 2), bytes(1, 1)],
    "SOCKS5 authentication failed (status 1)",
  );
  failsWith(
    () => new Socks5Handshake("h", 1),
    [bytes(5, 0xff)],
    /^SOCKS5 authentication failed: the proxy accepts none of the offered methods \(no authentication\)$/,
  );
  failsWith(
    () => new Socks5Handshake("h", 1, "u", "p"),
    [bytes(5, 0xff)],
    /offered methods \(no authentication, username\/password\)/,
  );
  failsWith(() => new Socks5Handshake("h", 1), [bytes(5, 2)], /chose authentication method 2, which was not offered/);
  failsWith(() => new Socks5Handshake("h", 1), [bytes(4, 0)], /not a SOCKS5 server \(version byte 4\)/);
  failsWith(
    () => new Socks5Handshake("example", 443),
    [bytes(5, 0), bytes(5, 5)],
    "SOCKS5 proxy could not connect to example:443: connection refused (5)",
  );
  failsWith(() => new Socks5Handshake("h", 1), [bytes(5, 0), bytes(5, 0, 0, 9, 0)], /unknown address type 9/);
  assert.equal(socks5ReplyText(1), "general SOCKS server failure (1)");
  assert.equal(socks5ReplyText(2), "connection not allowed by ruleset (2)");
  assert.equal(socks5ReplyText(3), "network unreachable (3)");
  assert.equal(socks5ReplyText(4), "host unreachable (4)");
  assert.equal(socks5ReplyText(6), "TTL expired (6)");
  assert.equal(socks5ReplyText(7), "command not supported (7)");
  assert.equal(socks5ReplyText(8), "address type not supported (8)");
  assert.equal(socks5ReplyText(42), "unassigned reply code (42)");
});

const route = (p: { port: number }, user?: string, password?: string): ProxyRoute => ({
  kind: "socks5",
  host: "127.0.0.1",
  port: p.port,
  key: "spec",
  ...(user === undefined ? {} : { user, password }),
});

test("openTunnel SOCKS5 - the proxy resolves names (ATYP 3) and relays http", async () => {
  const origin = await track(startEchoServer());
  const s5 = await track(startSocks5());
  const sock = await openTunnel(
    await getAdapter(),
    route(s5),
    { host: "localhost", port: origin.port, secure: false },
    { timeout: 2000 },
  );
  assert.match(await getOver(sock, `localhost:${origin.port}`, "/s5"), /"url":"\/s5"/);
  assert.deepEqual(s5.requests, [{ atyp: 3, host: "localhost", port: origin.port }]);
  assert.deepEqual(s5.methods, [[0]]);
});

test("openTunnel SOCKS5 - username/password, then TLS to the target inside the tunnel", async () => {
  const origin = await track(startEchoServer(true));
  const s5 = await track(startSocks5({ auth: ["bob", "pa ss"] }));
  const sock = await openTunnel(
    await getAdapter(),
    route(s5, "bob", "pa ss"),
    { host: "127.0.0.1", port: origin.port, secure: true },
    {
      timeout: 2000,
      tls: { ca: tlsFixtures.ca },
    },
  );
  assert.match(await getOver(sock, "127.0.0.1"), /"secure":true/);
  assert.deepEqual(s5.requests, [{ atyp: 1, host: "127.0.0.1", port: origin.port }]);
  assert.deepEqual(s5.methods, [[0, 2]]);
});

test("openTunnel SOCKS5 - a wrong password is proxy_error 'SOCKS5 authentication failed'", async () => {
  const s5 = await track(startSocks5({ auth: ["bob", "right"] }));
  const e = await rejection(
    openTunnel(await getAdapter(), route(s5, "bob", "wrong"), { host: "h", port: 1, secure: false }, { timeout: 2000 }),
  );
  assert.equal(e.code, "proxy_error");
  assert.match(e.message, /^SOCKS5 authentication failed/);
  const none = await rejection(
    openTunnel(await getAdapter(), route(s5), { host: "h", port: 1, secure: false }, { timeout: 2000 }),
  );
  assert.match(none.message, /^SOCKS5 authentication failed: the proxy accepts none/);
});

test("openTunnel SOCKS5 - refusal codes become proxy_error with their meaning", async () => {
  for (const [code, text] of [
    [2, "connection not allowed by ruleset (2)"],
    [5, "connection refused (5)"],
    [4, "host unreachable (4)"],
  ] as const) {
    const s5 = await track(startSocks5({ reply: code }));
    const e = await rejection(
      openTunnel(await getAdapter(), route(s5), { host: "example.test", port: 80, secure: false }, { timeout: 2000 }),
    );
    assert.equal(e.code, "proxy_error");
    assert.equal(e.message, `SOCKS5 proxy could not connect to example.test:80: ${text}`);
  }
});

test("openTunnel SOCKS5 - bytes after the reply in the same read are kept", async () => {
  const origin = await track(startEchoServer());
  const s5 = await track(startSocks5({ early: "EARLY!" }));
  const sock = await openTunnel(
    await getAdapter(),
    route(s5),
    { host: "127.0.0.1", port: origin.port, secure: false },
    { timeout: 2000 },
  );
  assert.match(await getOver(sock, "127.0.0.1"), /^EARLY!HTTP\/1\.1 200 OK/);
});

test("openTunnel SOCKS5 - a silent server times out within connectTimeout; the signal aborts", async () => {
  const s5 = await track(startSocks5({ silent: true }));
  const t0 = Date.now();
  const e = await rejection(
    openTunnel(await getAdapter(), route(s5), { host: "h", port: 1, secure: false }, { timeout: 150 }),
  );
  const took = Date.now() - t0;
  assert.equal(e.code, "connect_timeout");
  assert.equal(e.phase, "proxy");
  assert.match(e.message, /SOCKS5 CONNECT to h:1/);
  assert.ok(took >= 140 && took < 1000, `took ${took} ms`);
  const ac = new AbortController();
  setTimeout(() => ac.abort(), 30);
  const a = await rejection(
    openTunnel(
      await getAdapter(),
      route(s5),
      { host: "h", port: 1, secure: false },
      { timeout: 5000, signal: ac.signal },
    ),
  );
  assert.equal(a.code, "aborted");
});
