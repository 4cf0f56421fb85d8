import { test } from "node:test";
import assert from "node:assert/strict";
import { HansomError } from "../../lib/errors.ts";
import { parseUrl } from "../../lib/url.ts";
import { proxyAuthorization, resolveProxy } from "../../lib/proxy/index.ts";
import type { ProxyOption, ProxyRoute } from "../../lib/proxy/index.ts";
import type { SocketAdapter } from "../../lib/runtime/socket.ts";

function adapterWith(env: Record<string, string> = {}): SocketAdapter {
  return {
    runtime: "node",
    connect: () => Promise.reject(new Error("no connections in this spec")),
    openFile: () => Promise.reject(new Error("no files in this spec")),
    env: (name) => env[name],
    decoders: () => Promise.resolve({}),
  };
}
const HTTP = parseUrl("http://example.com/x");
const HTTPS = parseUrl("https://example.com/x");

function route(opt: ProxyOption | undefined, target = HTTP, env: Record<string, string> = {}): ProxyRoute | null {
  return resolveProxy(opt, target, adapterWith(env));
}

function rejects(
  opt: unknown,
  code: "invalid_option" | "invalid_url",
  label = String(JSON.stringify(opt)),
): HansomError {
  let caught: unknown;
  try {
    resolveProxy(opt as ProxyOption, HTTP, adapterWith());
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof HansomError, `${label}: expected a HansomError, got ${String(caught)}`);
  assert.equal(caught.code, code, label);
  assert.equal(caught.phase, "input", label);
  return caught;
}

test("resolveProxy - no option, no proxy", () => {
  assert.equal(route(undefined), null);
});

test("resolveProxy - an http:// proxy forwards http targets and tunnels https ones", () => {
  const r = route("http://proxy.local:3128")!;
  assert.equal(r.kind, "http");
  assert.equal(r.host, "proxy.local");
  assert.equal(r.port, 3128);
  assert.equal(r.user, undefined);
  assert.equal(route("http://proxy.local:3128", HTTPS)!.kind, "tunnel");
  assert.equal(route({ host: "proxy.local", port: 3128 }, HTTP)!.kind, "http");
  assert.equal(route({ host: "proxy.local", port: 3128 }, HTTPS)!.kind, "tunnel");
});

test("resolveProxy - credentials in the URL are percent-decoded", () => {
  const r = route("http://us%40er:p%3Ass%20w%C3%B6rd@proxy.local:3128")!;
  assert.equal(r.user, "us@er");
  assert.equal(r.password, "p:ss wörd");
  const r2 = route("http://alice:@[::1]:8080", HTTPS)!;
  assert.equal(r2.host, "::1");
  assert.equal(r2.user, "alice");
  assert.equal(r2.password, "");
});

test("resolveProxy - default ports: 80 for http, 1080 for SOCKS5; scheme-less means http", () => {
  assert.equal(route("http://proxy.local")!.port, 80);
  assert.equal(route("socks5://proxy.local")!.port, 1080);
  assert.equal(route("socks5h://u:p@proxy.local/")!.port, 1080);
  const bare = route("proxy.local:8080")!;
  assert.deepEqual([bare.kind, bare.host, bare.port], ["http", "proxy.local", 8080]);
});

test("resolveProxy - { connect } always tunnels, { socks5 } is socks5", () => {
  assert.equal(route({ connect: { host: "p", port: 1 } }, HTTP)!.kind, "tunnel");
  assert.equal(route({ connect: { host: "p", port: 1, auth: ["u", "pw"] } }, HTTPS)!.user, "u");
  const s = route({ socks5: { host: "P.Local", port: 1080, username: "u", password: "pw" } })!;
  assert.deepEqual([s.kind, s.host, s.port, s.user, s.password], ["socks5", "p.local", 1080, "u", "pw"]);
  const url = route("socks5://u:pw@127.0.0.1:1081", HTTPS)!;
  assert.deepEqual([url.kind, url.host, url.port, url.user, url.password], ["socks5", "127.0.0.1", 1081, "u", "pw"]);
  assert.equal(route({ socks5: { host: "[::1]", port: 1080 } })!.host, "::1");
});

test("resolveProxy - invalid options fail before any byte", () => {
  rejects(42, "invalid_option");
  rejects(["http://p:1"], "invalid_option");
  rejects({}, "invalid_option");
  rejects({ host: "p" }, "invalid_option");
  rejects({ host: "p", port: 0 }, "invalid_option");
  rejects({ host: "p", port: 65536 }, "invalid_option");
  rejects({ host: "p", port: "3128" }, "invalid_option");
  rejects({ host: "", port: 1 }, "invalid_option");
  rejects({ host: "a b", port: 1 }, "invalid_option");
  rejects({ host: "u@p", port: 1 }, "invalid_option");
  rejects({ host: "::zz", port: 1 }, "invalid_option");
  rejects({ host: "p", port: 1, auth: "u:p" }, "invalid_option");
  rejects({ host: "p", port: 1, auth: ["u"] }, "invalid_option");
  rejects({ host: "p", port: 1, auth: ["a:b", "c"] }, "invalid_option", "a colon in a Basic user name");
  rejects({ connect: "p:1" }, "invalid_option");
  rejects({ connect: { host: "p", port: 1 }, socks5: { host: "p", port: 1 } }, "invalid_option");
  rejects({ socks5: { host: "p", port: 1, password: "x" } }, "invalid_option");
  rejects({ socks5: { host: "p", port: 1, username: 7 } }, "invalid_option");
  rejects({ socks5: { host: "p", port: 1, username: "" } }, "invalid_option");
  rejects({ socks5: { host: "p", port: 1, username: "u".repeat(256) } }, "invalid_option");
  rejects({ socks5: { host: "p", port: 1, username: "u", password: "é".repeat(128) } }, "invalid_option");
});

test("resolveProxy - a bad proxy URL is invalid_url, and the message never shows it", () => {
  rejects("ftp://p:1", "invalid_url");
  rejects("socks4://p:1", "invalid_url");
  rejects("http://p:99999", "invalid_url");
  rejects("http://", "invalid_url");
  const e = rejects("http://user:s3cret@p:x", "invalid_url");
  assert.ok(!e.message.includes("s3cret"), e.message);
  rejects("http://a:b@p:1/".replace("a:b", "a%3Ab:c"), "invalid_option", "a colon in a decoded Basic user name");
});

test("resolveProxy - route keys tell kind, proxy and user apart, and never hold the password", () => {
  const a = route("http://u:secret-one@p:1", HTTPS)!;
  const b = route("http://u:secret-two@p:1", HTTPS)!;
  const c = route("http://v:secret-one@p:1", HTTPS)!;
  const keys = [
    a.key,
    b.key,
    c.key,
    route("http://p:1", HTTPS)!.key,
    route("http://p:1", HTTP)!.key,
    route("http://p:2", HTTPS)!.key,
    route("http://q:1", HTTPS)!.key,
    route("socks5://p:1")!.key,
  ];
  assert.equal(new Set(keys).size, keys.length, keys.join(" "));
  for (const k of keys) assert.ok(!k.includes("secret"), k);
  assert.equal(route("http://u:secret-one@p:1", HTTPS)!.key, a.key, "stable");
  assert.equal(
    route({ connect: { host: "p", port: 1, auth: ["u", "secret-one"] } }, HTTPS)!.key,
    a.key,
    "same route, same key",
  );
  assert.match(a.key, /^tunnel:\/\/u:[0-9a-z]+@p:1$/);
});

test("proxyAuthorization - Basic over UTF-8, only for http routes with credentials", () => {
  assert.equal(proxyAuthorization(route("http://Aladdin:open%20sesame@p:1")!), "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
  assert.equal(
    proxyAuthorization(route({ host: "p", port: 1, auth: ["jörg", "pässwörd"] })!),
    "Basic " + btoa("j\u00c3\u00b6rg:p\u00c3\u00a4ssw\u00c3\u00b6rd"),
  );
  assert.equal(proxyAuthorization(route("http://p:1")!), undefined);
  assert.equal(proxyAuthorization(route("http://u:p@p:1", HTTPS)!), undefined, "tunnels authenticate in the CONNECT");
  assert.equal(proxyAuthorization(route("socks5://u:p@p:1")!), undefined);
});

test("resolveProxy - env: the variable for the target's scheme, NO_PROXY honoured", () => {
  const env = {
    http_proxy: "http://hp:3128",
    HTTPS_PROXY: "socks5h://u:pw@sp:1080",
    NO_PROXY: "internal.example,10.0.0.0/8",
  };
  assert.deepEqual([route("env", HTTP, env)!.kind, route("env", HTTP, env)!.host], ["http", "hp"]);
  const s = route("env", HTTPS, env)!;
  assert.deepEqual([s.kind, s.host, s.port, s.user], ["socks5", "sp", 1080, "u"]);
  assert.equal(route("env", parseUrl("http://api.internal.example/"), env), null);
  assert.equal(route("env", parseUrl("https://10.2.3.4/"), env), null);
  assert.equal(route("env", HTTP, {}), null);
  assert.equal(route("env", HTTPS, { https_proxy: "hp:3128" })!.kind, "tunnel");
});

test("resolveProxy - env: a bad proxy URL names the variable, not the value", () => {
  let caught: unknown;
  try {
    route("env", HTTPS, { https_proxy: "gopher://u:hunter2@p:1" });
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof HansomError);
  assert.equal(caught.code, "invalid_url");
  assert.match(caught.message, /https_proxy/);
  assert.ok(!caught.message.includes("hunter2"));
});
