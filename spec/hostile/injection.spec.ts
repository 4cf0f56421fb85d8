// Header and request-line injection: CR, LF or NUL in a method, header name or value, URL path
// or query, cookie, basicAuth or a pathEncode result is refused before any byte is sent (the
// server sees no connection, or on an open Connection no byte), in every request shape. A
// redirect Location can never smuggle a header or a raw control into the next request line.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { get, request, connect, Pool } from "../../lib/index.ts";
import type { RequestOptions } from "../../lib/index.ts";
import { hansomRejection, rawServer, readRequests, sleep, within } from "./harness.ts";
import type { RawServer, ServerRequest } from "./harness.ts";

/** A server that counts the bytes it receives (and answers requests, for the redirect cases). */
let received = 0;
const requests: ServerRequest[] = [];
let redirectTo = "";
const srv: RawServer = await rawServer((s) => {
  s.on("data", (c: Buffer) => (received += c.length));
  readRequests(s, (r) => {
    requests.push(r);
    if (r.target === "/start")
      s.write(`HTTP/1.1 302 Found\r\nLocation: ${redirectTo}\r\nContent-Length: 0\r\n\r\n`, "latin1");
    else s.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
  });
});
after(() => srv.close());

type Bad = [string, { method?: string; path?: string; opts?: RequestOptions }, "invalid_header" | "invalid_url"];

const BAD: Bad[] = [
  ["CRLF in the method", { method: "GET /x HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET" }, "invalid_header"],
  ["LF in the method", { method: "GE\nT" }, "invalid_header"],
  ["NUL in the method", { method: "GET\0" }, "invalid_header"],
  ["a space in the method", { method: "GE T" }, "invalid_header"],
  ["CRLF in a header name", { opts: { headers: [["X-A\r\nX-Injected", "1"]] } }, "invalid_header"],
  ["a colon in a header name", { opts: { headers: [["X-A:X-Injected", "1"]] } }, "invalid_header"],
  ["NUL in a header name", { opts: { headers: [["X-A\0", "1"]] } }, "invalid_header"],
  ["an empty header name", { opts: { headers: [["", "1"]] } }, "invalid_header"],
  ["CRLF in a header value", { opts: { headers: { "x-a": "1\r\nX-Injected: 1" } } }, "invalid_header"],
  ["a bare CR in a header value", { opts: { headers: [["X-A", "1\rX-Injected: 1"]] } }, "invalid_header"],
  ["a bare LF in a header value", { opts: { headers: [["X-A", "1\nX-Injected: 1"]] } }, "invalid_header"],
  ["NUL in a header value", { opts: { headers: [["X-A", "a\0b"]] } }, "invalid_header"],
  ["CRLF in the Host header", { opts: { headers: [["Host", "a\r\nX-Injected: 1"]] } }, "invalid_header"],
  ["CRLF in the cookie option", { opts: { cookie: "a=1\r\nX-Injected: 1" } }, "invalid_header"],
  ["LF in one cookie of a list", { opts: { cookie: ["a=1", "b=2\nX-Injected: 1"] } }, "invalid_header"],
  ["NUL in the cookie option", { opts: { cookie: "a=\0" } }, "invalid_header"],
  ["CRLF in the basicAuth user", { opts: { basicAuth: ["us\r\ner", "pw"] } }, "invalid_header"],
  ["NUL in the basicAuth password", { opts: { basicAuth: ["user", "p\0w"] } }, "invalid_header"],
  ["CRLF in the URL path", { path: "/a\r\nX-Injected: 1\r\n\r\n" }, "invalid_url"],
  ["LF in the URL path", { path: "/a\nb" }, "invalid_url"],
  ["NUL in the URL path", { path: "/a\0b" }, "invalid_url"],
  ["CRLF in the query", { path: "/a?q=1\r\nX-Injected: 1" }, "invalid_url"],
  ["NUL in the query", { path: "/a?q=\0" }, "invalid_url"],
  ["a tab in the URL path", { path: "/a\tb" }, "invalid_url"],
];

/** The request shapes: plain, async events, streamed body, and an open Connection. */
const SHAPES: Array<[string, (method: string, url: string, opts: RequestOptions) => Promise<unknown>]> = [
  ["request()", (m, url, opts) => request(m, url, { ...opts, pool: new Pool() })],
  ["async: true", (m, url, opts) => request(m, url, { ...opts, pool: new Pool(), async: true })],
  ['body: "stream"', (m, url, opts) => request(m, url, { ...opts, pool: new Pool(), body: "stream" })],
  [
    "Connection.request()",
    async (m, url, opts) => {
      const conn = await connect(srv.url);
      const before = received;
      try {
        await conn.request(m, url.slice(srv.url.length), opts);
      } finally {
        await sleep(20);
        assert.equal(received, before, "bytes reached the server over the open Connection");
        await conn.close();
      }
    },
  ],
];

for (const [what, input, code] of BAD) {
  for (const [shape, send] of SHAPES) {
    test(`injection - ${what} is ${code} before any byte is sent (${shape})`, async () => {
      const accepted = srv.accepted;
      const before = received;
      const e = await hansomRejection(
        send(input.method ?? "GET", `${srv.url}${input.path ?? "/"}`, input.opts ?? {}),
        4000,
      );
      // A Connection has its socket open already; it must not carry a byte of the bad request.
      const allowed = shape === "Connection.request()" ? ["invalid_header", "invalid_url"] : [code];
      assert.ok(allowed.includes(e.code), `${e.code}: ${e.message}`);
      await sleep(20);
      if (shape !== "Connection.request()")
        assert.equal(srv.accepted, accepted, "a connection was opened for a request that must be refused");
      assert.equal(received, before, "bytes reached the server");
    });
  }
}

test("injection - pathEncode returning CRLF is refused before any byte is sent", async () => {
  const accepted = srv.accepted;
  const e = await hansomRejection(
    get(`${srv.url}/a`, { pool: new Pool(), pathEncode: () => "/a HTTP/1.1\r\nX-Injected: 1\r\n\r\n" }),
    4000,
  );
  assert.ok(
    e.code === "invalid_header" || e.code === "invalid_url" || e.code === "invalid_option",
    `${e.code}: ${e.message}`,
  );
  assert.equal(srv.accepted, accepted);
});

/** Locations a server may send, and whether following them is allowed at all. */
const LOCATIONS: string[] = [
  "/next%0D%0AX-Injected:%201",
  "/next%0d%0a%0d%0aGET%20/smuggled%20HTTP/1.1",
  "/next\tX-Injected: 1",
  "/next X-Injected: 1",
  "/next\x85X-Injected",
  "/next?q=%0D%0AX-Injected:%201",
  "//127.0.0.1:1/\tX",
];

for (const loc of LOCATIONS) {
  test(`injection - a redirect to ${JSON.stringify(loc)} cannot split the next request`, async () => {
    redirectTo = loc;
    requests.length = 0;
    const pool = new Pool();
    try {
      await within(
        get(`${srv.url}/start`, { pool, followRedirect: true }).then((r) => r.text()),
        4000,
        "the redirect",
      ).catch((e: { code?: string }) => {
        // Refusing an unusable Location is fine; anything but a HansomError is not.
        assert.ok(typeof e.code === "string", String(e));
      });
    } finally {
      await pool.close();
    }
    for (const r of requests) {
      assert.ok(!r.headers.some(([k]) => k === "x-injected"), `an injected header arrived: ${JSON.stringify(r.head)}`);
      assert.ok(
        !/[\x00-\x20\x7f-\xff]/.test(r.target),
        `a raw control or space in the request target: ${JSON.stringify(r.target)}`,
      );
      assert.ok(
        !r.target.includes("smuggled") || r.target.includes("%"),
        `a smuggled request line: ${JSON.stringify(r.head)}`,
      );
    }
    assert.ok(
      requests.length <= 2,
      `${requests.length} requests for one redirect: ${requests.map((r) => r.target).join(", ")}`,
    );
  });
}
