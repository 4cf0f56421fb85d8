import { test, after } from "node:test";
import assert from "node:assert/strict";
import type * as net from "node:net";
import { get, head, request, Pool, HansomError } from "../lib/index.ts";
import { httpServer, rawServer, readHead, sleep } from "./helpers/servers.ts";

const pool = new Pool({ maxConnections: 4 });
after(() => pool.close());

/** A raw server that answers each request with `reply` (bytes written as given, in pieces). */
async function scripted(reply: (s: net.Socket) => Promise<void> | void) {
  return rawServer(async (s) => {
    s.on("error", () => {});
    await readHead(s);
    await reply(s);
  });
}

const BODY = "The quick brown fox jumps over the lazy dog";

test("response - a reply written one byte at a time", async () => {
  const wire = `HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\nX-Case: Kept\r\n\r\n${BODY}`;
  const srv = await scripted(async (s) => {
    for (const ch of wire) {
      s.write(ch);
      await sleep(0);
    }
  });
  try {
    const res = await get(srv.url, { pool });
    assert.equal(res.status, 200);
    assert.equal(res.statusText, "OK");
    assert.deepEqual(res.rawHeaders, [
      ["Content-Length", String(BODY.length)],
      ["X-Case", "Kept"],
    ]);
    assert.equal(res.headers.get("x-case"), "Kept");
    assert.equal(await res.text(), BODY);
  } finally {
    await srv.close();
  }
});

test("response - chunked body with extensions and trailers", async () => {
  const srv = await scripted((s) => {
    s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n");
    s.write("5;ext=1\r\nhello\r\n");
    s.write("6\r\n world\r\n0\r\nX-Sum: 11\r\n\r\n");
  });
  try {
    const res = await get(srv.url, { pool });
    assert.equal(await res.text(), "hello world");
    assert.deepEqual(res.trailers, [["X-Sum", "11"]]);
  } finally {
    await srv.close();
  }
});

test("response - HTTP/1.0 close-delimited body", async () => {
  const srv = await scripted((s) => {
    s.end("HTTP/1.0 200 OK\r\nX: 1\r\n\r\nuntil the end");
  });
  try {
    const res = await get(srv.url, { pool });
    assert.equal(res.httpVersion, "1.0");
    assert.equal(await res.text(), "until the end");
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await srv.close();
  }
});

test("response - 1xx interim responses are skipped", async () => {
  const srv = await scripted((s) => {
    s.write("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>; rel=preload\r\n\r\n");
    s.write("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  });
  try {
    const res = await get(srv.url, { pool });
    assert.equal(res.status, 201);
    assert.equal(await res.text(), "ok");
  } finally {
    await srv.close();
  }
});

test("response - HEAD, 204 and 304 have no body whatever the headers say", async () => {
  const srv = await rawServer(async (s) => {
    s.on("error", () => {});
    for (;;) {
      const { head: h } = await readHead(s);
      const path = h.split(" ")[1];
      const status = path === "/204" ? "204 No Content" : path === "/304" ? "304 Not Modified" : "200 OK";
      s.write(`HTTP/1.1 ${status}\r\nContent-Length: 5\r\n\r\n`);
    }
  });
  try {
    for (const [m, p] of [
      ["HEAD", "/h"],
      ["GET", "/204"],
      ["GET", "/304"],
    ] as const) {
      const res = await request(m, `${srv.url}${p}`, { pool });
      assert.equal(res.body, null, `${m} ${p}`);
      assert.equal(await res.text(), "");
    }
    assert.equal(srv.accepted, 1, "the connection was reused across bodiless responses");
  } finally {
    await srv.close();
  }
});

test("response - a server closing mid-body: closed with exactly the bytes sent", async () => {
  const srv = await scripted((s) => {
    s.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n");
    s.end("0123456789");
  });
  try {
    const res = await get(srv.url, { pool });
    const err = await res.bytes().then(
      () => null,
      (e: HansomError) => e,
    );
    assert.ok(err instanceof HansomError);
    assert.equal(err.code, "closed");
    assert.equal(new TextDecoder().decode(err.partialBody), "0123456789");
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await srv.close();
  }
});

test("response - a stalled server: recv_timeout, for the head and for the body", async () => {
  const stall = await scripted(() => {});
  const slowBody = await scripted((s) => {
    s.write("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  });
  try {
    const t0 = Date.now();
    await assert.rejects(
      get(stall.url, { pool, recvTimeout: 150 }),
      (e: HansomError) => e.code === "recv_timeout" && /recvTimeout/.test(e.message),
    );
    assert.ok(Date.now() - t0 >= 140);
    const res = await get(slowBody.url, { pool, recvTimeout: 150 });
    await assert.rejects(res.text(), { code: "recv_timeout" });
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await stall.close();
    await slowBody.close();
  }
});

test("response - bad responses are bad_response and the socket is dropped", async () => {
  const replies = [
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nab",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    "HTTP/9.9 200 OK\r\n\r\n",
    "garbage\r\n\r\n",
  ];
  for (const wire of replies) {
    const srv = await scripted((s) => {
      s.write(wire);
    });
    try {
      const err = await get(srv.url, { pool })
        .then((r) => r.text())
        .then(
          () => null,
          (e: HansomError) => e,
        );
      assert.equal(err?.code, "bad_response", JSON.stringify(wire));
      await sleep(10);
      assert.equal(srv.open(), 0, "socket closed after a parse error");
      assert.equal(pool.stats().inUse, 0);
      assert.equal(pool.stats().free, 0);
    } finally {
      await srv.close();
    }
  }
});

test("response - the body is read once; a second read is body_used", async () => {
  const srv = await httpServer((_req, res) => res.end("once"));
  try {
    const res = await get(srv.url, { pool });
    assert.equal(await res.text(), "once");
    await assert.rejects(res.text(), { code: "body_used" });
    await assert.rejects(res.bytes(), { code: "body_used" });
    assert.throws(() => res[Symbol.asyncIterator](), { code: "body_used" });
    const r2 = await get(srv.url, { pool });
    for await (const _ of r2);
    await assert.rejects(r2.skip(), { code: "body_used" });
  } finally {
    await srv.close();
  }
});

test("response - bytes/text/json/arrayBuffer, maxLength, and invalid JSON", async () => {
  const srv = await httpServer((req, res) => res.end(req.url === "/bad" ? "{nope" : '{"a":[1,2]}'));
  try {
    assert.deepEqual(await (await get(srv.url, { pool })).json(), { a: [1, 2] });
    const ab = await (await get(srv.url, { pool })).arrayBuffer();
    assert.ok(ab instanceof ArrayBuffer);
    assert.equal(ab.byteLength, 11);
    assert.equal((await (await get(srv.url, { pool })).bytes()).byteLength, 11);
    await assert.rejects((await get(srv.url, { pool })).text({ maxLength: 5 }), { code: "body_too_large" });
    const err = await (await get(`${srv.url}/bad`, { pool })).json().then(
      () => null,
      (e: HansomError) => e,
    );
    assert.equal(err?.code, "bad_response");
    assert.ok(err?.cause instanceof SyntaxError);
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await srv.close();
  }
});

test("response - maxBody limits every way of reading", async () => {
  const srv = await httpServer((_req, res) => res.end("x".repeat(5000)));
  try {
    await assert.rejects((await get(srv.url, { pool, maxBody: 100 })).bytes(), { code: "body_too_large" });
    const it = await get(srv.url, { pool, maxBody: 100 });
    await assert.rejects(
      (async () => {
        for await (const _ of it);
      })(),
      { code: "body_too_large" },
    );
    const st = await get(srv.url, { pool, maxBody: 100 });
    await assert.rejects(new Response(st.body).text());
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await srv.close();
  }
});

test("response - skip() and full reads return the socket before resolving; close() drops it", async () => {
  const srv = await httpServer((_req, res) => res.end("y".repeat(100_000)));
  const p = new Pool({ maxConnections: 2 });
  try {
    const a = await get(srv.url, { pool: p });
    assert.equal(p.stats().inUse, 1);
    await a.skip();
    assert.deepEqual([p.stats().inUse, p.stats().free], [0, 1]);
    const b = await get(srv.url, { pool: p });
    await b.text();
    assert.equal(p.stats().inUse, 0);
    const c = await get(srv.url, { pool: p });
    await c.close();
    assert.deepEqual([p.stats().inUse, p.stats().free], [0, 0]);
    const d = await get(srv.url, { pool: p });
    for await (const _ of d);
    assert.equal(p.stats().inUse, 0);
    {
      await using e = await get(srv.url, { pool: p });
      assert.equal(e.status, 200);
    }
    assert.equal(p.stats().inUse, 0);
    // a, b, c share the first socket (c's close drops it); d and e share the second.
    assert.equal(srv.accepted, 2);
  } finally {
    await p.close();
    await srv.close();
  }
});

test("response - body is a ReadableStream that pipes through a TransformStream", async () => {
  const srv = await httpServer((_req, res) => res.end("abc"));
  try {
    const res = await get(srv.url, { pool });
    const upper = res
      .body!.pipeThrough(new TextDecoderStream())
      .pipeThrough(new TransformStream<string, string>({ transform: (c, ctl) => ctl.enqueue(c.toUpperCase()) }));
    let out = "";
    for await (const c of upper) out += c;
    assert.equal(out, "ABC");
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await srv.close();
  }
});

test("response - info(), peer and local", async () => {
  const srv = await httpServer((_req, res) => res.end("i"));
  try {
    const res = await get(`${srv.url}/info?x=1`, { pool: new Pool() });
    await res.text();
    const info = res.info();
    assert.equal(info.method, "GET");
    assert.equal(info.url, `${srv.url}/info?x=1`);
    assert.equal(info.status, 200);
    assert.equal(info.httpVersion, "1.1");
    assert.equal(info.reused, false);
    assert.equal(info.redirects, 0);
    assert.equal(info.peer.port, srv.port);
    assert.equal(res.peer.address, "127.0.0.1");
    assert.equal(res.local.family, "IPv4");
    assert.ok(
      info.timings.connect !== undefined && info.timings.firstByte !== undefined && info.timings.total !== undefined,
    );
  } finally {
    await srv.close();
  }
});

test("response - a 256 MiB body streams through with flat memory", { timeout: 60_000 }, async () => {
  const SIZE = 256 * 1024 * 1024;
  const block = Buffer.alloc(1024 * 1024, 1);
  const srv = await httpServer((_req, res) => {
    res.setHeader("content-length", SIZE);
    let sent = 0;
    const pump = (): void => {
      while (sent < SIZE) {
        sent += block.length;
        if (!res.write(block)) return void res.once("drain", pump);
      }
      res.end();
    };
    pump();
  });
  try {
    const res = await head(srv.url, { pool }).then(() => get(srv.url, { pool }));
    const rss0 = process.memoryUsage().rss;
    let n = 0;
    let peak = 0;
    for await (const c of res) {
      n += c.byteLength;
      if ((n & 0xffffff) < c.byteLength) {
        // Bun collects lazily: without a collection its RSS holds garbage the reader let go of.
        (globalThis as { Bun?: { gc(force: boolean): void } }).Bun?.gc(true);
        peak = Math.max(peak, process.memoryUsage().rss - rss0);
      }
    }
    assert.equal(n, SIZE);
    // Garbage the GC has not collected yet counts in RSS too, so the bound is loose; a reader
    // that kept the body would pass 256 MiB.
    assert.ok(peak < 160 * 1024 * 1024, `memory grew by ${Math.round(peak / 1048576)} MiB for a 256 MiB body`);
  } finally {
    await srv.close();
  }
});

test("response - abandoning a response without reading it still frees the socket on close()", async () => {
  const srv = await httpServer((_req, res) => res.end("z".repeat(10)));
  const p = new Pool({ maxConnections: 1, checkoutTimeout: 500 });
  try {
    const a = await get(srv.url, { pool: p });
    assert.equal(a.status, 200);
    await a.close();
    const b = await get(srv.url, { pool: p });
    assert.equal(await b.text(), "zzzzzzzzzz");
  } finally {
    await p.close();
    await srv.close();
  }
});

test("response - a streaming reader also gets partialBody when the server closes mid-body", async () => {
  const srv = await scripted(async (s) => {
    s.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
    await sleep(20);
    s.end("defg");
  });
  try {
    const res = await get(srv.url, { pool });
    let seen = "";
    const err = await (async () => {
      for await (const c of res) seen += new TextDecoder().decode(c);
    })().then(
      () => null,
      (e: HansomError) => e,
    );
    assert.equal(err?.code, "closed");
    assert.equal(seen, "abcdefg".slice(0, seen.length));
    assert.equal(new TextDecoder().decode(err!.partialBody), "abcdefg", "every byte received, delivered or not");
  } finally {
    await srv.close();
  }
});

test("response - body after another reader, or after close(), fails with body_used", async () => {
  const srv = await httpServer((_req, res) => res.end("x".repeat(7)));
  try {
    const a = await get(srv.url, { pool });
    await a.text();
    await assert.rejects(a.body!.getReader().read(), { code: "body_used" });
    const b = await get(srv.url, { pool });
    await b.close();
    assert.notEqual(b.body, null, "close() does not turn the body into 'no body'");
    await assert.rejects(b.body!.getReader().read(), { code: "body_used" });
    const c = await get(srv.url, { pool, maxBody: 2 });
    await c.skip();
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await srv.close();
  }
});
