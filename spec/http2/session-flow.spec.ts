import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeData, encodeRstStream, encodeSettings, encodeWindowUpdate } from "../../lib/http2/frame.ts";
import type { Frame } from "../../lib/http2/frame.ts";
import { ScriptedServer } from "./scripted-server.ts";
import { concat } from "./support.ts";

const POST: Array<[string, string]> = [
  [":method", "POST"],
  [":scheme", "http"],
  [":authority", "a.example"],
  [":path", "/up"],
];
const OK: Array<[string, string]> = [[":status", "200"]];
type Data = Extract<Frame, { type: "DATA" }>;
const body = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
const dataFrames = (s: ScriptedServer) => s.take("DATA") as Data[];
const updates = (s: ScriptedServer) =>
  s.take("WINDOW_UPDATE").map((f) => [(f as { streamId: number }).streamId, (f as { increment: number }).increment]);

test("session flow - a body over the 64 KiB windows is queued, then sent as WINDOW_UPDATEs open them", () => {
  const s = new ScriptedServer().handshake();
  const id = s.session.request(POST, false);
  const input = body(100_000);
  assert.equal(s.session.sendData(id, input, true), 100_000 - 65535);
  let sent = dataFrames(s);
  assert.deepEqual(
    sent.map((f) => f.data.length),
    [16384, 16384, 16384, 16383],
  );
  assert.ok(sent.every((f) => !f.endStream));
  assert.equal(s.session.sendBlocked(id), true);
  assert.equal(s.session.sendWindow(id), 0);
  assert.equal(s.session.bufferedAmount(id), 34465);
  // The stream window alone is not enough: the connection window is spent too.
  s.feed(encodeWindowUpdate(id, 40000));
  assert.equal(dataFrames(s).length, 0);
  s.feed(encodeWindowUpdate(0, 20000));
  const more = dataFrames(s);
  assert.deepEqual(
    more.map((f) => f.data.length),
    [16384, 3616],
  );
  assert.equal(s.session.bufferedAmount(id), 34465 - 20000);
  assert.deepEqual(s.events, []);
  s.feed(encodeWindowUpdate(0, 65535));
  const last = dataFrames(s);
  assert.equal(last[last.length - 1]!.endStream, true, "END_STREAM on the last DATA frame");
  assert.deepEqual(s.events, [["writable", id]]);
  assert.equal(s.session.sendBlocked(id), false);
  sent = [...sent, ...more, ...last];
  assert.deepEqual(concat(sent.map((f) => f.data)), input);
  assert.equal(s.session.connectionSendWindow, 65535 + 20000 - 100_000 + 65535);
});

test("session flow - END_STREAM alone goes out on a zero window (empty DATA is not flow controlled)", () => {
  const s = new ScriptedServer().handshake([[4, 0]]);
  const id = s.session.request(POST, false);
  assert.equal(s.session.sendData(id, new Uint8Array(0), true), 0);
  assert.deepEqual(
    dataFrames(s).map((f) => [f.data.length, f.endStream]),
    [[0, true]],
  );
  assert.throws(() => s.session.sendData(id, body(1), false), TypeError);
});

test("session flow - the server's INITIAL_WINDOW_SIZE shifts open streams' windows, down as well as up (§6.9.2)", () => {
  const s = new ScriptedServer().handshake([[4, 1000]]);
  const id = s.session.request(POST, false);
  s.session.sendData(id, body(5000), false);
  assert.equal(
    dataFrames(s).reduce((n, f) => n + f.data.length, 0),
    1000,
  );
  s.feed(encodeSettings([[4, 3000]]));
  assert.equal(
    dataFrames(s).reduce((n, f) => n + f.data.length, 0),
    2000,
  );
  s.feed(encodeSettings([[4, 0]]));
  assert.equal(s.session.sendWindow(id), -3000);
  s.feed(encodeWindowUpdate(id, 2000));
  assert.equal(dataFrames(s).length, 0, "still below zero");
  s.feed(encodeWindowUpdate(id, 1500));
  assert.equal(
    dataFrames(s).reduce((n, f) => n + f.data.length, 0),
    500,
  );
});

test("session flow - DATA frames follow the server's SETTINGS_MAX_FRAME_SIZE", () => {
  const s = new ScriptedServer().handshake([
    [5, 40000],
    [4, 200000],
  ]);
  s.feed(encodeWindowUpdate(0, 200000));
  const id = s.session.request(POST, false);
  s.session.sendData(id, body(100000), true);
  assert.deepEqual(
    dataFrames(s).map((f) => f.data.length),
    [40000, 40000, 20000],
  );
});

test("session flow - consuming body bytes sends WINDOW_UPDATE once half a window is owed", () => {
  const s = new ScriptedServer({ initialWindowSize: 1000, connectionWindowSize: 65535 }).handshake();
  const id = s.session.request(POST, true);
  s.feed(s.head(id, OK), encodeData(id, body(600), false));
  s.session.consume(id, 400);
  assert.deepEqual(updates(s), []);
  s.session.consume(id, 200);
  assert.deepEqual(updates(s), [[id, 600]]);
  // The connection's half (32767) is owed after enough streams' worth.
  for (let i = 0; i < 40; i++) {
    s.feed(encodeData(id, body(900), false));
    s.session.consume(id, 900);
  }
  const u = updates(s);
  assert.ok(
    u.some(([sid, inc]) => sid === 0 && inc >= 32767),
    JSON.stringify(u),
  );
  // Stream credit goes back in batches of at least half its window, never more than consumed.
  const streamCredit = u.filter(([sid]) => sid === id).map(([, inc]) => inc);
  assert.ok(streamCredit.every((inc) => inc >= 500));
  assert.ok(streamCredit.reduce((n, inc) => n + inc, 0) <= 36000);
  assert.equal(s.session.closed, false);
});

test("session flow - consume() never credits more than was delivered", () => {
  const s = new ScriptedServer({ initialWindowSize: 1000, connectionWindowSize: 65535 }).handshake();
  const id = s.session.request(POST, true);
  s.feed(s.head(id, OK), encodeData(id, body(100), false));
  s.session.consume(id, 5000);
  s.session.consume(id, 5000);
  assert.deepEqual(updates(s), []);
  s.feed(encodeData(id, body(900), false));
  assert.equal(s.session.closed, false, "the window is exactly 1000 with 100 credited nowhere");
});

test("session flow - padding is credited back at once", () => {
  const s = new ScriptedServer({ initialWindowSize: 1000, connectionWindowSize: 65535 }).handshake();
  const id = s.session.request(POST, true);
  s.feed(s.head(id, OK), encodeData(id, body(10), false, 240), encodeData(id, body(10), false, 255));
  assert.deepEqual(updates(s), [], "497 owed, under half the window");
  s.feed(encodeData(id, body(10), false, 100));
  assert.deepEqual(updates(s), [[id, 241 + 256 + 101]]);
});

test("session flow - DATA beyond the stream window is a FLOW_CONTROL_ERROR", () => {
  const s = new ScriptedServer({ initialWindowSize: 1000 }).handshake();
  const id = s.session.request(POST, true);
  s.feed(s.head(id, OK), encodeData(id, body(1000), false), encodeData(id, body(1), false));
  s.assertError("FLOW_CONTROL_ERROR", /DATA of 1 bytes on stream 1 beyond its window \(0 left\)/);
});

test("session flow - DATA beyond the connection window is a FLOW_CONTROL_ERROR", () => {
  const s = new ScriptedServer({ connectionWindowSize: 65535 }).handshake();
  const a = s.session.request(POST, true),
    c = s.session.request(POST, true);
  s.feed(s.head(a, OK), s.head(c, OK), encodeData(a, body(16384), false), encodeData(a, body(16384), false));
  s.feed(encodeData(c, body(16384), false), encodeData(c, body(16383), false), encodeData(c, body(1), false));
  s.assertError("FLOW_CONTROL_ERROR", /DATA of 1 bytes beyond the connection window \(0 left\)/);
});

test("session flow - a connection window pushed over 2^31-1 is a FLOW_CONTROL_ERROR", () => {
  const s = new ScriptedServer().handshake();
  s.feed(encodeWindowUpdate(0, 0x7fffffff - 65535), encodeWindowUpdate(0, 1));
  s.assertError("FLOW_CONTROL_ERROR", /connection window above 2\^31-1/);
});

test("session flow - a stream window pushed over 2^31-1 resets that stream with FLOW_CONTROL_ERROR", () => {
  const s = new ScriptedServer().handshake();
  const id = s.session.request(POST, false);
  s.feed(encodeWindowUpdate(id, 0x7fffffff - 65535), encodeWindowUpdate(id, 1));
  assert.deepEqual(
    s.events.map((e) => e.slice(0, 3)),
    [["streamError", id, "FLOW_CONTROL_ERROR"]],
  );
  assert.deepEqual(s.take("RST_STREAM"), [{ type: "RST_STREAM", streamId: id, errorCode: 3 }]);
  assert.equal(s.session.closed, false);
});

test("session flow - a SETTINGS_INITIAL_WINDOW_SIZE that overflows an open stream is a connection FLOW_CONTROL_ERROR", () => {
  const s = new ScriptedServer().handshake();
  const id = s.session.request(POST, false);
  s.feed(encodeWindowUpdate(id, 0x7fffffff - 65535), encodeSettings([[4, 65536]]));
  s.assertError("FLOW_CONTROL_ERROR", /takes stream 1's window above 2\^31-1/);
});

test("session flow - reset() and a server reset give the unread body's credit back to the connection", () => {
  const s = new ScriptedServer({ connectionWindowSize: 65535 }).handshake();
  const a = s.session.request(POST, true);
  s.feed(s.head(a, OK), encodeData(a, body(16384), false), encodeData(a, body(16384), false));
  assert.deepEqual(updates(s), []);
  s.session.reset(a);
  assert.deepEqual(updates(s), [[0, 32768]]);
  const c = s.session.request(POST, true);
  s.feed(s.head(c, OK), encodeData(c, body(15000), false), encodeData(c, body(15000), false), encodeRstStream(c, 8));
  assert.deepEqual(updates(s), []);
  // DATA still in flight for the reset stream counts and is credited as it lands.
  s.feed(encodeData(c, body(5000), false));
  assert.deepEqual(updates(s), [[0, 35000]]);
  s.session.consume(c, 30000);
  assert.deepEqual(updates(s), [], "consume after a reset is a no-op");
});

test("session flow - an early complete response with RST_STREAM NO_ERROR stops the upload", () => {
  const s = new ScriptedServer().handshake();
  const id = s.session.request(POST, false);
  s.session.sendData(id, body(100000), false);
  s.feed(s.head(id, [[":status", "413"]], true), encodeRstStream(id, 0));
  assert.deepEqual(s.events, [
    ["headers", id, 413, [], true],
    ["reset", id, "NO_ERROR", false],
  ]);
  assert.equal(s.session.bufferedAmount(id), 0);
  assert.equal(s.session.sendData(id, body(10), true), 0, "dropped");
  assert.throws(() => s.session.sendData(99, body(1), true), RangeError);
  s.feed(encodeWindowUpdate(0, 100000));
  assert.equal(dataFrames(s).length, 4, "nothing more than the first window's worth");
});

test("session flow - streams share the connection window in stream order", () => {
  const s = new ScriptedServer().handshake([[4, 100000]]);
  const a = s.session.request(POST, false),
    c = s.session.request(POST, false);
  s.session.sendData(a, body(50000), true);
  s.session.sendData(c, body(50000), true);
  const first = dataFrames(s);
  assert.equal(
    first.filter((f) => f.streamId === a).reduce((n, f) => n + f.data.length, 0),
    50000,
  );
  assert.equal(
    first.filter((f) => f.streamId === c).reduce((n, f) => n + f.data.length, 0),
    15535,
  );
  s.feed(encodeWindowUpdate(0, 100000));
  assert.equal(
    dataFrames(s).reduce((n, f) => n + f.data.length, 0),
    34465,
  );
  assert.deepEqual(s.events, [["writable", c]], "a never waited");
});

test("session flow - onWritable lets the caller write more from inside the event", () => {
  const s = new ScriptedServer().handshake();
  const id = s.session.request(POST, false);
  const input = body(300000);
  let offset = 0;
  const pump = () => {
    while (offset < input.length) {
      const n = Math.min(50000, input.length - offset);
      const queued = s.session.sendData(id, input.subarray(offset, offset + n), offset + n === input.length);
      offset += n;
      if (queued > 0) return;
    }
  };
  s.onWritable = pump;
  pump();
  const got: Uint8Array[] = [];
  for (let i = 0; i < 20 && !s.frames.some((f) => f.type === "DATA" && f.endStream); i++) {
    const d = dataFrames(s);
    got.push(...d.map((f) => f.data));
    const n = d.reduce((k, f) => k + f.data.length, 0);
    s.feed(encodeWindowUpdate(0, n), encodeWindowUpdate(id, n));
  }
  got.push(...dataFrames(s).map((f) => f.data));
  assert.deepEqual(concat(got), input);
});
