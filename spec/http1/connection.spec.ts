// Http1Connection over an in-memory socket: what goes on the wire, how each response ends, the
// keep-alive verdict handed to Release, and flow control in both directions. The failure ends
// (EOF, errors, abort, timeouts, cancel, detach, 101) are in connection-ends.spec.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Http1Connection } from "../../lib/http1/connection.ts";
import type { ExchangeResult, RequestSpec } from "../../lib/exchange.ts";
import type { EncodedBody } from "../../lib/body.ts";
import { rejection } from "../helpers/errors.ts";
import { MemorySocket, RecordingSink, countedSignal, latin1, turn, within } from "../helpers/memory-socket.ts";

const _HEAD_GET = "GET / HTTP/1.1\r\nHost: example.test\r\n\r\n";

/** A RequestSpec for GET / on example.test, with `over` applied. */
function req(over: Partial<RequestSpec> = {}): RequestSpec {
  return {
    method: "GET",
    scheme: "http",
    authority: "example.test",
    path: "/",
    absoluteForm: false,
    headers: [],
    body: null,
    noBody: false,
    expectContinue: false,
    upgrade: false,
    lastRequest: false,
    recvTimeout: 0,
    maxHeaderSize: 65536,
    ...over,
  };
}

/** A body known up front (one chunk, replayable). */
function fixedBody(s: string): EncodedBody {
  const b = latin1(s);
  return { length: b.byteLength, open: () => [b], replayable: true };
}

/** A body produced by an async iterable, so it is written chunk by chunk after the head. */
function streamedBody(parts: string[], length: number | null): EncodedBody {
  return {
    length,
    replayable: false,
    async *open() {
      for (const p of parts) yield latin1(p);
    },
  };
}

/** A connection on a fresh MemorySocket; `verdicts` collects each Release's reusable flag. */
function setup() {
  const sock = new MemorySocket();
  const verdicts: boolean[] = [];
  const conn: Http1Connection = new Http1Connection("http://example.test:80", sock, (c, reusable) => {
    assert.equal(c, conn, "Release names the connection");
    verdicts.push(reusable);
  });
  return { sock, conn, verdicts };
}

/** Starts an exchange with a no-op catch attached (the spec awaits or inspects it later). */
function exchange(conn: Http1Connection, spec: RequestSpec): Promise<ExchangeResult> {
  const p = conn.exchange(spec);
  p.catch(() => {});
  return p;
}

/** Reads the whole body of `r` through a fresh sink. */
async function readAll(r: ExchangeResult): Promise<RecordingSink> {
  assert.ok(r.body, "a body source");
  const sink = new RecordingSink();
  r.body.read(sink);
  await within(sink.done, "the body");
  return sink;
}

/** One GET answered with `wire`, read to the end: the connection's state after it. */
async function roundTrip(
  conn: Http1Connection,
  sock: MemorySocket,
  wire: string,
  spec = req(),
): Promise<{ r: ExchangeResult; sink: RecordingSink | null }> {
  const p = exchange(conn, spec);
  await turn();
  sock.serverSend(wire);
  const r = await within(p, "the head");
  return { r, sink: r.body ? await readAll(r) : null };
}

test("http1 connection - a Content-Length body read through a sink; released reusable, the socket carries the next exchange", async () => {
  const { sock, conn, verdicts } = setup();
  assert.deepEqual([conn.idle, conn.active, conn.served, conn.closed, conn.capacity], [true, 0, 0, false, 1]);
  const p = exchange(conn, req({ path: "/a?x=1", headers: [["Accept", "text/plain"]] }));
  assert.deepEqual([conn.idle, conn.active], [false, 1]);
  assert.equal(sock.text(), "GET /a?x=1 HTTP/1.1\r\nHost: example.test\r\nAccept: text/plain\r\n\r\n");
  assert.equal(sock.paused, false, "reading while the head is awaited");
  assert.deepEqual(sock.refCalls, ["ref"]);
  await turn();
  sock.serverSend("HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nhello");
  const r = await within(p, "the head");
  assert.deepEqual(
    [r.head.status, r.head.statusText, r.head.httpVersion, r.head.contentLength],
    [200, "OK", "1.1", 11],
  );
  assert.deepEqual(r.head.rawHeaders, [["Content-Length", "11"]]);
  assert.equal(r.empty, false);
  assert.deepEqual(verdicts, [], "checked out until the body ends");
  const sink = new RecordingSink();
  r.body!.read(sink);
  assert.equal(sink.text, "hello", "bytes that came with the head");
  sock.serverSend(" world");
  await within(sink.done, "the body");
  assert.deepEqual([sink.text, sink.trailers, sink.ends], ["hello world", null, 1]);
  assert.deepEqual(verdicts, [true]);
  assert.deepEqual([conn.idle, conn.active, conn.served, conn.closed, sock.destroyCount], [true, 0, 1, false, 0]);

  const sent = sock.text().length;
  const p2 = exchange(conn, req({ method: "POST", path: "/b", body: fixedBody("abc") }));
  assert.equal(sock.text().slice(sent), "POST /b HTTP/1.1\r\nHost: example.test\r\nContent-Length: 3\r\n\r\nabc");
  await turn();
  sock.serverSend("HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok");
  const r2 = await within(p2, "the second head");
  assert.equal(r2.head.status, 201);
  assert.equal((await readAll(r2)).text, "ok");
  assert.deepEqual(verdicts, [true, true]);
  assert.deepEqual([conn.idle, conn.served, sock.destroyCount], [true, 2, 0]);
});

const FIXTURES: Array<[string, string, string, Array<[string, string]> | null]> = [
  ["a Content-Length body", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello", "hello", null],
  [
    "a chunked body with trailers",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n3\r\nabc\r\n2;ext=1\r\nde\r\n0\r\nX-Sum: 5\r\nX-More: y\r\n\r\n",
    "abcde",
    [
      ["X-Sum", "5"],
      ["X-More", "y"],
    ],
  ],
];

for (const [what, wire, body, trailers] of FIXTURES) {
  test(`http1 connection - ${what}, split at every point, ends the sink with its trailers`, async () => {
    for (let i = 1; i < wire.length; i++) {
      const { sock, conn, verdicts } = setup();
      const p = exchange(conn, req());
      const seen: { r: ExchangeResult | null } = { r: null };
      void p.then((v) => (seen.r = v));
      await turn();
      sock.serverSend(wire.slice(0, i));
      await turn();
      // A reader already waiting when the rest arrives, or one that comes after all of it.
      const sink = new RecordingSink();
      const early = seen.r;
      if (early) early.body!.read(sink);
      sock.serverSend(wire.slice(i));
      const res = await within(p, `the head (split at ${i})`);
      if (!early) res.body!.read(sink);
      await within(sink.done, `the body (split at ${i})`);
      assert.equal(sink.text, body, `split at ${i}`);
      assert.deepEqual(sink.trailers, trailers, `split at ${i}`);
      assert.deepEqual(verdicts, [true], `split at ${i}`);
      assert.equal(conn.served, 1);
    }
  });

  test(`http1 connection - ${what}, byte by byte, ends the sink with its trailers`, async () => {
    const { sock, conn, verdicts } = setup();
    const p = exchange(conn, req());
    await turn();
    const headEnd = wire.indexOf("\r\n\r\n") + 4;
    for (let i = 0; i < headEnd; i++) sock.serverSend(wire[i]!);
    const r = await within(p, "the head");
    assert.equal(r.head.contentLength, trailers ? null : body.length);
    const sink = new RecordingSink();
    r.body!.read(sink);
    for (let i = headEnd; i < wire.length; i++) sock.serverSend(wire[i]!);
    await within(sink.done, "the body");
    assert.deepEqual([sink.text, sink.trailers, verdicts], [body, trailers, [true]]);
  });
}

const BODILESS: Array<[string, RequestSpec, string]> = [
  ["204", req(), "HTTP/1.1 204 No Content\r\n\r\n"],
  ["304 with a Content-Length", req(), 'HTTP/1.1 304 Not Modified\r\nContent-Length: 12\r\nETag: "v1"\r\n\r\n'],
  [
    "HEAD with a Content-Length",
    req({ method: "HEAD", noBody: true }),
    "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n",
  ],
];

for (const [what, spec, wire] of BODILESS) {
  test(`http1 connection - ${what} completes at the head with body null`, async () => {
    const { sock, conn, verdicts } = setup();
    const { r } = await roundTrip(conn, sock, wire, spec);
    assert.deepEqual([r.body, r.empty], [null, false]);
    assert.deepEqual(verdicts, [true], "released before the head is handed over");
    assert.deepEqual([conn.idle, conn.served], [true, 1]);
    // No body bytes are waited for: the next response is the next exchange's.
    const next = await roundTrip(conn, sock, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz");
    assert.equal(next.sink!.text, "z");
    assert.deepEqual(verdicts, [true, true]);
  });
}

test("http1 connection - Content-Length: 0 is empty with body null, released reusable", async () => {
  const { sock, conn, verdicts } = setup();
  const { r } = await roundTrip(conn, sock, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  assert.deepEqual([r.body, r.empty, r.head.contentLength], [null, true, 0]);
  assert.deepEqual([verdicts, conn.idle, sock.destroyCount], [[true], true, 0]);
});

const CLOSING: Array<[string, string, string]> = [
  ["Connection: close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", "ok"],
  ["HTTP/1.0 without keep-alive", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", "ok"],
];

for (const [what, wire, body] of CLOSING) {
  test(`http1 connection - ${what} is not reusable and the socket is destroyed`, async () => {
    const { sock, conn, verdicts } = setup();
    const { sink } = await roundTrip(conn, sock, wire);
    assert.equal(sink!.text, body);
    assert.deepEqual(verdicts, [false]);
    assert.deepEqual([sock.destroyCount, conn.closed, conn.idle, conn.served], [1, true, false, 1]);
  });
}

test("http1 connection - HTTP/1.0 with Connection: keep-alive is reusable", async () => {
  const { sock, conn, verdicts } = setup();
  const { r } = await roundTrip(conn, sock, "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok");
  assert.equal(r.head.httpVersion, "1.0");
  assert.deepEqual([verdicts, sock.destroyCount, conn.idle], [[true], 0, true]);
});

test("http1 connection - a close-delimited body ends on EOF, not reusable, socket destroyed", async () => {
  const { sock, conn, verdicts } = setup();
  const p = exchange(conn, req());
  await turn();
  sock.serverSend("HTTP/1.1 200 OK\r\n\r\nabc");
  const r = await within(p, "the head");
  assert.equal(r.head.contentLength, null);
  const sink = new RecordingSink();
  r.body!.read(sink);
  sock.serverSend("def");
  await turn();
  assert.deepEqual([sink.ends, verdicts], [0, []], "the body goes on until EOF");
  sock.serverEnd();
  await within(sink.done, "the body");
  assert.deepEqual([sink.text, sink.trailers, sink.err], ["abcdef", null, null]);
  assert.deepEqual([verdicts, sock.destroyCount, conn.closed], [[false], 1, true]);
});

test("http1 connection - lastRequest sends Connection: close and is not reusable", async () => {
  const { sock, conn, verdicts } = setup();
  const { sink } = await roundTrip(
    conn,
    sock,
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    req({ lastRequest: true }),
  );
  assert.equal(sock.text(), "GET / HTTP/1.1\r\nHost: example.test\r\nConnection: close\r\n\r\n");
  assert.equal(sink!.text, "ok");
  assert.deepEqual([verdicts, sock.destroyCount, conn.closed], [[false], 1, true]);
});

const EXTRA: Array<[string, string[], boolean]> = [
  [
    "in the chunk that ends a body read later",
    ["HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokHTTP/1.1 200 OK\r\n\r\n"],
    false,
  ],
  ["in the chunk that ends a body being read", ["HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nok", "okX"], true],
  ["right after a 204 head", ["HTTP/1.1 204 No Content\r\n\r\nX"], false],
  ["right after a Content-Length: 0 head", ["HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nX"], false],
];

for (const [where, chunks, readFirst] of EXTRA) {
  test(`http1 connection - bytes past the end of the response (${where}) make it not reusable`, async () => {
    const { sock, conn, verdicts } = setup();
    const p = exchange(conn, req());
    await turn();
    sock.serverSend(chunks[0]!);
    const r = await within(p, "the head");
    const sink = new RecordingSink();
    if (r.body && readFirst) r.body.read(sink);
    for (const c of chunks.slice(1)) sock.serverSend(c);
    if (r.body && !readFirst) r.body.read(sink);
    if (r.body) {
      await within(sink.done, "the body");
      assert.equal(sink.err, null, "the response itself stands");
    }
    assert.deepEqual([verdicts, sock.destroyCount, conn.closed], [[false], 1, true]);
  });
}

test("http1 connection - a response head before the body was sent (writes never drain): the response stands, not reusable", async () => {
  const { sock, conn, verdicts } = setup();
  sock.blockWrites();
  const p = exchange(conn, req({ method: "PUT", body: streamedBody(["hel", "lo"], 5) }));
  await turn();
  const head = "PUT / HTTP/1.1\r\nHost: example.test\r\nContent-Length: 5\r\n\r\n";
  assert.equal(sock.text(), head, "the body waits for drain");
  sock.serverSend("HTTP/1.1 413 Content Too Large\r\nContent-Length: 4\r\n\r\nbig!");
  const r = await within(p, "the head");
  assert.equal(r.head.status, 413);
  const sink = await readAll(r);
  assert.deepEqual([sink.text, sink.err], ["big!", null]);
  assert.deepEqual([verdicts, sock.destroyCount], [[false], 1]);
  await turn();
  assert.equal(sock.text(), head, "no body byte was written");
});

test("http1 connection - a drained write backpressure sends the whole body and the socket is reused", async () => {
  const { sock, conn, verdicts } = setup();
  sock.blockWrites();
  const p = exchange(conn, req({ method: "PUT", body: streamedBody(["hel", "lo"], null) }));
  await turn();
  const head = "PUT / HTTP/1.1\r\nHost: example.test\r\nTransfer-Encoding: chunked\r\n\r\n";
  assert.equal(sock.text(), head);
  sock.releaseDrain();
  await turn();
  assert.equal(sock.text(), `${head}3\r\nhel\r\n2\r\nlo\r\n0\r\n\r\n`);
  sock.serverSend("HTTP/1.1 204 No Content\r\n\r\n");
  await within(p, "the head");
  assert.deepEqual([verdicts, sock.destroyCount], [[true], 0]);
});

test("http1 connection - Expect: 100-continue writes the body only after 100 Continue", async () => {
  const { sock, conn, verdicts } = setup();
  const p = exchange(
    conn,
    req({ method: "POST", headers: [["Expect", "100-continue"]], body: fixedBody("hello"), expectContinue: true }),
  );
  const head = "POST / HTTP/1.1\r\nHost: example.test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(sock.text(), head, "the body waits for 100 Continue");
  sock.serverSend("HTTP/1.1 100 Continue\r\n\r\n");
  await turn();
  assert.equal(sock.text(), `${head}hello`);
  sock.serverSend("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  const r = await within(p, "the head");
  assert.deepEqual([r.head.status, r.empty], [200, true]);
  assert.deepEqual([verdicts, sock.destroyCount], [[true], 0]);
});

test("http1 connection - Expect: 100-continue answered by a final status never writes the body, not reusable", async () => {
  const { sock, conn, verdicts } = setup();
  const p = exchange(
    conn,
    req({ method: "POST", headers: [["Expect", "100-continue"]], body: fixedBody("hello"), expectContinue: true }),
  );
  const head = "POST / HTTP/1.1\r\nHost: example.test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n";
  await turn();
  sock.serverSend("HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n");
  const r = await within(p, "the head");
  assert.equal(r.head.status, 417);
  assert.deepEqual([verdicts, sock.destroyCount], [[false], 1]);
  // Past the 1000 ms the gate would otherwise wait before sending anyway.
  await new Promise((r) => setTimeout(r, 1100));
  assert.equal(sock.text(), head);
});

const IDLE_ENDS: Array<[string, (s: MemorySocket) => void]> = [
  ["bytes arrive", (s) => s.serverSend("HTTP/1.1 200 OK\r\n\r\n")],
  ["EOF arrives", (s) => s.serverEnd()],
  ["the socket fails", (s) => s.serverError()],
];

for (const [what, stage] of IDLE_ENDS) {
  test(`http1 connection - ${what} while idle: the idle callback fires and the socket is destroyed`, async () => {
    const { sock, conn, verdicts } = setup();
    await roundTrip(conn, sock, "HTTP/1.1 204 No Content\r\n\r\n");
    let fired = 0;
    conn.watchIdle(() => fired++);
    assert.deepEqual(sock.refCalls, ["ref", "unref"], "an idle socket does not hold the process");
    assert.equal(sock.paused, false, "an idle socket is read");
    stage(sock);
    assert.deepEqual([fired, sock.destroyCount, conn.closed, conn.idle], [1, 1, true, false]);
    assert.deepEqual(verdicts, [true], "no second release: the idle connection is not checked out");
    assert.equal((await rejection(conn.exchange(req()))).code, "closed");
  });
}

test("http1 connection - the idle callback is dropped once the next exchange starts", async () => {
  const { sock, conn } = setup();
  await roundTrip(conn, sock, "HTTP/1.1 204 No Content\r\n\r\n");
  let fired = 0;
  conn.watchIdle(() => fired++);
  const p = exchange(conn, req());
  assert.deepEqual(sock.refCalls, ["ref", "unref", "ref"]);
  await turn();
  sock.serverEnd();
  await rejection(p);
  assert.equal(fired, 0);
});

test("http1 connection - maxHeaderSize holds per exchange on one connection", async () => {
  const { sock, conn, verdicts } = setup();
  const long = `HTTP/1.1 200 OK\r\nX-Long: ${"a".repeat(200)}\r\nContent-Length: 0\r\n\r\n`;
  await roundTrip(conn, sock, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", req({ maxHeaderSize: 100 }));
  const { r } = await roundTrip(conn, sock, long);
  assert.equal(r.head.status, 200, "the default limit is back on the next exchange");
  assert.deepEqual(verdicts, [true, true]);
  const p = exchange(conn, req({ maxHeaderSize: 100 }));
  await turn();
  sock.serverSend(long);
  const err = await rejection(within(p, "the head"));
  assert.equal(err.code, "bad_response");
  assert.match(err.message, /maxHeaderSize/);
  assert.deepEqual([verdicts, sock.destroyCount], [[true, true, false], 1]);
});

test("http1 connection - a sink whose data() returns false stops delivery and the socket pauses", async () => {
  const { sock, conn, verdicts } = setup();
  const CHUNK = 16384;
  const total = 12 * CHUNK + 3392;
  const p = exchange(conn, req());
  await turn();
  sock.serverSend(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
  const r = await within(p, "the head");
  const sink = new RecordingSink();
  sink.accept = false;
  r.body!.read(sink);
  for (let k = 1; k <= 12; k++) {
    sock.serverSend(new Uint8Array(CHUNK).fill(k));
    assert.equal(sink.chunks.length, 1, `after chunk ${k}: only the first was delivered`);
    // Held raw: (k - 1) chunks; the socket pauses once that reaches 64 KiB.
    assert.equal(sock.paused, k >= 5, `after chunk ${k}`);
  }
  sock.serverSend(new Uint8Array(3392).fill(13));
  assert.ok(sock.heldBytes >= 3392, "the paused socket holds what the peer sends");
  r.body!.read(sink);
  assert.equal(sink.chunks.length, 2, "one read, one chunk, then the sink says stop again");
  sink.accept = true;
  r.body!.read(sink);
  await within(sink.done, "the body");
  const got = sink.chunks.reduce((n, c) => n + c.byteLength, 0);
  assert.equal(got, total);
  assert.deepEqual([sink.chunks[0]![0], sink.chunks[sink.chunks.length - 1]![0]], [1, 13], "in order");
  assert.deepEqual([verdicts, conn.idle], [[true], true]);
});

test("http1 connection - every normal ending removes the abort listener", async () => {
  const { sock, conn } = setup();
  const wires = [
    "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n",
    "HTTP/1.1 204 No Content\r\n\r\n",
    "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
    "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nok",
  ];
  for (const wire of wires) {
    const s = countedSignal();
    const p = exchange(conn, req({ signal: s.signal }));
    assert.equal(s.listeners(), 1, "listening while in flight");
    await turn();
    sock.serverSend(wire);
    const r = await within(p, "the head");
    if (wire.includes("close")) sock.serverEnd();
    if (r.body) await readAll(r);
    assert.equal(s.listeners(), 0, wire);
  }
  assert.equal(conn.served, 5);
});
