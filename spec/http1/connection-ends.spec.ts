// Http1Connection over an in-memory socket, the ends other than a complete response: EOF, socket
// and parse errors, abort, recvTimeout, cancel, detach and 101. Each checks the exchange's
// outcome, the Release verdict, what happened to the socket and that the abort listener is gone.
import { test } from "node:test";
import assert from "node:assert/strict";
import { Http1Connection } from "../../lib/http1/connection.ts";
import { failedBeforeResponse } from "../../lib/exchange.ts";
import type { ExchangeResult, RequestSpec } from "../../lib/exchange.ts";
import { HansomError } from "../../lib/errors.ts";
import { rejection } from "../helpers/errors.ts";
import { MemorySocket, RecordingSink, countedSignal, latin1Text, turn, within } from "../helpers/memory-socket.ts";

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

/** Starts an exchange (with a no-op catch, the spec inspects it later) and lets its send run. */
async function start(conn: Http1Connection, spec: RequestSpec): Promise<{ p: Promise<ExchangeResult> }> {
  const p = conn.exchange(spec);
  p.catch(() => {});
  await turn();
  return { p };
}

/** A completed 204 on `conn`, so the next exchange is on a reused connection. */
async function serveOne(conn: Http1Connection, sock: MemorySocket): Promise<void> {
  const { p } = await start(conn, req());
  sock.serverSend("HTTP/1.1 204 No Content\r\n\r\n");
  await within(p, "the 204");
  assert.equal(conn.served, 1);
}

/** The head of a started exchange answered with `wire`, a sink reading its body. */
async function midBody(
  conn: Http1Connection,
  sock: MemorySocket,
  spec: RequestSpec,
  wire = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc",
) {
  const { p } = await start(conn, spec);
  sock.serverSend(wire);
  const r = await within(p, "the head");
  const sink = new RecordingSink();
  r.body!.read(sink);
  assert.equal(sink.text, "abc");
  return { r, sink };
}

/** The connection was given up: released once, not reusable, socket destroyed, not idle. */
function assertDropped(conn: Http1Connection, sock: MemorySocket, verdicts: boolean[], before: boolean[] = []): void {
  assert.deepEqual(verdicts, [...before, false], "released not reusable");
  assert.equal(sock.destroyCount, 1, "socket destroyed");
  assert.deepEqual([conn.closed, conn.idle, conn.active], [true, false, 0]);
}

test("http1 connection - EOF mid-body errors the sink with code closed, not reusable", async () => {
  const { sock, conn, verdicts } = setup();
  const s = countedSignal();
  const { sink } = await midBody(conn, sock, req({ signal: s.signal }));
  sock.serverEnd();
  await within(sink.done, "the sink");
  assert.equal(sink.err?.code, "closed");
  assert.equal(sink.ends, 1);
  assertDropped(conn, sock, verdicts);
  assert.deepEqual([conn.served, s.listeners()], [0, 0]);
});

test("http1 connection - EOF while the body waits unread: the reader gets the bytes, then closed", async () => {
  const { sock, conn, verdicts } = setup();
  const { p } = await start(conn, req());
  sock.serverSend("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  const r = await within(p, "the head");
  sock.serverEnd();
  assert.deepEqual(verdicts, [], "acted on once the buffered bytes are read");
  const sink = new RecordingSink();
  r.body!.read(sink);
  await within(sink.done, "the sink");
  assert.deepEqual([sink.text, sink.err?.code], ["abc", "closed"]);
  assertDropped(conn, sock, verdicts);
});

test("http1 connection - a close-delimited body with its EOF in before the read ends normally, not reusable", async () => {
  const { sock, conn, verdicts } = setup();
  const { p } = await start(conn, req());
  sock.serverSend("HTTP/1.1 200 OK\r\n\r\nabc");
  sock.serverEnd();
  const r = await within(p, "the head");
  const sink = new RecordingSink();
  r.body!.read(sink);
  await within(sink.done, "the sink");
  assert.deepEqual([sink.text, sink.err, sink.trailers], ["abc", null, null]);
  assertDropped(conn, sock, verdicts);
});

// The peer's EOF came while a complete Content-Length body sat unread. The socket reports an
// EOF once, so a connection handed back idle would never see it again (watchIdle stays
// silent) and the next request would go to a peer that has closed.
test("http1 connection - EOF after a complete body nobody has read yet: the response stands, not reusable", async () => {
  const { sock, conn, verdicts } = setup();
  const { p } = await start(conn, req());
  sock.serverSend("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
  const r = await within(p, "the head");
  sock.serverEnd();
  const sink = new RecordingSink();
  r.body!.read(sink);
  await within(sink.done, "the sink");
  assert.deepEqual([sink.text, sink.err], ["ok", null]);
  assertDropped(conn, sock, verdicts);
});

test("http1 connection - EOF before any byte on a reused connection is failedBeforeResponse", async () => {
  const { sock, conn, verdicts } = setup();
  await serveOne(conn, sock);
  const { p } = await start(conn, req());
  sock.serverEnd();
  const err = await rejection(within(p, "the exchange"));
  assert.equal(err.code, "closed");
  assert.equal(failedBeforeResponse(err), true, "the stale keep-alive race: safe to retry");
  assertDropped(conn, sock, verdicts, [true]);
});

test("http1 connection - EOF before any byte on a fresh connection is not failedBeforeResponse", async () => {
  const { sock, conn, verdicts } = setup();
  const { p } = await start(conn, req());
  sock.serverEnd();
  const err = await rejection(within(p, "the exchange"));
  assert.equal(err.code, "closed");
  assert.equal(failedBeforeResponse(err), false);
  assertDropped(conn, sock, verdicts);
});

test("http1 connection - EOF after part of a head on a reused connection is not failedBeforeResponse", async () => {
  const { sock, conn, verdicts } = setup();
  await serveOne(conn, sock);
  const { p } = await start(conn, req());
  sock.serverSend("HTTP/1.1 200");
  sock.serverEnd();
  const err = await rejection(within(p, "the exchange"));
  assert.equal(err.code, "closed");
  assert.equal(failedBeforeResponse(err), false, "a response had begun");
  assertDropped(conn, sock, verdicts, [true]);
});

test("http1 connection - a socket error mid-head rejects with it, not reusable", async () => {
  const { sock, conn, verdicts } = setup();
  const { p } = await start(conn, req());
  sock.serverSend("HTTP/1.1 200 OK\r\n");
  const reset = new HansomError("econnreset", "Connection reset by peer");
  sock.serverError(reset);
  assert.equal(await rejection(within(p, "the exchange")), reset);
  assert.deepEqual(verdicts, [false]);
  assert.deepEqual([conn.closed, conn.idle], [true, false]);
});

test("http1 connection - a bad status line rejects bad_response, socket destroyed, not reusable", async () => {
  const { sock, conn, verdicts } = setup();
  const s = countedSignal();
  const { p } = await start(conn, req({ signal: s.signal }));
  sock.serverSend("HTTP/1.1 2x0 OK\r\n\r\n");
  const err = await rejection(within(p, "the exchange"));
  assert.equal(err.code, "bad_response");
  assertDropped(conn, sock, verdicts);
  assert.equal(s.listeners(), 0);
});

test("http1 connection - a bad chunk size mid-body errors the sink bad_response", async () => {
  const { sock, conn, verdicts } = setup();
  const { sink } = await midBody(
    conn,
    sock,
    req(),
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n",
  );
  sock.serverSend("zz\r\n");
  await within(sink.done, "the sink");
  assert.equal(sink.err?.code, "bad_response");
  assertDropped(conn, sock, verdicts);
});

test("http1 connection - a signal aborted before exchange() rejects aborted; nothing sent, released reusable, still idle", async () => {
  const { sock, conn, verdicts } = setup();
  const s = countedSignal();
  s.controller.abort();
  const err = await rejection(conn.exchange(req({ signal: s.signal })));
  assert.equal(err.code, "aborted");
  assert.deepEqual([sock.writes.length, verdicts, sock.destroyCount], [0, [true], 0]);
  assert.deepEqual([conn.idle, conn.closed, conn.active, conn.served, s.listeners()], [true, false, 0, 0, 0]);
  await serveOne(conn, sock);
});

test("http1 connection - abort mid-head rejects aborted, destroyed, not reusable", async () => {
  const { sock, conn, verdicts } = setup();
  const s = countedSignal();
  const { p } = await start(conn, req({ signal: s.signal }));
  sock.serverSend("HTTP/1.1 200 OK\r\nContent-");
  s.controller.abort(new Error("user"));
  const err = await rejection(within(p, "the exchange"));
  assert.equal(err.code, "aborted");
  assert.equal(failedBeforeResponse(err), false);
  assertDropped(conn, sock, verdicts);
  assert.equal(s.listeners(), 0);
});

test("http1 connection - abort mid-body errors the sink aborted, destroyed, not reusable", async () => {
  const { sock, conn, verdicts } = setup();
  const s = countedSignal();
  const { sink } = await midBody(conn, sock, req({ signal: s.signal }));
  s.controller.abort();
  await within(sink.done, "the sink");
  assert.equal(sink.err?.code, "aborted");
  assertDropped(conn, sock, verdicts);
  assert.equal(s.listeners(), 0);
});

test("http1 connection - abort before the body is read: the next read() reports aborted", async () => {
  const { sock, conn, verdicts } = setup();
  const s = countedSignal();
  const { p } = await start(conn, req({ signal: s.signal }));
  sock.serverSend("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  const r = await within(p, "the head");
  s.controller.abort();
  assertDropped(conn, sock, verdicts);
  const sink = new RecordingSink();
  r.body!.read(sink);
  await within(sink.done, "the sink");
  assert.deepEqual([sink.err?.code, sink.text, s.listeners()], ["aborted", "", 0]);
});

test("http1 connection - no byte for recvTimeout ms rejects recv_timeout", async () => {
  const { sock, conn, verdicts } = setup();
  const s = countedSignal();
  const t0 = Date.now();
  const { p } = await start(conn, req({ recvTimeout: 50, signal: s.signal }));
  const err = await rejection(within(p, "the exchange"));
  assert.equal(err.code, "recv_timeout");
  assert.ok(Date.now() - t0 >= 45, `fired after ${Date.now() - t0} ms`);
  assertDropped(conn, sock, verdicts);
  assert.equal(s.listeners(), 0);
});

test("http1 connection - a body stalled for recvTimeout ms errors the sink recv_timeout", async () => {
  const { sock, conn, verdicts } = setup();
  const { sink } = await midBody(conn, sock, req({ recvTimeout: 50 }));
  await within(sink.done, "the sink");
  assert.equal(sink.err?.code, "recv_timeout");
  assertDropped(conn, sock, verdicts);
});

test("http1 connection - recvTimeout does not run while nobody reads the body", async () => {
  const { sock, conn, verdicts } = setup();
  const { p } = await start(conn, req({ recvTimeout: 50 }));
  sock.serverSend("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab");
  const r = await within(p, "the head");
  await new Promise((res) => setTimeout(res, 150));
  const sink = new RecordingSink();
  r.body!.read(sink);
  sock.serverSend("cde");
  await within(sink.done, "the sink");
  assert.deepEqual([sink.text, sink.err, verdicts], ["abcde", null, [true]]);
});

test("http1 connection - cancel() mid-body: released not reusable, destroyed, the source goes inert", async () => {
  const { sock, conn, verdicts } = setup();
  const s = countedSignal();
  const { r, sink } = await midBody(conn, sock, req({ signal: s.signal }));
  r.body!.cancel();
  assertDropped(conn, sock, verdicts);
  assert.equal(s.listeners(), 0);
  sock.serverSend("defghij");
  assert.equal(sink.text, "abc", "nothing delivered after cancel");
  const late = new RecordingSink();
  r.body!.read(late);
  assert.equal(late.err?.code, "closed");
  r.body!.cancel();
  assert.deepEqual([verdicts, sock.destroyCount], [[false], 1], "a second cancel does nothing");
});

test("http1 connection - detach() mid-body hands over state, socket and unparsed bytes", async () => {
  const { sock, conn, verdicts } = setup();
  const s = countedSignal();
  const { p } = await start(conn, req({ signal: s.signal }));
  sock.serverSend("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc");
  const r = await within(p, "the head");
  sock.serverSend("de");
  const wire = r.body!.detach();
  assert.equal(wire.state, "on_body");
  assert.equal(wire.socket, sock);
  assert.equal(latin1Text(wire.buffer), "abcde");
  assert.deepEqual(verdicts, [false]);
  assert.deepEqual([sock.destroyCount, sock.paused, conn.closed, s.listeners()], [0, true, true, 0]);
  conn.destroy();
  assert.equal(sock.destroyCount, 0, "the connection no longer owns the socket");
  // The new owner reads on from where the buffer ends.
  const got: string[] = [];
  sock.setHandler({ data: (c) => got.push(latin1Text(c)), end: () => got.push("EOF"), error: () => got.push("error") });
  sock.serverSend("fghij");
  sock.serverEnd();
  sock.resume();
  assert.deepEqual([got, sock.destroyCount], [["fghij", "EOF"], 0]);
  assert.throws(
    () => r.body!.detach(),
    (e: unknown) => e instanceof HansomError && e.code === "closed",
  );
});

test("http1 connection - 101 to a request that did not ask to upgrade is bad_response", async () => {
  const { sock, conn, verdicts } = setup();
  const { p } = await start(conn, req());
  sock.serverSend("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
  const err = await rejection(within(p, "the exchange"));
  assert.equal(err.code, "bad_response");
  assertDropped(conn, sock, verdicts);
});

test("http1 connection - 101 to an upgrade request resolves with a body source that detaches", async () => {
  const { sock, conn, verdicts } = setup();
  const { p } = await start(
    conn,
    req({
      upgrade: true,
      headers: [
        ["Connection", "Upgrade"],
        ["Upgrade", "websocket"],
      ],
    }),
  );
  sock.serverSend("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x02hi");
  const r = await within(p, "the head");
  assert.equal(r.head.status, 101);
  assert.ok(r.body, "a body source to detach");
  assert.deepEqual([verdicts, conn.active], [[], 1], "checked out until detached");
  const wire = r.body.detach();
  assert.equal(wire.state, "done", "the 101 message itself is complete");
  assert.equal(wire.socket, sock);
  assert.equal(latin1Text(wire.buffer), "\x81\x02hi");
  assert.deepEqual([verdicts, sock.destroyCount, conn.closed], [[false], 0, true]);
});

test("http1 connection - destroy() mid-body errors the sink closed and releases not reusable", async () => {
  const { sock, conn, verdicts } = setup();
  const { sink } = await midBody(conn, sock, req());
  conn.destroy();
  await within(sink.done, "the sink");
  assert.equal(sink.err?.code, "closed");
  assertDropped(conn, sock, verdicts);
});
