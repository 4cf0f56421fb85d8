import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CRLF,
  LAST_CHUNK,
  assertHeaderName,
  assertHeaderValue,
  chunkPrefix,
  encodeHead,
  isToken,
} from "../../lib/http1/encode.ts";
import type { RequestHeadInit } from "../../lib/http1/encode.ts";
import { HansomError } from "../../lib/errors.ts";

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");
const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);

function invalidHeader(fn: () => unknown, message: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof HansomError, String(e));
    assert.equal(e.code, "invalid_header");
    assert.match(e.message, message);
    return true;
  });
}

test("encode - request line and headers, in order and case, exact bytes", () => {
  const out = encodeHead({
    method: "GET",
    target: "/p?q=1&r=%20",
    headers: [
      ["Host", "example.com"],
      ["x-lower", "a b"],
      ["X-Dup", "1"],
      ["X-Dup", "2"],
      ["X-Empty", ""],
    ],
  });
  assert.ok(out instanceof Uint8Array);
  assert.equal(
    latin1(out),
    "GET /p?q=1&r=%20 HTTP/1.1\r\nHost: example.com\r\nx-lower: a b\r\nX-Dup: 1\r\nX-Dup: 2\r\nX-Empty: \r\n\r\n",
  );
});

test("encode - no headers, absolute-form and authority-form targets, extension methods", () => {
  assert.equal(latin1(encodeHead({ method: "OPTIONS", target: "*", headers: [] })), "OPTIONS * HTTP/1.1\r\n\r\n");
  assert.equal(
    latin1(encodeHead({ method: "GET", target: "http://a.example:8080/x", headers: [["Host", "a.example:8080"]] })),
    "GET http://a.example:8080/x HTTP/1.1\r\nHost: a.example:8080\r\n\r\n",
  );
  assert.equal(
    latin1(encodeHead({ method: "CONNECT", target: "[::1]:443", headers: [["Host", "[::1]:443"]] })),
    "CONNECT [::1]:443 HTTP/1.1\r\nHost: [::1]:443\r\n\r\n",
  );
  assert.equal(latin1(encodeHead({ method: "purge", target: "/", headers: [] })), "purge / HTTP/1.1\r\n\r\n");
});

test("encode - values up to U+00FF are Latin-1, wider values UTF-8, targets UTF-8", () => {
  const bytes = encodeHead({
    method: "GET",
    target: "/caf\u00e9",
    headers: [
      ["A", "\u00e9"],
      ["B", "\u00e9\u20ac"],
      ["C", "\t\u00ff"],
    ],
  });
  const s = latin1(bytes);
  assert.ok(s.startsWith("GET /caf\xc3\xa9 HTTP/1.1\r\n"), hex(bytes));
  assert.ok(s.includes("\r\nA: \xe9\r\n"), hex(bytes));
  assert.ok(s.includes("\r\nB: \xc3\xa9\xe2\x82\xac\r\n"), hex(bytes));
  assert.ok(s.endsWith("\r\nC: \t\xff\r\n\r\n"), hex(bytes));
  assert.equal(bytes.length, s.length);
});

test("encode - CR, LF and NUL in a header value are invalid_header, the value never shown", () => {
  const secret = "Bearer s3cr3t";
  for (const value of [`${secret}\r\nX-Injected: 1`, `${secret}\n`, `${secret}\r`, `${secret}\0`]) {
    const init: RequestHeadInit = {
      method: "GET",
      target: "/",
      headers: [
        ["Host", "h"],
        ["Authorization", value],
      ],
    };
    invalidHeader(() => encodeHead(init), /"Authorization"/);
    try {
      encodeHead(init);
    } catch (e) {
      assert.ok(!(e as Error).message.includes("s3cr3t"));
    }
    invalidHeader(() => assertHeaderValue("Authorization", value), /CR, LF and NUL/);
  }
  assert.doesNotThrow(() => assertHeaderValue("A", "tab\tand obs-text \u00ff and \u20ac"));
});

test("encode - header names that are not tokens are invalid_header", () => {
  for (const name of ["X-A\r\nInjected", "X A", "", "X:A", "X-A:", "X\0", "X\u00e9", "(x)", "x\u0100"]) {
    invalidHeader(() => encodeHead({ method: "GET", target: "/", headers: [[name, "v"]] }), /Invalid header name/);
    invalidHeader(() => assertHeaderName(name), /not an RFC 9110 token/);
  }
  assert.doesNotThrow(() => assertHeaderName("X-Custom_!#$%&'*+.^`|~09"));
});

test("encode - methods that are not tokens are invalid_header", () => {
  for (const method of ["GET\r\nX: y", "GET /", "", "G\u00c9T", "GET\0", "GE(T"]) {
    invalidHeader(() => encodeHead({ method, target: "/", headers: [] }), /Invalid request method/);
  }
});

test("encode - targets with CR, LF, NUL, space or controls are invalid_header", () => {
  for (const target of ["/a\r\nX: y", "/a\n", "/a b", "/a\0", "/a\tb", "/a\x7f", "/a\u0085", ""]) {
    invalidHeader(() => encodeHead({ method: "GET", target, headers: [] }), /Invalid request target/);
  }
  try {
    encodeHead({ method: "GET", target: "/?token=s3cr3t x", headers: [] });
  } catch (e) {
    assert.ok(!(e as Error).message.includes("s3cr3t"));
  }
});

test("encode - isToken accepts exactly the tchar set", () => {
  const tchars = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (let c = 0; c < 0x200; c++) {
    const ch = String.fromCharCode(c);
    assert.equal(isToken(ch), tchars.includes(ch), `char ${c}`);
  }
  assert.equal(isToken(""), false);
  assert.equal(isToken("GET"), true);
});

test("encode - chunk framing bytes", () => {
  assert.equal(latin1(chunkPrefix(1)), "1\r\n");
  assert.equal(latin1(chunkPrefix(15)), "f\r\n");
  assert.equal(latin1(chunkPrefix(255)), "ff\r\n");
  assert.equal(latin1(chunkPrefix(65536)), "10000\r\n");
  assert.equal(latin1(chunkPrefix(Number.MAX_SAFE_INTEGER)), "1fffffffffffff\r\n");
  for (const bad of [0, -1, 1.5, NaN, Infinity, 2 ** 53]) {
    assert.throws(() => chunkPrefix(bad), RangeError);
  }
  assert.equal(hex(CRLF), "0d 0a");
  assert.equal(latin1(LAST_CHUNK), "0\r\n\r\n");
});

test("encode - earlier results stay intact while later ones are encoded", () => {
  // Heads and prefixes may be views of a shared slab; none may overlap another.
  const heads: Array<[Uint8Array, string]> = [];
  for (let i = 0; i < 3000; i++) {
    const value = "v".repeat(i % 97);
    heads.push([
      encodeHead({ method: "GET", target: `/${i}`, headers: [["X-I", value]] }),
      `GET /${i} HTTP/1.1\r\nX-I: ${value}\r\n\r\n`,
    ]);
    heads.push([chunkPrefix(i + 1), `${(i + 1).toString(16)}\r\n`]);
  }
  for (const [bytes, expected] of heads) assert.equal(latin1(bytes), expected);
});
