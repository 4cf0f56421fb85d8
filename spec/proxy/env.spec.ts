import { test } from "node:test";
import assert from "node:assert/strict";
import { envProxyUrl, noProxyMatches } from "../../lib/proxy/env.ts";
import { parseIPv4, parseIPv6, parseIp, samePrefix } from "../../lib/proxy/ip.ts";

const hex = (b: Uint8Array | null): string | null =>
  b ? [...b].map((x) => x.toString(16).padStart(2, "0")).join("") : null;

test("ip - IPv4 literals: dotted quads only, no leading zeros, no short forms", () => {
  assert.deepEqual([...parseIPv4("10.0.0.255")!], [10, 0, 0, 255]);
  for (const bad of ["10.0.0", "10.0.0.256", "010.0.0.1", "1.2.3.4.5", "a.b.c.d", "", "1..2.3", "127.1"]) {
    assert.equal(parseIPv4(bad), null, bad);
  }
});

test("ip - IPv6 literals: compression, embedded IPv4, zone ids", () => {
  assert.equal(hex(parseIPv6("::")), "00".repeat(16));
  assert.equal(hex(parseIPv6("::1")), "00".repeat(15) + "01");
  assert.equal(hex(parseIPv6("1::")), "0001" + "00".repeat(14));
  assert.equal(hex(parseIPv6("2001:db8::8:800:200c:417a")), "20010db8000000000008080020" + "0c417a");
  assert.equal(hex(parseIPv6("1:2:3:4:5:6:7:8")), "00010002000300040005000600070008");
  assert.equal(hex(parseIPv6("::ffff:10.1.2.3")), "00000000000000000000ffff0a010203");
  assert.equal(hex(parseIPv6("fe80::1%eth0")), "fe80" + "00".repeat(13) + "01");
  for (const bad of [
    "1:2:3:4:5:6:7",
    "1::2::3",
    "12345::",
    ":1::",
    "1:2:3:4:5:6:7:8:9",
    "1::2:3:4:5:6:7:8",
    "::1.2.3.4:5",
    "g::1",
    "10.0.0.1",
  ]) {
    assert.equal(parseIPv6(bad), null, bad);
  }
  assert.equal(hex(parseIp("[::1]")), "00".repeat(15) + "01");
  assert.equal(parseIp("example.com"), null);
});

test("ip - samePrefix compares whole and partial bytes, never across families", () => {
  const a = parseIp("10.1.2.3")!;
  assert.ok(samePrefix(a, parseIp("10.0.0.0")!, 8));
  assert.ok(!samePrefix(a, parseIp("10.0.0.0")!, 16));
  assert.ok(samePrefix(a, parseIp("10.1.2.0")!, 24));
  assert.ok(samePrefix(parseIp("192.168.1.130")!, parseIp("192.168.1.128")!, 25));
  assert.ok(!samePrefix(parseIp("192.168.1.127")!, parseIp("192.168.1.128")!, 25));
  assert.ok(samePrefix(a, parseIp("1.1.1.1")!, 0));
  assert.ok(!samePrefix(a, parseIp("::a01:203")!, 0));
  assert.ok(!samePrefix(a, a, 33));
});

test("env - NO_PROXY '*' exempts everything", () => {
  assert.ok(noProxyMatches("*", "example.com", 80));
  assert.ok(noProxyMatches("foo.org, *", "10.0.0.1", 443));
});

test("env - NO_PROXY domain suffixes, with or without a leading dot", () => {
  for (const entry of [
    "example.com",
    ".example.com",
    "*.example.com",
    "EXAMPLE.com.",
    "a.org,example.com",
    " a.org  example.com ",
  ]) {
    assert.ok(noProxyMatches(entry, "example.com", 80), `${entry} / example.com`);
    assert.ok(noProxyMatches(entry, "sub.example.com", 443), `${entry} / sub.example.com`);
    assert.ok(noProxyMatches(entry, "a.b.example.com.", 443), `${entry} / trailing dot`);
    assert.ok(!noProxyMatches(entry, "badexample.com", 80), `${entry} / badexample.com`);
    assert.ok(!noProxyMatches(entry, "example.com.evil.net", 80), `${entry} / example.com.evil.net`);
  }
  assert.ok(!noProxyMatches("", "example.com", 80));
  assert.ok(!noProxyMatches(" , ,", "example.com", 80));
});

test("env - NO_PROXY host:port entries match that port only", () => {
  assert.ok(noProxyMatches("example.com:8080", "example.com", 8080));
  assert.ok(noProxyMatches("example.com:8080", "api.example.com", 8080));
  assert.ok(!noProxyMatches("example.com:8080", "example.com", 80));
  assert.ok(noProxyMatches("10.0.0.1:8443", "10.0.0.1", 8443));
  assert.ok(!noProxyMatches("10.0.0.1:8443", "10.0.0.1", 443));
  assert.ok(noProxyMatches("[::1]:8080", "::1", 8080));
  assert.ok(!noProxyMatches("[::1]:8080", "::1", 80));
});

test("env - NO_PROXY IP literals match the same address in any spelling", () => {
  assert.ok(noProxyMatches("127.0.0.1", "127.0.0.1", 80));
  assert.ok(!noProxyMatches("127.0.0.1", "127.0.0.2", 80));
  assert.ok(noProxyMatches("::1", "0:0:0:0:0:0:0:1", 80));
  assert.ok(noProxyMatches("[2001:db8::1]", "2001:db8:0::1", 443));
  assert.ok(!noProxyMatches("127.0.0.1", "localhost", 80), "no DNS: a name never matches an IP entry");
});

test("env - NO_PROXY CIDR ranges for IPv4 and IPv6 match IP-literal targets", () => {
  assert.ok(noProxyMatches("10.0.0.0/8", "10.200.3.4", 80));
  assert.ok(!noProxyMatches("10.0.0.0/8", "11.0.0.1", 80));
  assert.ok(noProxyMatches("192.168.0.0/16,172.16.0.0/12", "172.31.255.255", 80));
  assert.ok(!noProxyMatches("172.16.0.0/12", "172.32.0.1", 80));
  assert.ok(noProxyMatches("::1/128", "::1", 80));
  assert.ok(!noProxyMatches("::1/128", "::2", 80));
  assert.ok(noProxyMatches("fd00::/8", "fd12:3456::1", 80));
  assert.ok(noProxyMatches("0.0.0.0/0", "8.8.8.8", 80));
  assert.ok(!noProxyMatches("10.0.0.0/8", "ten.example", 80), "a name is not in a range");
  assert.ok(!noProxyMatches("10.0.0.0/8", "::ffff:10.0.0.1", 80), "families differ");
  assert.ok(!noProxyMatches("10.0.0.0/33, 10.0.0.0/x, foo/8", "10.0.0.1", 80), "malformed ranges match nothing");
});

function envOf(vars: Record<string, string>): (name: string) => string | undefined {
  return (name) => vars[name];
}
const http = { scheme: "http" as const, host: "example.com", port: 80 };
const https = { scheme: "https" as const, host: "example.com", port: 443 };

test("env - http targets use http_proxy, https targets https_proxy, then all_proxy", () => {
  const env = envOf({ http_proxy: "http://h:1", https_proxy: "http://s:2", all_proxy: "socks5://a:3" });
  assert.deepEqual(envProxyUrl(http, env), { url: "http://h:1", from: "http_proxy" });
  assert.deepEqual(envProxyUrl(https, env), { url: "http://s:2", from: "https_proxy" });
  assert.deepEqual(envProxyUrl(http, envOf({ all_proxy: "socks5h://a:3" })), {
    url: "socks5h://a:3",
    from: "all_proxy",
  });
  assert.deepEqual(envProxyUrl(https, envOf({ ALL_PROXY: "a:3", http_proxy: "http://h:1" })), {
    url: "a:3",
    from: "ALL_PROXY",
  });
  assert.equal(envProxyUrl(http, envOf({ https_proxy: "http://s:2" })), null);
  assert.equal(envProxyUrl(http, envOf({})), null);
});

test("env - lower-case names win, empty values count as unset", () => {
  assert.equal(envProxyUrl(https, envOf({ https_proxy: "http://l:1", HTTPS_PROXY: "http://u:1" }))!.url, "http://l:1");
  assert.equal(envProxyUrl(https, envOf({ https_proxy: " ", HTTPS_PROXY: "http://u:1" }))!.url, "http://u:1");
  assert.equal(envProxyUrl(http, envOf({ http_proxy: "", all_proxy: "http://a:1" }))!.url, "http://a:1");
});

test("env - upper-case HTTP_PROXY is ignored in a CGI process (httpoxy)", () => {
  assert.equal(envProxyUrl(http, envOf({ HTTP_PROXY: "http://u:1" }))!.from, "HTTP_PROXY");
  assert.equal(envProxyUrl(http, envOf({ HTTP_PROXY: "http://u:1", REQUEST_METHOD: "GET" })), null);
  assert.equal(envProxyUrl(http, envOf({ http_proxy: "http://l:1", REQUEST_METHOD: "GET" }))!.from, "http_proxy");
  assert.equal(envProxyUrl(https, envOf({ HTTPS_PROXY: "http://u:1", REQUEST_METHOD: "GET" }))!.from, "HTTPS_PROXY");
});

test("env - no_proxy (then NO_PROXY) exempts targets", () => {
  const vars = { http_proxy: "http://h:1", https_proxy: "http://s:2" };
  assert.equal(envProxyUrl(http, envOf({ ...vars, no_proxy: "example.com" })), null);
  assert.equal(envProxyUrl(https, envOf({ ...vars, NO_PROXY: ".example.com" })), null);
  assert.notEqual(envProxyUrl(https, envOf({ ...vars, no_proxy: "other.org", NO_PROXY: "example.com" })), null);
  assert.notEqual(envProxyUrl(https, envOf({ ...vars, no_proxy: "example.com:80" })), null);
  assert.equal(
    envProxyUrl({ scheme: "http", host: "10.1.1.1", port: 80 }, envOf({ ...vars, no_proxy: "10.0.0.0/8" })),
    null,
  );
});
