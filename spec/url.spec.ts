import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { HansomError } from "../lib/errors.ts";
import {
  authority,
  makeUrl,
  originOf,
  parseQs,
  parseUrl,
  pathEncode,
  qs,
  requestTarget,
  resolveUrl,
  urlDecode,
  urlEncode,
} from "../lib/url.ts";

function assertInvalid(fn: () => unknown, label: string): HansomError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  assert.ok(caught instanceof HansomError, `${label}: expected a HansomError, got ${String(caught)}`);
  assert.equal(caught.code, "invalid_url", label);
  return caught;
}

// Full Unicode, well-formed (no lone surrogates: they have no UTF-8 form).
const unicode = fc.string({ unit: "binary", maxLength: 40 });

test("url - parseUrl splits a full URL", () => {
  assert.deepEqual(parseUrl("http://www.example.com/path?key=value#Section%205"), {
    scheme: "http",
    host: "www.example.com",
    port: 80,
    path: "/path",
    qs: "key=value",
    fragment: "Section%205",
    user: "",
    password: "",
    href: "http://www.example.com/path?key=value#Section%205",
  });
});

test("url - parseUrl uses default ports", () => {
  assert.equal(parseUrl("http://h/").port, 80);
  assert.equal(parseUrl("https://h/").port, 443);
  assert.equal(parseUrl("http://h:8080/").port, 8080);
  assert.equal(parseUrl("https://h:8443").port, 8443);
  assert.equal(parseUrl("http://h:80/").href, "http://h/");
  assert.equal(parseUrl("https://h:443/").href, "https://h/");
  assert.equal(parseUrl("http://h:443/").href, "http://h:443/");
  assert.equal(parseUrl("http://h:65535/").port, 65535);
  assert.equal(parseUrl("http://h:1/").port, 1);
});

test("url - parseUrl takes an empty port as the default", () => {
  assert.equal(parseUrl("http://h:/x").port, 80);
  assert.equal(parseUrl("https://[::1]:/").port, 443);
});

test("url - parseUrl keeps IPv6 literal", () => {
  const u = parseUrl("http://[::1]:8080/x");
  assert.equal(u.host, "::1");
  assert.equal(u.port, 8080);
  assert.equal(u.href, "http://[::1]:8080/x");
  const v = parseUrl("https://[DB8:0cec::99:123a]/");
  assert.equal(v.host, "db8:0cec::99:123a");
  assert.equal(v.port, 443);
  assert.equal(authority(v), "[db8:0cec::99:123a]");
  assert.equal(parseUrl("http://[::ffff:127.0.0.1]").host, "::ffff:127.0.0.1");
});

test("url - parseUrl decodes userinfo and keeps it in href", () => {
  const u = parseUrl("http://user:p%40ss@host/");
  assert.equal(u.user, "user");
  assert.equal(u.password, "p@ss");
  assert.equal(u.host, "host");
  assert.equal(u.href, "http://user:p%40ss@host/");
  const v = parseUrl("https://user@www.example.com/path");
  assert.equal(v.user, "user");
  assert.equal(v.password, "");
  const w = parseUrl("http://a%20b:c:d%C3%A9+@h/");
  assert.equal(w.user, "a b");
  assert.equal(w.password, "c:dé+", "password keeps later colons and '+'");
});

test("url - parseUrl splits userinfo at the last @", () => {
  const u = parseUrl("http://me@x.org:s@cret@h:81/");
  assert.equal(u.user, "me@x.org");
  assert.equal(u.password, "s@cret");
  assert.equal(u.host, "h");
  assert.equal(u.port, 81);
  assert.equal(u.href, "http://me%40x.org:s%40cret@h:81/");
});

test("url - parseUrl scheme is case-insensitive, host lower-cased, path case kept", () => {
  const u = parseUrl("HTTPS://WWW.Example.COM/Some/Path?Q=A#Frag");
  assert.equal(u.scheme, "https");
  assert.equal(u.host, "www.example.com");
  assert.equal(u.path, "/Some/Path");
  assert.equal(u.qs, "Q=A");
  assert.equal(u.fragment, "Frag");
  assert.equal(u.href, "https://www.example.com/Some/Path?Q=A#Frag");
});

test("url - parseUrl empty path is /", () => {
  assert.equal(parseUrl("http://h").path, "/");
  assert.equal(parseUrl("http://h").href, "http://h/");
  const u = parseUrl("http://h?a=1");
  assert.equal(u.path, "/");
  assert.equal(u.qs, "a=1");
  const v = parseUrl("http://h#top");
  assert.equal(v.path, "/");
  assert.equal(v.qs, "");
  assert.equal(v.fragment, "top");
  assert.equal(parseUrl("http://h/?").qs, "");
  assert.equal(parseUrl("http://h/a?b?c#d#e").qs, "b?c");
  assert.equal(parseUrl("http://h/a?b?c#d#e").fragment, "d#e");
});

test("url - parseUrl keeps the path as given", () => {
  const u = parseUrl("http://h/a/./b/../c%7e/%2F/ü/%zz");
  assert.equal(u.path, "/a/./b/../c%7e/%2F/ü/%zz");
  assert.equal(u.href, "http://h/a/./b/../c%7e/%2F/%C3%BC/%25zz");
  assert.equal(parseUrl("http://h//x//").path, "//x//");
});

test("url - parseUrl accepts a URL object", () => {
  const u = parseUrl(new URL("https://u:p@Example.com:8443/a b?c=d"));
  assert.equal(u.scheme, "https");
  assert.equal(u.host, "example.com");
  assert.equal(u.port, 8443);
  assert.equal(u.path, "/a%20b");
  assert.equal(u.qs, "c=d");
  assert.equal(u.user, "u");
  assert.equal(u.password, "p");
});

test("url - parseUrl converts an IDN host to punycode", () => {
  const u = parseUrl("http://Bücher.example/ü");
  assert.equal(u.host, "xn--bcher-kva.example");
  assert.equal(u.path, "/ü");
  assert.equal(u.href, "http://xn--bcher-kva.example/%C3%BC");
});

test("url - parseUrl href is a fixed point", () => {
  const urls = [
    "http://user:p%40ss@EXAMPLE.com:8080/a/../b%7e/ü?x=1&y=é#frag%20ment",
    "https://[::1]/x?y#z",
    'http://h/[x]{y}|^`\\?q=<>"#"',
    "http://h/?a=/?:@",
  ];
  for (const url of urls) {
    const href = parseUrl(url).href;
    assert.equal(parseUrl(href).href, href, url);
    assert.doesNotThrow(() => new URL(href), url);
  }
});

test("url - parseUrl rejects other schemes naming the allowed ones", () => {
  const others = ["ftp://example.com/", "file:///etc/passwd", "ws://h/", "mailto:a@b.c", "javascript:alert(1)"];
  for (const url of others) {
    const e = assertInvalid(() => parseUrl(url), url);
    assert.match(e.message, /http, https and http\+unix/, url);
    assert.equal(e.phase, "input");
  }
});

test("url - parseUrl invalid inputs are invalid_url", () => {
  const bad = [
    "",
    "example.com/path",
    "localhost:8080/x",
    "//h/x",
    "/just/a/path",
    "http:/x",
    "http:x",
    "http://",
    "http:///x",
    "http://?q",
    "http://:80/",
    "http://user:pw@/",
    "http://h:0/",
    "http://h:65536/",
    "http://h:99999999999999999999/",
    "http://h:abc/",
    "http://h:-1/",
    "http://h:8o/",
    "http://h:80:80/",
    "http://h: 80/",
    "http://[::1/",
    "http://[zz]/",
    "http://[::1]x/",
    "http://[]/",
    "http://[fe80::1%25eth0]/",
    "http://::1/",
    "http://a<b/",
    "http://a%20b/",
    "http://a\\b/",
    "http://a^b/",
    "http://exa mple.com/",
    "http://h/\t",
    "http://h/\r\nX: y",
    "http://h/\u0000",
    "http://h\u0000/",
    "http://h/\u007f",
    "http://h/\u0085",
    "http://h/\u00a0",
    "http://h/\u2028",
    "http://h/\u3000",
    "http://h/\ud800",
    "http://h/\udc00x",
  ];
  for (const url of bad) assertInvalid(() => parseUrl(url), JSON.stringify(url));
});

test("url - parseUrl rejects a non-string argument with invalid_url", () => {
  assertInvalid(() => parseUrl(42 as unknown as string), "42");
  assertInvalid(() => parseUrl(null as unknown as string), "null");
});

test("url - a plain space is accepted and sent as %20; surrounding spaces are dropped", () => {
  const u = parseUrl(" http://h/a b?q=x y ");
  assert.equal(u.path, "/a b");
  assert.equal(u.qs, "q=x y");
  assert.equal(u.href, "http://h/a%20b?q=x%20y");
  assert.equal(pathEncode(u.path), "/a%20b");
});

test("url - parseUrl errors do not echo the password", () => {
  const bad = [
    "http://user:s3cretpw@h:99999/",
    "http://user:s3cretpw@h:x/",
    "http://user:s3cretpw/x",
    "ftp://user:s3cretpw@h/",
    "http://user:s3cretpw@/x",
    "http://user:s3cretpw\t@h/",
    "http://user:s3cretpw@[::1/",
    "http://user:s3cretpw@a<b/",
  ];
  for (const url of bad) {
    const e = assertInvalid(() => parseUrl(url), url);
    assert.ok(!e.message.includes("s3cretpw"), `${url}: ${e.message}`);
  }
});

test("url - pathEncode keeps pchars, '/' and valid %XX", () => {
  const kept = "/AZaz09-._~!$&'()*+,;=:@/%2F%2f%C3%A9";
  assert.equal(pathEncode(kept), kept);
  assert.equal(pathEncode(""), "");
  assert.equal(pathEncode("/"), "/");
});

test("url - pathEncode encodes the rest as upper-case UTF-8 %XX", () => {
  assert.equal(pathEncode("/a b"), "/a%20b");
  assert.equal(pathEncode("/a%20b"), "/a%20b");
  assert.equal(pathEncode("/%zz"), "/%25zz");
  assert.equal(pathEncode("/%"), "/%25");
  assert.equal(pathEncode("/%4"), "/%254");
  assert.equal(pathEncode("/100%"), "/100%25");
  assert.equal(pathEncode("/é"), "/%C3%A9");
  assert.equal(pathEncode("/€"), "/%E2%82%AC");
  assert.equal(pathEncode("/😀"), "/%F0%9F%98%80");
  assert.equal(pathEncode("/a?b#c"), "/a%3Fb%23c");
  assert.equal(pathEncode('/"<>\\^`{|}[]'), "/%22%3C%3E%5C%5E%60%7B%7C%7D%5B%5D");
  assert.equal(pathEncode("/\u0000\n\u007f"), "/%00%0A%7F");
  assert.equal(pathEncode("/\ud800"), "/%EF%BF%BD", "a lone surrogate becomes U+FFFD");
});

test("url - pathEncode matches hackney's cases", () => {
  const cases: Array<[string, string]> = [
    ["/path1/path2", "/path1/path2"],
    ["/path1/path2%2fa", "/path1/path2%2fa"],
    ["/path1/path2%2fa%2fb", "/path1/path2%2fa%2fb"],
    ["/path1/path2%2test", "/path1/path2%252test"],
    ["/id/name:107/name2;p=1,3", "/id/name:107/name2;p=1,3"],
    ["/path1/$path2", "/path1/$path2"],
  ];
  for (const [input, want] of cases) assert.equal(pathEncode(input), want, input);
});

test("url - pathEncode is idempotent and decodes back", () => {
  fc.assert(
    fc.property(unicode, (s) => {
      const once = pathEncode(s);
      assert.equal(pathEncode(once), once);
      assert.match(once, /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/);
      if (!s.includes("%")) assert.equal(decodeURIComponent(once), s);
    }),
    { numRuns: 500 },
  );
});

test("url - urlEncode keeps unreserved, space as +, the rest %XX", () => {
  assert.equal(urlEncode("Hello.-~_"), "Hello.-~_");
  assert.equal(urlEncode("HelloGünter"), "HelloG%C3%BCnter");
  assert.equal(urlEncode("Hello+Günter"), "Hello%2BG%C3%BCnter");
  assert.equal(urlEncode("Hello "), "Hello+");
  assert.equal(urlEncode("a&b=c/d?e#f%"), "a%26b%3Dc%2Fd%3Fe%23f%25");
  assert.equal(urlEncode("€£©"), "%E2%82%AC%C2%A3%C2%A9");
  assert.equal(urlEncode("😀"), "%F0%9F%98%80");
  assert.equal(urlEncode(""), "");
});

test("url - urlDecode decodes + and UTF-8 %XX", () => {
  assert.equal(urlDecode("x+y"), "x y");
  assert.equal(urlDecode("HelloG%c3%bcnter"), "HelloGünter");
  assert.equal(urlDecode("HelloG%C3%BCnter"), "HelloGünter");
  assert.equal(urlDecode("%2B%20"), "+ ");
  assert.equal(urlDecode("é%C3%A9"), "éé");
  assert.equal(urlDecode("%EF%BB%BFa"), "\ufeffa", "a leading BOM is kept");
});

test("url - urlDecode keeps a malformed % and replaces bad UTF-8", () => {
  assert.equal(urlDecode("Hello%KC"), "Hello%KC");
  assert.equal(urlDecode("Hello%"), "Hello%");
  assert.equal(urlDecode("%4"), "%4");
  assert.equal(urlDecode("%C3"), "\ufffd");
  assert.equal(urlDecode("%FFa"), "\ufffda");
});

test("url - urlDecode(urlEncode(s)) round trips unicode", () => {
  fc.assert(
    fc.property(unicode, (s) => {
      const enc = urlEncode(s);
      assert.match(enc, /^[A-Za-z0-9\-._~+%]*$/);
      assert.equal(urlDecode(enc), s);
      assert.equal(new URLSearchParams(`k=${enc}`).get("k"), s);
    }),
    { numRuns: 1000 },
  );
});

test("url - urlDecode agrees with decodeURIComponent on encoded input", () => {
  fc.assert(
    fc.property(unicode, (s) => {
      assert.equal(urlDecode(encodeURIComponent(s)), s);
    }),
    { numRuns: 500 },
  );
});

test("url - qs keeps order and encodes", () => {
  assert.equal(
    qs([
      ["a", "1"],
      ["b", "x y"],
    ]),
    "a=1&b=x+y",
  );
  assert.equal(
    qs([
      ["b", "2"],
      ["a", "1"],
      ["b", "3"],
    ]),
    "b=2&a=1&b=3",
  );
  assert.equal(qs({ z: "1", a: "&=" }), "z=1&a=%26%3D");
  assert.equal(qs([["k é", ""]]), "k+%C3%A9=");
  assert.equal(qs([]), "");
  assert.equal(qs({}), "");
});

test("url - parseQs decodes pairs in order", () => {
  assert.deepEqual(parseQs("a=b"), [["a", "b"]]);
  assert.deepEqual(parseQs("a=b&c=d"), [
    ["a", "b"],
    ["c", "d"],
  ]);
  assert.deepEqual(parseQs("a=b&c"), [
    ["a", "b"],
    ["c", ""],
  ]);
  assert.deepEqual(parseQs("x=1=2&&y=a+b%21&"), [
    ["x", "1=2"],
    ["y", "a b!"],
  ]);
  assert.deepEqual(parseQs("b=2&a=1&b=3"), [
    ["b", "2"],
    ["a", "1"],
    ["b", "3"],
  ]);
  assert.deepEqual(parseQs(""), []);
});

test("url - parseQs(qs(pairs)) round trips", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(
          unicode.filter((k) => k !== ""),
          unicode,
        ),
      ),
      (pairs) => {
        assert.deepEqual(parseQs(qs(pairs)), pairs);
      },
    ),
    { numRuns: 300 },
  );
});

test("url - makeUrl matches hackney's cases", () => {
  assert.equal(makeUrl("http://example.com", "path", [["a", "b"]]), "http://example.com/path?a=b");
  assert.equal(makeUrl("http://example.com", ["path1", "path2"], []), "http://example.com/path1/path2");
});

test("url - makeUrl joins segments without double slashes", () => {
  assert.equal(makeUrl("http://a.com/", ["/v1/", "/users/"], ""), "http://a.com/v1/users");
  assert.equal(makeUrl("http://a.com//", "//x//", ""), "http://a.com/x");
  assert.equal(makeUrl("http://a.com/api", ["a/b", "", "/", "c"], ""), "http://a.com/api/a/b/c");
  // no segments: the base is left alone
  assert.equal(makeUrl("http://a.com/api/", "", ""), "http://a.com/api/");
  assert.equal(makeUrl("http://a.com", [], "q=1"), "http://a.com?q=1");
});

test("url - makeUrl adds the query when not empty", () => {
  assert.equal(makeUrl("http://a.com", "p", "x=1&y=2"), "http://a.com/p?x=1&y=2");
  assert.equal(
    makeUrl("http://a.com", "p", [
      ["q", "x y"],
      ["r", "&"],
    ]),
    "http://a.com/p?q=x+y&r=%26",
  );
  assert.equal(makeUrl("http://a.com", "p", { q: "1" }), "http://a.com/p?q=1");
  assert.equal(makeUrl("http://a.com", "p", ""), "http://a.com/p");
  assert.equal(makeUrl("http://a.com", "p", []), "http://a.com/p");
  assert.equal(makeUrl("http://a.com", "a b", []), "http://a.com/a b", "segments are not encoded");
});

test("url - authority omits the default port unless asked", () => {
  assert.equal(authority(parseUrl("http://h/")), "h");
  assert.equal(authority(parseUrl("http://h/"), true), "h:80");
  assert.equal(authority(parseUrl("https://h/"), true), "h:443");
  assert.equal(authority(parseUrl("https://h:8443/")), "h:8443");
  assert.equal(authority(parseUrl("http://[::1]/")), "[::1]");
  assert.equal(authority(parseUrl("http://[::1]:81/")), "[::1]:81");
  assert.equal(authority(parseUrl("https://[::1]/"), true), "[::1]:443");
});

test("url - originOf compares scheme, host and port", () => {
  assert.equal(originOf(parseUrl("http://u:p@H:80/x?y")), "http://h");
  assert.equal(originOf(parseUrl("https://h:8443/")), "https://h:8443");
  assert.equal(originOf(parseUrl("https://[::1]/")), "https://[::1]");
  assert.notEqual(originOf(parseUrl("http://h/")), originOf(parseUrl("https://h/")));
  assert.notEqual(originOf(parseUrl("http://h/")), originOf(parseUrl("http://h:8080/")));
  assert.equal(originOf(parseUrl("http://h/")), originOf(parseUrl("http://H:80/other")));
});

test("url - requestTarget encodes the path and makes the query safe", () => {
  assert.equal(requestTarget(parseUrl("http://h")), "/");
  assert.equal(requestTarget(parseUrl("http://h/a%20b/é?x=1&y=a%20b#frag")), "/a%20b/%C3%A9?x=1&y=a%20b");
  assert.equal(requestTarget(parseUrl("http://h/p?q=ü&r=/?:@%zz")), "/p?q=%C3%BC&r=/?:@%25zz");
  assert.equal(requestTarget(parseUrl("http://h/%7e?")), "/%7e");
  const u = { ...parseUrl("http://h/x"), path: "/a b" };
  assert.equal(requestTarget(u), "/a%20b");
  assert.equal(
    requestTarget(u, (p) => p.replace(/ /g, "+")),
    "/a+b",
  );
});

test("url - resolveUrl follows RFC 3986 §5.4.1 normal examples", () => {
  const base = "http://a/b/c/d;p?q";
  const cases: Array<[string, string]> = [
    ["g", "http://a/b/c/g"],
    ["./g", "http://a/b/c/g"],
    ["g/", "http://a/b/c/g/"],
    ["/g", "http://a/g"],
    ["//g", "http://g/"],
    ["?y", "http://a/b/c/d;p?y"],
    ["g?y", "http://a/b/c/g?y"],
    ["#s", "http://a/b/c/d;p?q#s"],
    ["g#s", "http://a/b/c/g#s"],
    ["g?y#s", "http://a/b/c/g?y#s"],
    [";x", "http://a/b/c/;x"],
    ["g;x", "http://a/b/c/g;x"],
    ["g;x?y#s", "http://a/b/c/g;x?y#s"],
    ["", "http://a/b/c/d;p?q"],
    [".", "http://a/b/c/"],
    ["./", "http://a/b/c/"],
    ["..", "http://a/b/"],
    ["../", "http://a/b/"],
    ["../g", "http://a/b/g"],
    ["../..", "http://a/"],
    ["../../", "http://a/"],
    ["../../g", "http://a/g"],
  ];
  for (const [ref, want] of cases) assert.equal(resolveUrl(ref, base), want, ref);
});

test("url - resolveUrl follows RFC 3986 §5.4.2 abnormal examples", () => {
  const base = "http://a/b/c/d;p?q";
  const cases: Array<[string, string]> = [
    ["../../../g", "http://a/g"],
    ["../../../../g", "http://a/g"],
    ["/./g", "http://a/g"],
    ["/../g", "http://a/g"],
    ["g.", "http://a/b/c/g."],
    [".g", "http://a/b/c/.g"],
    ["g..", "http://a/b/c/g.."],
    ["..g", "http://a/b/c/..g"],
    ["./../g", "http://a/b/g"],
    ["./g/.", "http://a/b/c/g/"],
    ["g/./h", "http://a/b/c/g/h"],
    ["g/../h", "http://a/b/c/h"],
    ["g;x=1/./y", "http://a/b/c/g;x=1/y"],
    ["g;x=1/../y", "http://a/b/c/y"],
    ["g?y/./x", "http://a/b/c/g?y/./x"],
    ["g?y/../x", "http://a/b/c/g?y/../x"],
    ["g#s/./x", "http://a/b/c/g#s/./x"],
    ["g#s/../x", "http://a/b/c/g#s/../x"],
    ["http:g", "http://a/b/c/g"],
  ];
  for (const [ref, want] of cases) assert.equal(resolveUrl(ref, base), want, ref);
});

test("url - resolveUrl handles redirect Locations", () => {
  const base = "http://u:p@example.com:8080/dir/page?x=1#top";
  assert.equal(resolveUrl("https://other.org/x", base), "https://other.org/x");
  assert.equal(resolveUrl("HTTPS://Other.ORG:443/X", base), "https://other.org/X");
  assert.equal(resolveUrl("//cdn.example.net/x", base), "http://cdn.example.net/x");
  assert.equal(resolveUrl("//cdn.example.net/x", "https://a/"), "https://cdn.example.net/x");
  assert.equal(resolveUrl("?q=2", base), "http://u:p@example.com:8080/dir/page?q=2");
  assert.equal(resolveUrl("../x", base), "http://u:p@example.com:8080/x");
  assert.equal(resolveUrl("next", base), "http://u:p@example.com:8080/dir/next");
  assert.equal(resolveUrl("/abs", base), "http://u:p@example.com:8080/abs");
  assert.equal(resolveUrl("/a", "http://h"), "http://h/a");
  assert.equal(resolveUrl("a", "http://h"), "http://h/a");
  assert.equal(resolveUrl("http://[::1]:9/z", base), "http://[::1]:9/z");
});

test("url - resolveUrl encodes a Location's spaces and non-ASCII", () => {
  assert.equal(resolveUrl("/a b/ü?q=x y", "http://h/"), "http://h/a%20b/%C3%BC?q=x%20y");
  assert.equal(resolveUrl("  /trimmed  ", "http://h/"), "http://h/trimmed");
  assert.equal(resolveUrl("/a%20b", "http://h/"), "http://h/a%20b");
});

test("url - resolveUrl rejects invalid targets with invalid_url", () => {
  const base = "http://h/a";
  const bad = ["ftp://h/x", "g:h", "mailto:x@y", "//", "///x", "http://h:99999/", "http://[::1/"];
  bad.push("/a\tb", "/a\u0000b");
  for (const ref of bad) {
    assertInvalid(() => resolveUrl(ref, base), JSON.stringify(ref));
  }
  assertInvalid(() => resolveUrl("x", "not a url"), "relative base");
});
