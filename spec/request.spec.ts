import { test, after } from "node:test";
import assert from "node:assert/strict";
import { writeFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as hansom from "../lib/index.ts";
import { request, get, post, put, del, HansomError, Pool } from "../lib/index.ts";
import { httpServer, rawServer, readHead, readBody } from "./helpers/servers.ts";

const pool = new Pool({ maxConnections: 8 });
after(() => pool.close());

/** A server that answers every request with what it received. */
const echo = await httpServer(async (req, res) => {
  const body = await readBody(req);
  res.setHeader("content-type", "application/json");
  res.end(
    JSON.stringify({
      method: req.method,
      url: req.url,
      headers: req.headers,
      raw: req.rawHeaders,
      body: body.toString("latin1"),
    }),
  );
});
after(() => echo.close());

interface Echo {
  method: string;
  url: string;
  headers: Record<string, string>;
  raw: string[];
  body: string;
}
const echoOf = async (p: Promise<hansom.Response>): Promise<Echo> => (await p).json<Echo>();

/** Captures the raw request head bytes a client sends. */
async function captureHead(send: (url: string) => Promise<unknown>): Promise<{ head: string; rest: Buffer }> {
  let got!: { head: string; rest: Buffer };
  const srv = await rawServer(async (s) => {
    got = await readHead(s);
    await new Promise((r) => setTimeout(r, 20));
    s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
  });
  try {
    const res = (await send(srv.url)) as hansom.Response;
    await res.text();
    return got;
  } finally {
    await srv.close();
  }
}

test("request - the default export holds the same functions", () => {
  assert.equal(hansom.default.request, request);
  assert.equal(hansom.default.get, get);
  assert.equal(typeof hansom.default.del, "function");
});

test("request - method is case-insensitive; unknown tokens go as given", async () => {
  assert.equal((await echoOf(request("get", `${echo.url}/a`, { pool }))).method, "GET");
  assert.equal((await echoOf(request("PoSt", `${echo.url}/a`, { pool }))).method, "POST");
  const { head } = await captureHead((u) => request("PURGEx", `${u}/x`, { pool: false }));
  assert.match(head, /^PURGEx \/x HTTP\/1\.1\r\n/);
});

test("request - REST shortcuts send their method", async () => {
  assert.equal((await echoOf(put(`${echo.url}/`, { pool, body: "x" }))).method, "PUT");
  assert.equal((await echoOf(del(`${echo.url}/`, { pool }))).method, "DELETE");
  const h = await hansom.head(`${echo.url}/`, { pool });
  assert.equal(h.body, null);
  assert.equal((await echoOf(hansom.options(`${echo.url}/`, { pool }))).method, "OPTIONS");
  assert.equal((await echoOf(hansom.patch(`${echo.url}/`, { pool, body: "p" }))).method, "PATCH");
});

test("request - headers keep order and case; Host first; defaults after", async () => {
  const { head } = await captureHead((u) =>
    get(`${u}/p?q=1`, {
      pool: false,
      headers: [
        ["X-B", "2"],
        ["x-a", "1"],
        ["X-Dup", "a"],
        ["X-Dup", "b"],
      ],
    }),
  );
  const lines = head.split("\r\n");
  assert.equal(lines[0], "GET /p?q=1 HTTP/1.1");
  assert.match(lines[1]!, /^Host: 127\.0\.0\.1:\d+$/);
  assert.deepEqual(lines.slice(2, 6), ["X-B: 2", "x-a: 1", "X-Dup: a", "X-Dup: b"]);
  assert.ok(!/content-length|transfer-encoding/i.test(head), "a GET without body sends no framing header");
});

test("request - POST, PUT and PATCH with no body send Content-Length: 0", async () => {
  for (const m of ["POST", "PUT", "PATCH"]) {
    const { head } = await captureHead((u) => request(m, u, { pool: false }));
    assert.match(head, /\r\nContent-Length: 0(\r\n|$)/, m);
  }
  const { head } = await captureHead((u) => del(u, { pool: false }));
  assert.ok(!/content-length/i.test(head));
});

test("request - body kinds: length known -> Content-Length, else chunked", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hansom-"));
  try {
    const file = join(dir, "data.json");
    writeFileSync(file, '{"x":1}');
    const cases: Array<[string, hansom.RequestBody, string, RegExp | null]> = [
      ["string", "héllo", "héllo", null],
      ["Uint8Array", new Uint8Array([104, 105]), "hi", null],
      ["ArrayBuffer", new Uint8Array([104, 105]).buffer, "hi", null],
      ["iolist", ["a", new Uint8Array([98]), "c"], "abc", null],
      ["Blob", new Blob(["blob!"], { type: "text/x-blob" }), "blob!", /text\/x-blob/],
      [
        "URLSearchParams",
        new URLSearchParams([
          ["a", "1"],
          ["b", "x y"],
        ]),
        "a=1&b=x+y",
        /application\/x-www-form-urlencoded/,
      ],
      [
        "form",
        {
          form: [
            ["k", "v&w"],
            ["z", "1"],
          ],
        },
        "k=v%26w&z=1",
        /application\/x-www-form-urlencoded/,
      ],
      ["file", { file }, '{"x":1}', /application\/json/],
    ];
    for (const [name, body, expect, ct] of cases) {
      const e = await echoOf(post(`${echo.url}/`, { pool, body }));
      assert.equal(Buffer.from(e.body, "latin1").toString("utf8"), expect, name);
      assert.equal(e.headers["content-length"], String(Buffer.byteLength(expect)), name);
      assert.equal(e.headers["transfer-encoding"], undefined, name);
      if (ct) assert.match(e.headers["content-type"] ?? "", ct, name);
      else if (name !== "Blob") assert.equal(e.headers["content-type"], undefined, `${name} sends no Content-Type`);
    }
    const streams: Array<[string, () => hansom.RequestBody]> = [
      [
        "ReadableStream",
        () =>
          new ReadableStream<Uint8Array>({
            start(c) {
              c.enqueue(new TextEncoder().encode("s1"));
              c.enqueue(new TextEncoder().encode("s2"));
              c.close();
            },
          }),
      ],
      [
        "async iterable",
        () =>
          (async function* () {
            yield "a1";
            yield new Uint8Array([97, 50]);
          })(),
      ],
      ["sync iterable", () => new Set(["x1", "x2"])],
    ];
    for (const [name, make] of streams) {
      const e = await echoOf(post(`${echo.url}/`, { pool, body: make() }));
      assert.equal(e.headers["transfer-encoding"], "chunked", name);
      assert.equal(e.body.length, 4, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("request - a caller's Content-Type wins; a caller's Content-Length frames a stream", async () => {
  const e = await echoOf(post(`${echo.url}/`, { pool, body: "{}", headers: { "content-type": "application/json" } }));
  assert.equal(e.headers["content-type"], "application/json");
  const s = await echoOf(
    post(`${echo.url}/`, {
      pool,
      headers: { "Content-Length": "4" },
      body: (async function* () {
        yield "ab";
        yield "cd";
      })(),
    }),
  );
  assert.equal(s.headers["content-length"], "4");
  assert.equal(s.headers["transfer-encoding"], undefined);
  assert.equal(s.body, "abcd");
});

test("request - cookie list is one header; basicAuth and URL userinfo become Authorization", async () => {
  const e = await echoOf(get(`${echo.url}/`, { pool, cookie: ["a=1", "b=2"] }));
  assert.equal(e.headers["cookie"], "a=1; b=2");
  const b = await echoOf(get(`${echo.url}/`, { pool, basicAuth: ["us", "pä:ss"] }));
  assert.equal(b.headers["authorization"], `Basic ${Buffer.from("us:pä:ss").toString("base64")}`);
  const u = await echoOf(get(echo.url.replace("//", "//joe:p%40ss@") + "/", { pool }));
  assert.equal(u.headers["authorization"], `Basic ${Buffer.from("joe:p@ss").toString("base64")}`);
});

test("request - CR, LF or NUL anywhere is invalid_header before any connection", async () => {
  let accepted = 0;
  const srv = await rawServer((s) => {
    accepted++;
    s.destroy();
  });
  try {
    const bad: hansom.RequestOptions[] = [
      { headers: { "X-A": "v\r\nInjected: 1" } },
      { headers: [["X-A", "v\nx"]] },
      { headers: [["X-A", "v\0"]] },
      { headers: [["X A", "v"]] },
      { headers: [["X-A\r\nB", "v"]] },
      { cookie: "a=1\r\nX: y" },
      { cookie: ["a=1", "b\n=2"] },
      { basicAuth: ["u\r\n", "p"] },
    ];
    for (const opts of bad) {
      await assert.rejects(
        get(srv.url, { ...opts, pool: false }),
        (e: HansomError) => e instanceof HansomError && e.code === "invalid_header",
        JSON.stringify(opts),
      );
    }
    await assert.rejects(request("GE T", srv.url), { code: "invalid_header" });
    await assert.rejects(request("GET\r\n", srv.url), { code: "invalid_header" });
    await assert.rejects(request("", srv.url), { code: "invalid_header" });
    assert.equal(accepted, 0);
  } finally {
    await srv.close();
  }
});

test("request - invalid URLs and options reject with their codes", async () => {
  await assert.rejects(get("ftp://127.0.0.1/"), { code: "invalid_url" });
  await assert.rejects(get("not a url"), { code: "invalid_url" });
  await assert.rejects(get("http://127.0.0.1:99999/"), { code: "invalid_url" });
  await assert.rejects(get(`${echo.url}/`, { recvTimeout: -1 }), { code: "invalid_option" });
  await assert.rejects(get(`${echo.url}/`, { async: "twice" as "once" }), { code: "invalid_option" });
  await assert.rejects(get(`${echo.url}/`, { pool: {} as Pool }), { code: "invalid_option" });
});

test("request - connection refused is econnrefused", async () => {
  const srv = await rawServer(() => {});
  const url = srv.url;
  await srv.close();
  await assert.rejects(
    get(url, { pool: false }),
    (e: HansomError) => e.code === "econnrefused" && e.message.includes("GET"),
  );
});

test("request - pathEncode option and default RFC 3986 path encoding", async () => {
  assert.equal((await echoOf(get(`${echo.url}/a%20b/ü/[x]?x=1`, { pool }))).url, "/a%20b/%C3%BC/%5Bx%5D?x=1");
  assert.equal((await echoOf(get(`${echo.url}/keep%2Fme`, { pool }))).url, "/keep%2Fme");
  assert.equal((await echoOf(get(`${echo.url}/raw`, { pool, pathEncode: (p) => `${p}/extra` }))).url, "/raw/extra");
});

test("request - an aborted signal rejects with aborted, before and during", async () => {
  const ac = new AbortController();
  ac.abort(new Error("stop"));
  await assert.rejects(get(`${echo.url}/`, { signal: ac.signal, pool }), { code: "aborted" });
  const stall = await rawServer(() => {});
  try {
    const ac2 = new AbortController();
    const p = get(stall.url, { signal: ac2.signal, pool: false });
    setTimeout(() => ac2.abort(), 30);
    await assert.rejects(p, { code: "aborted" });
  } finally {
    await stall.close();
  }
});

test("request - onProgress reports upload and download with totals", async () => {
  const big = Array.from({ length: 5 }, () => new Uint8Array(60_000).fill(7));
  const seen: hansom.Progress[] = [];
  const res = await post(`${echo.url}/`, { pool, body: big, onProgress: (p) => seen.push({ ...p }) });
  await res.bytes();
  const up = seen.filter((p) => p.phase === "upload");
  const down = seen.filter((p) => p.phase === "download");
  assert.ok(up.length >= 2, "several upload reports");
  assert.deepEqual(up.at(-1), { phase: "upload", loaded: 300_000, total: 300_000 });
  assert.ok(down.length >= 1);
  assert.equal(down.at(-1)!.loaded, Number(res.headers.get("content-length")));
});

test("request - pool: false sends Connection: close and keeps nothing open", async () => {
  const before = echo.open();
  const e = await echoOf(get(`${echo.url}/`, { pool: false }));
  assert.equal(e.headers["connection"], "close");
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(echo.open(), before);
});

test("request - withBody reads the body before resolving; maxBody limits it", async () => {
  const res = await get(`${echo.url}/wb`, { pool, withBody: true });
  assert.equal((await res.json<Echo>()).url, "/wb");
  await assert.rejects(get(`${echo.url}/wb`, { pool, withBody: true, maxBody: 10 }), { code: "body_too_large" });
  assert.equal(pool.stats().inUse, 0);
});

test("request - IPv6 loopback", async (t) => {
  let srv: Awaited<ReturnType<typeof httpServer>> | undefined;
  try {
    srv = await httpServer((_req, res) => res.end("v6"), "::1");
  } catch {
    t.skip("no IPv6 loopback on this machine");
    return;
  }
  try {
    const res = await get(`${srv.url}/`, { pool: false });
    assert.equal(await res.text(), "v6");
    assert.equal(res.peer.family, "IPv6");
    assert.equal(res.peer.address, "::1");
  } finally {
    await srv.close();
  }
});

test("request - Infinity timeouts mean no timer, not an instant one", async () => {
  const res = await get(`${echo.url}/inf`, {
    pool,
    connectTimeout: Infinity,
    recvTimeout: Infinity,
    checkoutTimeout: Infinity,
  });
  assert.equal((await res.json<Echo>()).url, "/inf");
  const huge = await get(`${echo.url}/inf2`, { pool: false, connectTimeout: 2 ** 40 });
  assert.equal(huge.status, 200);
  await huge.text();
});

test("request - option values of the wrong type are invalid_option, URLs of the wrong type invalid_url", async () => {
  const cases: Array<[string, hansom.RequestOptions]> = [
    ["streamTo", { streamTo: {} as WritableStream }],
    ["onProgress", { onProgress: 5 as unknown as () => void }],
    ["signal", { signal: "x" as unknown as AbortSignal }],
    ["headers", { headers: 5 as unknown as HeadersInit }],
    ["cookie", { cookie: 5 as unknown as string }],
    ["followRedirect", { followRedirect: "yes" as unknown as boolean }],
    ["tls.minVersion", { tls: { minVersion: "bogus" as "TLSv1.2" } }],
    ["body chunk", { body: ["a", 5 as unknown as string] }],
  ];
  for (const [name, opts] of cases) {
    await assert.rejects(
      post(`${echo.url}/`, { pool, ...opts }),
      (e: HansomError) => e instanceof HansomError && e.code === "invalid_option",
      name,
    );
  }
  await assert.rejects(
    get(42 as unknown as string),
    (e: HansomError) => e instanceof HansomError && e.code === "invalid_url",
  );
  await assert.rejects(
    post(`${echo.url}/`, { pool, body: { multipart: [{ name: "x" } as unknown as hansom.Part] } }),
    HansomError,
  );
});

test("request - a raw space in the URL is sent as %20", async () => {
  assert.equal((await echoOf(get(`${echo.url}/a b?q=x y`, { pool }))).url, "/a%20b?q=x%20y");
});

test("request - the cookie option joins a caller's Cookie header: one header", async () => {
  const { head } = await captureHead((u) =>
    get(u, { pool: false, headers: { Cookie: "a=1" }, cookie: ["b=2", "c=3"] }),
  );
  assert.deepEqual(
    head.split("\r\n").filter((l) => /^cookie:/i.test(l)),
    ["Cookie: a=1; b=2; c=3"],
  );
});

test("request - upload progress ends on the byte count for a body of unknown length; download reports once at the end", async () => {
  const seen: hansom.Progress[] = [];
  const body = (async function* () {
    for (let i = 0; i < 20; i++) yield new Uint8Array(50_000);
  })();
  const res = await post(`${echo.url}/`, { pool, body, onProgress: (p) => seen.push({ ...p }) });
  await res.bytes();
  const up = seen.filter((p) => p.phase === "upload");
  assert.deepEqual(up.at(-1), { phase: "upload", loaded: 1_000_000, total: undefined });
  const down = seen.filter((p) => p.phase === "download").map((p) => p.loaded);
  assert.equal(new Set(down).size, down.length, "no repeated download count");
});
