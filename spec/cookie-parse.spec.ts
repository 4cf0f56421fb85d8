import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultPath, domainMatch, parseSetCookie, pathMatch, utf8Length } from "../lib/cookie-parse.ts";
import { parseCookieDate } from "../lib/cookie-date.ts";
import { isPublicSuffix } from "../lib/public-suffix.ts";

const at = (y: number, mo: number, d: number, h: number, mi: number, s: number): number =>
  Date.UTC(y, mo - 1, d, h, mi, s);

test("cookie date - the formats servers send all parse, as UTC", () => {
  const t = at(2021, 6, 9, 10, 18, 14);
  for (const s of [
    "Wed, 09 Jun 2021 10:18:14 GMT",
    "Wed, 09-Jun-2021 10:18:14 GMT",
    "Wednesday, 09-Jun-21 10:18:14 GMT",
    "Wed Jun  9 10:18:14 2021",
    "09 Jun 2021 10:18:14",
    "Jun 9 2021 10:18:14 UTC",
    "wed, 09 JUNE 2021 10:18:14 gmt",
    "2021 Jun 09 10:18:14",
    "Wed, 09 Jun 2021 10:18:14 +0200",
  ])
    assert.equal(parseCookieDate(s), t, s);
});

test("cookie date - two-digit years: 70-99 are 19xx, 00-69 are 20xx", () => {
  assert.equal(parseCookieDate("01 Jan 70 00:00:00"), 0);
  assert.equal(parseCookieDate("31 Dec 99 23:59:59"), at(1999, 12, 31, 23, 59, 59));
  assert.equal(parseCookieDate("01 Jan 00 00:00:00"), at(2000, 1, 1, 0, 0, 0));
  assert.equal(parseCookieDate("01 Jan 69 00:00:00"), at(2069, 1, 1, 0, 0, 0));
});

test("cookie date - missing fields, out-of-range values and days that do not exist fail", () => {
  for (const s of [
    "",
    "garbage",
    "Wed, 09 Jun 2021",
    "09 Jun 10:18:14",
    "Jun 2021 10:18:14",
    "Wed, 32 Jun 2021 10:18:14 GMT",
    "Wed, 00 Jun 2021 10:18:14 GMT",
    "31 Jun 2021 10:18:14",
    "29 Feb 2021 10:18:14",
    "09 Jun 1600 10:18:14",
    "09 Jun 2021 24:00:00",
    "09 Jun 2021 10:60:00",
    "09 Jun 2021 10:00:60",
    "09 Jux 2021 10:18:14",
    "09 Jun 12021 10:18:14",
    "009 Jun 2021 10:18:14",
  ])
    assert.equal(parseCookieDate(s), null, s);
  assert.equal(parseCookieDate("29 Feb 2024 00:00:00"), at(2024, 2, 29, 0, 0, 0));
});

test("cookie parse - name and value, trimmed of spaces and tabs, quotes kept", () => {
  assert.deepEqual(parseSetCookie("SID=31d4d96e407aad42"), {
    name: "SID",
    value: "31d4d96e407aad42",
    secure: false,
    httpOnly: false,
  });
  assert.deepEqual(parseSetCookie(" \ta \t= \t b c \t"), { name: "a", value: "b c", secure: false, httpOnly: false });
  assert.equal(parseSetCookie('q="quoted"')?.value, '"quoted"');
  assert.equal(parseSetCookie("a=b=c")?.value, "b=c");
  assert.equal(parseSetCookie("a=")?.value, "");
});

test("cookie parse - no '=' or an empty name ignores the header (RFC 6265 §5.2)", () => {
  for (const h of ["novalue", "=abc", " =abc", "", ";a=b", "; Path=/"])
    assert.equal(parseSetCookie(h), null, JSON.stringify(h));
});

test("cookie parse - CR, LF, NUL and other control characters void the header", () => {
  for (const h of [
    "a=b\r\nSet-Cookie: c=d",
    "a=b\n",
    "a\r=b",
    "a=\0",
    "a\x00b=c",
    "a=b; Path=/\r",
    "a=b; Domain=x\x7f.com",
    "a=\x01",
  ]) {
    assert.equal(parseSetCookie(h), null, JSON.stringify(h));
  }
  assert.equal(parseSetCookie("a=b\tc")?.value, "b\tc", "HTAB is allowed");
});

test("cookie parse - attributes are case-insensitive and the last one of a name wins", () => {
  const c = parseSetCookie(
    "a=b; SECURE; httponly; path=/x; PATH=/y; domain=.Example.COM; Max-Age=10; max-age=20; SameSite=lax; Unknown=1; Version=1",
  )!;
  assert.equal(c.secure, true);
  assert.equal(c.httpOnly, true);
  assert.equal(c.path, "/y");
  assert.equal(c.domain, "example.com");
  assert.equal(c.maxAge, 20);
  assert.equal(c.sameSite, "Lax");
});

test("cookie parse - invalid Max-Age and Expires are ignored, keeping an earlier valid one", () => {
  assert.equal(parseSetCookie("a=b; Max-Age=10; Max-Age=10s")?.maxAge, 10);
  assert.equal(parseSetCookie("a=b; Max-Age=")?.maxAge, undefined);
  assert.equal(parseSetCookie("a=b; Max-Age=+5")?.maxAge, undefined);
  assert.equal(parseSetCookie("a=b; Max-Age=-1")?.maxAge, -1);
  assert.equal(
    parseSetCookie("a=b; Expires=Wed, 09 Jun 2021 10:18:14 GMT; Expires=never")?.expires,
    at(2021, 6, 9, 10, 18, 14),
  );
});

test("cookie parse - Domain: empty ignored, one leading dot dropped; Path: relative means default", () => {
  assert.equal(parseSetCookie("a=b; Domain=")?.domain, undefined);
  assert.equal(parseSetCookie("a=b; Domain=.example.com")?.domain, "example.com");
  assert.equal(parseSetCookie("a=b; Path=/x; Path=relative")?.path, undefined);
  assert.equal(parseSetCookie("a=b; Path=")?.path, undefined);
  assert.equal(parseSetCookie("a=b; Path=/")?.path, "/");
});

test("cookie parse - SameSite values are normalized; others are ignored", () => {
  assert.equal(parseSetCookie("a=b; SameSite=STRICT")?.sameSite, "Strict");
  assert.equal(parseSetCookie("a=b; SameSite=none")?.sameSite, "None");
  assert.equal(parseSetCookie("a=b; SameSite=Default")?.sameSite, undefined);
  assert.equal(parseSetCookie("a=b; SameSite")?.sameSite, undefined);
});

test("cookie parse - name and value over 4096 bytes ignore the cookie; attribute values over 1024 bytes are ignored", () => {
  assert.ok(parseSetCookie(`n=${"v".repeat(4095)}`) !== null, "4096 bytes");
  assert.ok(parseSetCookie(`n=${"v".repeat(4096)}`) === null, "4097 bytes");
  // Counted in UTF-8 bytes: é is two.
  assert.ok(parseSetCookie(`n=${"é".repeat(2048)}`) === null, "4097 bytes in UTF-8");
  assert.equal(parseSetCookie(`a=b; Path=/${"p".repeat(1023)}`)?.path?.length, 1024);
  assert.equal(parseSetCookie(`a=b; Path=/${"p".repeat(1024)}`)?.path, undefined);
  assert.equal(utf8Length("aé€😀"), 1 + 2 + 3 + 4);
});

test("cookie match - domain-match: equal, or a name under the domain at a label boundary; IPs only themselves", () => {
  assert.ok(domainMatch("example.com", "example.com"));
  assert.ok(domainMatch("www.example.com", "example.com"));
  assert.ok(domainMatch("a.b.example.com", "example.com"));
  assert.ok(!domainMatch("badexample.com", "example.com"));
  assert.ok(!domainMatch("example.com", "www.example.com"));
  assert.ok(!domainMatch("example.com", "com."));
  assert.ok(domainMatch("127.0.0.1", "127.0.0.1"));
  assert.ok(!domainMatch("127.0.0.1", "0.0.1"));
  assert.ok(!domainMatch("[::1]", ":1]"));
});

test("cookie match - default-path (RFC 6265 §5.1.4)", () => {
  assert.equal(defaultPath(""), "/");
  assert.equal(defaultPath("/"), "/");
  assert.equal(defaultPath("/a"), "/");
  assert.equal(defaultPath("/a/"), "/a");
  assert.equal(defaultPath("/a/b/c"), "/a/b");
  assert.equal(defaultPath("x/y"), "/");
});

test("cookie match - path-match (RFC 6265 §5.1.4)", () => {
  assert.ok(pathMatch("/docs", "/docs"));
  assert.ok(pathMatch("/docs/", "/docs"));
  assert.ok(pathMatch("/docs/web", "/docs"));
  assert.ok(!pathMatch("/docsets", "/docs"));
  assert.ok(!pathMatch("/doc", "/docs"));
  assert.ok(pathMatch("/docs/x", "/docs/"));
  assert.ok(!pathMatch("/docs", "/docs/"));
  assert.ok(pathMatch("/anything", "/"));
});

test("public suffix - single labels and listed multi-label suffixes; registrable names are not", () => {
  for (const s of ["com", "uk", "localhost", "co.uk", "com.au", "github.io", "co.jp", "herokuapp.com"])
    assert.ok(isPublicSuffix(s), s);
  for (const s of ["example.com", "example.co.uk", "user.github.io", "uk.com", "co.example"])
    assert.ok(!isPublicSuffix(s), s);
});
