import { test } from "node:test";
import assert from "node:assert/strict";
import { CookieJar } from "../lib/cookie-jar.ts";
import type { CookieStore } from "../lib/cookie-jar.ts";
import { isCode } from "./helpers/errors.ts";

/** A jar on a clock the test moves. */
function clocked(start = Date.UTC(2024, 0, 1)): { jar: CookieJar; tick: (ms: number) => void; now: () => number } {
  let t = start;
  const now = () => t;
  return { jar: new CookieJar({ now }), tick: (ms) => (t += ms), now };
}

const names = (jar: CookieJar, url: string): string[] => jar.cookies(url).map((c) => c.name);

test("cookie jar - RFC 6265 §3.1: a host cookie comes back to its host only", () => {
  const jar = new CookieJar();
  jar.setCookie("SID=31d4d96e407aad42", "http://example.com/");
  assert.equal(jar.getCookieString("http://example.com/"), "SID=31d4d96e407aad42");
  assert.equal(jar.getCookieString("http://example.com/any/path"), "SID=31d4d96e407aad42");
  assert.equal(jar.getCookieString("http://www.example.com/"), "");
  assert.equal(jar.getCookieString("http://example.org/"), "");
});

test("cookie jar - RFC 6265 §3.1: Domain widens the cookie to subdomains", () => {
  const jar = new CookieJar();
  jar.setCookie("SID=31d4d96e407aad42; Path=/; Domain=example.com", "http://example.com/");
  assert.equal(jar.getCookieString("http://www.example.com/"), "SID=31d4d96e407aad42");
  assert.equal(jar.getCookieString("http://a.b.example.com/x"), "SID=31d4d96e407aad42");
  assert.equal(jar.getCookieString("http://badexample.com/"), "");
});

test("cookie jar - RFC 6265 §3.1: Secure and HttpOnly cookies beside a domain cookie", () => {
  const jar = new CookieJar();
  jar.setCookie("SID=31d4d96e407aad42; Path=/; Secure; HttpOnly", "https://example.com/");
  jar.setCookie("lang=en-US; Path=/; Domain=example.com", "https://example.com/");
  assert.equal(jar.getCookieString("https://example.com/"), "SID=31d4d96e407aad42; lang=en-US");
  assert.equal(jar.getCookieString("http://example.com/"), "lang=en-US", "Secure only on https");
  const [sid] = jar.cookies("https://example.com/");
  assert.deepEqual(sid, {
    name: "SID",
    value: "31d4d96e407aad42",
    domain: "example.com",
    path: "/",
    secure: true,
    httpOnly: true,
  });
});

test("cookie jar - RFC 6265 §3.1: Expires persists a cookie, a past Expires deletes it", () => {
  const { jar } = clocked(Date.UTC(2021, 0, 1));
  jar.setCookie("lang=en-US; Expires=Wed, 09 Jun 2021 10:18:14 GMT", "http://example.com/");
  assert.equal(jar.getCookieString("http://example.com/"), "lang=en-US");
  assert.equal(jar.cookies()[0]!.expires, Date.UTC(2021, 5, 9, 10, 18, 14));
  jar.setCookie("lang=; Expires=Sun, 06 Nov 1994 08:49:37 GMT", "http://example.com/");
  assert.equal(jar.getCookieString("http://example.com/"), "");
  assert.equal(jar.cookies().length, 0);
});

test("cookie jar - expiry follows the injected clock", () => {
  const { jar, tick } = clocked();
  jar.setCookie("short=1; Max-Age=10", "http://example.com/");
  jar.setCookie("session=1", "http://example.com/");
  assert.equal(jar.getCookieString("http://example.com/"), "short=1; session=1");
  assert.equal(jar.cookies("http://example.com/").find((c) => c.name === "session")!.expires, undefined);
  tick(9999);
  assert.equal(jar.getCookieString("http://example.com/"), "short=1; session=1");
  tick(1);
  assert.equal(jar.getCookieString("http://example.com/"), "session=1");
  assert.deepEqual(names(jar, "http://example.com/"), ["session"]);
});

test("cookie jar - Max-Age wins over Expires in either order; zero or negative deletes", () => {
  const { jar, tick } = clocked(Date.UTC(2024, 0, 1));
  jar.setCookie("a=1; Expires=Sun, 06 Nov 1994 08:49:37 GMT; Max-Age=60", "http://example.com/");
  jar.setCookie("b=1; Max-Age=60; Expires=Sun, 06 Nov 1994 08:49:37 GMT", "http://example.com/");
  jar.setCookie("c=1; Expires=Fri, 01 Jan 2100 00:00:00 GMT; Max-Age=0", "http://example.com/");
  assert.equal(jar.getCookieString("http://example.com/"), "a=1; b=1");
  jar.setCookie("a=1; Max-Age=-1", "http://example.com/");
  assert.equal(jar.getCookieString("http://example.com/"), "b=1");
  tick(60000);
  assert.equal(jar.getCookieString("http://example.com/"), "");
});

test("cookie jar - a Domain that does not domain-match the request host is ignored", () => {
  const jar = new CookieJar();
  jar.setCookie("a=1; Domain=other.com", "http://example.com/");
  jar.setCookie("b=1; Domain=www.example.com", "http://example.com/");
  jar.setCookie("c=1; Domain=ample.com", "http://example.com/");
  jar.setCookie("d=1; Domain=.example.com", "http://www.example.com/");
  jar.setCookie("e=1; Domain=EXAMPLE.com", "http://www.example.com/");
  assert.deepEqual(names(jar, "http://www.example.com/"), ["d", "e"]);
  assert.deepEqual(
    jar.cookies().map((c) => c.domain),
    ["example.com", "example.com"],
  );
  assert.equal(jar.getCookieString("http://other.com/"), "");
});

test("cookie jar - public suffixes are refused as Domain unless they are the host itself", () => {
  const jar = new CookieJar();
  jar.setCookie("a=1; Domain=co.uk", "http://www.example.co.uk/");
  jar.setCookie("b=1; Domain=uk", "http://www.example.co.uk/");
  jar.setCookie("c=1; Domain=com.au", "http://shop.example.com.au/");
  jar.setCookie("d=1; Domain=github.io", "http://user.github.io/");
  jar.setCookie("e=1; Domain=com", "http://example.com/");
  jar.setCookie("f=1; Domain=example.co.uk", "http://www.example.co.uk/");
  jar.setCookie("g=1; Domain=user.github.io", "http://user.github.io/");
  assert.deepEqual(names(jar, "http://www.example.co.uk/"), ["f"]);
  assert.equal(jar.getCookieString("http://other.co.uk/"), "");
  assert.equal(jar.getCookieString("http://other.github.io/"), "");
  assert.equal(jar.getCookieString("http://user.github.io/"), "g=1");
  assert.equal(jar.getCookieString("http://x.user.github.io/"), "g=1");
  // A suffix that is the host itself becomes a host-only cookie (§5.3 step 5).
  jar.setCookie("h=1; Domain=localhost", "http://localhost/");
  assert.equal(jar.getCookieString("http://localhost/"), "h=1");
  assert.equal(jar.getCookieString("http://sub.localhost/"), "");
});

test("cookie jar - IP hosts domain-match only themselves", () => {
  const jar = new CookieJar();
  jar.setCookie("a=1", "http://127.0.0.1:8080/");
  jar.setCookie("b=1; Domain=0.0.1", "http://127.0.0.1/");
  jar.setCookie("c=1; Domain=127.0.0.1", "http://127.0.0.1/");
  jar.setCookie("d=1; Domain=1", "http://127.0.0.1/");
  assert.equal(jar.getCookieString("http://127.0.0.1:9090/"), "a=1; c=1", "cookies ignore the port (RFC 6265 §8.5)");
  assert.equal(jar.getCookieString("http://127.0.0.2/"), "");
  jar.setCookie("v6=1", "http://[::1]:8080/");
  jar.setCookie("v6d=1; Domain=::1", "http://[::1]/");
  assert.equal(jar.getCookieString("http://[::1]/"), "v6=1");
  assert.equal(jar.getCookieString("http://[::2]/"), "");
});

test("cookie jar - host-only and domain cookies of one name are separate until the same domain field", () => {
  const jar = new CookieJar();
  jar.setCookie("id=host", "http://www.example.com/");
  jar.setCookie("id=domain; Domain=example.com", "http://www.example.com/");
  assert.equal(jar.getCookieString("http://www.example.com/"), "id=host; id=domain");
  assert.equal(jar.getCookieString("http://api.example.com/"), "id=domain");
  // A host-only cookie on example.com has the same domain field as the domain cookie: it replaces it.
  jar.setCookie("id=apex", "http://example.com/");
  assert.equal(jar.getCookieString("http://api.example.com/"), "");
  assert.equal(jar.getCookieString("http://example.com/"), "id=apex");
});

test("cookie jar - Path: default-path from the request, path-match on retrieval", () => {
  const jar = new CookieJar();
  jar.setCookie("dflt=1", "http://example.com/a/b/c?x=1");
  jar.setCookie("docs=1; Path=/docs", "http://example.com/");
  jar.setCookie("rel=1; Path=docs", "http://example.com/x/y");
  assert.deepEqual(
    jar.cookies().map((c) => c.path),
    ["/a/b", "/docs", "/x"],
  );
  assert.deepEqual(names(jar, "http://example.com/a/b"), ["dflt"]);
  assert.deepEqual(names(jar, "http://example.com/a/b/z"), ["dflt"]);
  assert.deepEqual(names(jar, "http://example.com/a/bc"), []);
  assert.deepEqual(names(jar, "http://example.com/a"), []);
  assert.deepEqual(names(jar, "http://example.com/docs/web?q"), ["docs"]);
  assert.deepEqual(names(jar, "http://example.com/docsets"), []);
  assert.deepEqual(names(jar, "http://example.com/x/anything"), ["rel"]);
});

test("cookie jar - order: longer paths first, then earlier creation; replacement keeps creation time", () => {
  const { jar, tick } = clocked();
  jar.setCookie("first=1; Path=/", "http://example.com/");
  tick(1);
  jar.setCookie("deep=1; Path=/a/b", "http://example.com/");
  tick(1);
  jar.setCookie("mid=1; Path=/a", "http://example.com/");
  jar.setCookie("second=1; Path=/", "http://example.com/");
  assert.equal(jar.getCookieString("http://example.com/a/b/c"), "deep=1; mid=1; first=1; second=1");
  tick(1);
  jar.setCookie("first=2; Path=/", "http://example.com/");
  assert.equal(jar.getCookieString("http://example.com/a/b/c"), "deep=1; mid=1; first=2; second=1");
  // Same name, another path: a second cookie, not a replacement.
  jar.setCookie("first=3; Path=/a", "http://example.com/");
  assert.equal(jar.getCookieString("http://example.com/a/b/c"), "deep=1; mid=1; first=3; first=2; second=1");
});

test("cookie jar - Secure: never sent over http, not settable from http, and not shadowed from http", () => {
  const jar = new CookieJar();
  jar.setCookie("s=1; Secure", "http://example.com/");
  assert.equal(jar.cookies().length, 0, "a Secure cookie from an insecure origin is ignored");
  jar.setCookie("s=1; Secure; Path=/", "https://example.com/");
  assert.equal(jar.getCookieString("https://example.com/"), "s=1");
  assert.equal(jar.getCookieString("http://example.com/"), "");
  assert.equal(jar.getCookieString("wss://example.com/"), "s=1");
  jar.setCookie("s=evil", "http://example.com/");
  jar.setCookie("s=evil; Domain=example.com", "http://www.example.com/");
  assert.equal(jar.cookies().length, 1, "http may not shadow a Secure cookie");
  jar.setCookie("s=2", "https://example.com/");
  assert.deepEqual(
    jar.cookies().map((c) => [c.value, c.secure]),
    [["2", false]],
    "https may replace it",
  );
});

test("cookie jar - __Secure- and __Host- prefixes hold their promises", () => {
  const jar = new CookieJar();
  jar.setCookie("__Secure-a=1", "https://example.com/");
  jar.setCookie("__Secure-b=1; Secure", "https://example.com/");
  jar.setCookie("__Host-c=1; Secure; Path=/; Domain=example.com", "https://example.com/");
  jar.setCookie("__Host-d=1; Secure; Path=/docs", "https://example.com/");
  jar.setCookie("__Host-e=1; Secure", "https://example.com/x/y");
  jar.setCookie("__Host-f=1; Secure; Path=/", "https://example.com/");
  assert.deepEqual(names(jar, "https://example.com/"), ["__Secure-b", "__Host-f"]);
});

test("cookie jar - HttpOnly and SameSite are kept, and HttpOnly cookies are sent", () => {
  const jar = new CookieJar();
  jar.setCookie("h=1; HttpOnly; SameSite=strict", "http://example.com/");
  jar.setCookie("l=1; SameSite=Lax", "http://example.com/");
  jar.setCookie("x=1; SameSite=bogus", "http://example.com/");
  assert.equal(jar.getCookieString("http://example.com/"), "h=1; l=1; x=1");
  assert.deepEqual(
    jar.cookies().map((c) => [c.name, c.httpOnly, c.sameSite]),
    [
      ["h", true, "Strict"],
      ["l", false, "Lax"],
      ["x", false, undefined],
    ],
  );
});

test("cookie jar - headers with CR, LF or NUL, or no name, are ignored", () => {
  const jar = new CookieJar();
  for (const h of ["a=b\r\nX: y", "a=b\n", "a\0=b", "a=\0b", "=b", "noequals", ""])
    jar.setCookie(h, "http://example.com/");
  assert.equal(jar.cookies().length, 0);
});

test("cookie jar - a cookie over 4096 bytes is ignored", () => {
  const jar = new CookieJar();
  jar.setCookie(`big=${"x".repeat(4093)}`, "http://example.com/");
  jar.setCookie(`huge=${"x".repeat(4093)}`, "http://example.com/");
  assert.deepEqual(
    jar.cookies().map((c) => c.name),
    ["big"],
  );
});

test("cookie jar - at most 50 cookies per domain: the least recently used go first", () => {
  const { jar, tick } = clocked();
  for (let i = 0; i < 50; i++) {
    jar.setCookie(`c${i}=1; Path=${i === 0 ? "/zero" : "/p"}`, "http://example.com/");
    tick(1);
  }
  // Reading c0 (alone on its path) makes c1 the least recently used.
  assert.equal(jar.getCookieString("http://example.com/zero"), "c0=1");
  tick(1);
  jar.setCookie("c50=1; Path=/p", "http://example.com/");
  const left = jar.cookies().map((c) => c.name);
  assert.equal(left.length, 50);
  assert.ok(left.includes("c50") && left.includes("c0") && left.includes("c2"));
  assert.ok(!left.includes("c1"), "the least recently used one was evicted");
  // Other domains are not touched.
  jar.setCookie("z=1", "http://example.org/");
  assert.equal(jar.cookies().length, 51);
});

test("cookie jar - at most 3000 cookies in all: expired ones go first, then the least recently used", () => {
  const { jar, tick } = clocked();
  for (let d = 0; d < 60; d++) {
    for (let i = 0; i < (d === 59 ? 49 : 50); i++) jar.setCookie(`c${i}=1`, `http://d${d}.example/`);
    tick(1);
  }
  // The most recently used cookie, but expired by the time the jar is full.
  jar.setCookie("doomed=1; Max-Age=1", "http://old.example/");
  assert.equal(jar.cookies().length, 3000);
  tick(2000);
  jar.setCookie("new=1", "http://fresh.example/");
  assert.equal(jar.getCookieString("http://fresh.example/"), "new=1");
  assert.equal(jar.cookies("http://d0.example/").length, 50, "the expired cookie went, not the least recently used");
  jar.setCookie("new2=1", "http://fresh.example/");
  assert.equal(jar.cookies().length, 3000);
  assert.equal(jar.cookies("http://d0.example/").length, 49, "then the least recently used");
  assert.equal(jar.cookies("http://d58.example/").length, 50);
});

test("cookie jar - toJSON round trip restores cookies, order and flags; expired ones are dropped", () => {
  const { jar, tick, now } = clocked();
  jar.setCookie("a=1; Path=/; Max-Age=100", "https://example.com/");
  tick(1);
  jar.setCookie("b=2; Domain=example.com; Secure; HttpOnly; SameSite=None", "https://www.example.com/p/q");
  tick(1);
  jar.setCookie("c=3; Path=/; Max-Age=5", "https://example.com/");
  jar.setCookie("d=4", "https://example.com/");
  const json = JSON.parse(JSON.stringify(jar)) as { version: number; cookies: unknown[] };
  assert.equal(json.version, 1);
  assert.equal(json.cookies.length, 4);
  let t = now() + 10_000;
  const restored = new CookieJar({ cookies: json, now: () => t });
  assert.deepEqual(
    restored.cookies().map((c) => c.name),
    ["a", "b", "d"],
    "c expired in between",
  );
  assert.equal(restored.getCookieString("https://www.example.com/p/x"), "b=2");
  assert.equal(restored.getCookieString("https://example.com/"), "a=1; d=4");
  assert.equal(restored.getCookieString("https://sub.example.com/"), "", "host-only stays host-only");
  assert.deepEqual(
    restored.cookies().find((c) => c.name === "b"),
    {
      name: "b",
      value: "2",
      domain: "example.com",
      path: "/p",
      secure: true,
      httpOnly: true,
      sameSite: "None",
    },
  );
  t += 100_000;
  assert.deepEqual(
    restored.cookies().map((c) => c.name),
    ["b", "d"],
  );
  assert.deepEqual(new CookieJar({ cookies: new CookieJar().toJSON() }).cookies(), []);
});

test("cookie jar - a malformed saved jar is invalid_option", () => {
  const good = {
    name: "a",
    value: "1",
    domain: "example.com",
    path: "/",
    hostOnly: true,
    secure: false,
    httpOnly: false,
    created: 1,
  };
  for (const bad of [
    null,
    "x",
    [],
    { cookies: [] },
    { version: 2, cookies: [] },
    { version: 1 },
    { version: 1, cookies: {} },
    { version: 1, cookies: [{ ...good, name: 1 }] },
    { version: 1, cookies: [{ ...good, value: "a\r\nb" }] },
    { version: 1, cookies: [{ ...good, secure: "no" }] },
    { version: 1, cookies: [{ ...good, created: "1" }] },
    { version: 1, cookies: [{ ...good, path: "rel" }] },
    { version: 1, cookies: [{ ...good, sameSite: "strict" }] },
    { version: 1, cookies: [{ ...good, expires: Number.NaN }] },
    { version: 1, cookies: [null] },
  ]) {
    assert.throws(() => new CookieJar({ cookies: bad }), isCode("invalid_option"), JSON.stringify(bad));
  }
  assert.equal(
    new CookieJar({ cookies: { version: 1, cookies: [good] } }).getCookieString("http://example.com/"),
    "a=1",
  );
});

test("cookie jar - clear() empties it; URLs may be strings or URL objects; bad URLs are invalid_url", () => {
  const jar = new CookieJar();
  jar.setCookie("a=1", new URL("http://example.com/"));
  assert.equal(jar.getCookieString(new URL("http://EXAMPLE.com/")), "a=1");
  jar.clear();
  assert.equal(jar.getCookieString("http://example.com/"), "");
  assert.deepEqual(jar.cookies(), []);
  assert.throws(() => jar.getCookieString("not a url"), isCode("invalid_url"));
  assert.throws(() => jar.setCookie("a=1", "::"), isCode("invalid_url"));
});

test("cookie jar - a CookieJar is a CookieStore", async () => {
  const store: CookieStore = new CookieJar();
  await store.setCookie("a=1", "http://example.com/");
  assert.equal(await store.getCookieString("http://example.com/"), "a=1");
});
