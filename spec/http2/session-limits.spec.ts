import { test } from "node:test";
import assert from "node:assert/strict";
import {
  CONTINUATION,
  encodeData,
  encodeFrame,
  encodeHeadersFrame,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSettingsAck,
  encodeWindowUpdate,
  PRIORITY,
} from "../../lib/http2/frame.ts";
import { ScriptedServer } from "./scripted-server.ts";
import { concat } from "./support.ts";

const GET: Array<[string, string]> = [
  [":method", "GET"],
  [":scheme", "https"],
  [":authority", "a.example"],
  [":path", "/"],
];
const OK: Array<[string, string]> = [[":status", "200"]];
const repeat = (n: number, frame: Uint8Array) => concat(Array.from({ length: n }, () => frame));

test("session limits - a response head over SETTINGS_MAX_HEADER_LIST_SIZE ends the connection", () => {
  const s = new ScriptedServer({ maxHeaderListSize: 4096 }).handshake();
  s.session.request(GET, true);
  const fields: Array<[string, string]> = [
    [":status", "200"],
    ...Array.from({ length: 40 }, (_, i): [string, string] => [`x-h${i}`, "v".repeat(100)]),
  ];
  s.feed(s.head(1, fields));
  s.assertError("PROTOCOL_ERROR", /header list larger than SETTINGS_MAX_HEADER_LIST_SIZE 4096 bytes/);
});

test("session limits - a head just under SETTINGS_MAX_HEADER_LIST_SIZE is accepted", () => {
  const s = new ScriptedServer({ maxHeaderListSize: 4096 }).handshake();
  s.session.request(GET, true);
  // 7 + 3 + 32 for :status, then 37 fields of 4 + 69 + 32 = 105: 42 + 3885 = 3927.
  const fields: Array<[string, string]> = [
    [":status", "200"],
    ...Array.from({ length: 37 }, (_, i): [string, string] => [`x-${String(i).padStart(2, "0")}`, "v".repeat(69)]),
  ];
  s.feed(s.head(1, fields, true));
  assert.equal(s.events[0]![0], "headers");
});

test("session limits - a CONTINUATION flood (too many frames) ends the connection with ENHANCE_YOUR_CALM", () => {
  const s = new ScriptedServer().handshake();
  s.session.request(GET, true);
  const cont = encodeFrame(CONTINUATION, 0, 1, new Uint8Array(0));
  s.feed(encodeHeadersFrame(1, s.encoder.encode(OK), { endHeaders: false }), repeat(32, cont));
  assert.equal(s.session.closed, false, "32 are allowed");
  s.feed(cont);
  s.assertError(
    "ENHANCE_YOUR_CALM",
    /more than 32 CONTINUATION frames in one header block \(the maxContinuationFrames limit\)/,
  );
});

test("session limits - a header block too large in bytes ends the connection before it is decoded", () => {
  const s = new ScriptedServer({ maxHeaderListSize: 8192 }).handshake();
  s.session.request(GET, true);
  const cont = encodeFrame(CONTINUATION, 0, 1, new Uint8Array(8000));
  s.feed(encodeHeadersFrame(1, new Uint8Array(100), { endHeaders: false }), cont, cont);
  assert.equal(s.session.closed, false, "16100 bytes so far");
  s.feed(cont);
  s.assertError("ENHANCE_YOUR_CALM", /header block larger than 16384 bytes \(twice SETTINGS_MAX_HEADER_LIST_SIZE\)/);
});

// Floods: [what, frame, option, default limit, kind in the message].
const FLOODS: Array<[string, (s: ScriptedServer) => Uint8Array, string, number, RegExp]> = [
  ["SETTINGS", () => encodeSettings([[3, 100]]), "maxSettingsFrames", 64, /more than 64 SETTINGS frames/],
  ["PING", () => encodePing(new Uint8Array(8), false), "maxPingFrames", 256, /more than 256 PING frames/],
  [
    "RST_STREAM for a closed stream",
    () => encodeRstStream(1, 8),
    "maxResetFrames",
    256,
    /more than 256 RST_STREAM frames for closed streams/,
  ],
  [
    "empty DATA",
    () => encodeData(3, new Uint8Array(0), false),
    "maxEmptyFrames",
    256,
    /more than 256 empty DATA or CONTINUATION frames/,
  ],
  [
    "PRIORITY",
    () => encodeFrame(PRIORITY, 0, 3, new Uint8Array([0, 0, 0, 0, 16])),
    "maxIgnoredFrames",
    4096,
    /more than 4096 ignored frames/,
  ],
  [
    "unknown frame types",
    () => encodeFrame(0xfa, 0, 0, new Uint8Array(4)),
    "maxIgnoredFrames",
    4096,
    /more than 4096 ignored frames/,
  ],
  [
    "WINDOW_UPDATE for a closed stream",
    () => encodeWindowUpdate(1, 1),
    "maxIgnoredFrames",
    4096,
    /more than 4096 ignored frames/,
  ],
  [
    "unsolicited PING ACK",
    () => encodePing(new Uint8Array(8), true),
    "maxIgnoredFrames",
    4096,
    /more than 4096 ignored frames/,
  ],
  ["SETTINGS ACK", () => encodeSettingsAck(), "maxIgnoredFrames", 4096, /more than 4096 ignored frames/],
];

/** A session with stream 1 closed (answered) and stream 3 waiting for its body. */
function floodTarget(): ScriptedServer {
  const s = new ScriptedServer().handshake();
  s.feed(encodeSettingsAck());
  s.session.request(GET, true);
  s.feed(s.head(1, OK, true));
  s.session.request(GET, true);
  s.feed(s.head(3, OK));
  s.events.length = 0;
  s.frames.length = 0;
  return s;
}

for (const [what, frame, option, limit, message] of FLOODS) {
  test(`session limits - a ${what} flood ends the connection with ENHANCE_YOUR_CALM (${option})`, () => {
    const s = floodTarget();
    const f = frame(s);
    s.feed(repeat(limit, f));
    assert.equal(s.session.closed, false, `${limit} allowed`);
    // Progress (body bytes) starts the count over.
    s.feed(encodeData(3, new Uint8Array([1]), false), repeat(limit, f));
    assert.equal(s.session.closed, false, "the count restarts after progress");
    s.feed(f);
    s.assertError("ENHANCE_YOUR_CALM", message);
    assert.match(s.errors[0]!.message, new RegExp(`the ${option} limit`));
  });
}

test("session limits - flood limits are options", () => {
  const s = new ScriptedServer({ maxPingFrames: 2 }).handshake();
  s.feed(repeat(2, encodePing(new Uint8Array(8), false)));
  assert.equal(s.session.closed, false);
  s.feed(encodePing(new Uint8Array(8), false));
  s.assertError("ENHANCE_YOUR_CALM", /more than 2 PING frames/);
  assert.throws(() => new ScriptedServer({ maxPingFrames: -1 }), /maxPingFrames must be an integer/);
  assert.throws(
    () => new ScriptedServer({ maxFrameSize: 1000 }),
    /maxFrameSize must be an integer in 16384\.\.16777215/,
  );
});

test("session limits - a send stalled on a zero window is visible to the caller", () => {
  const s = new ScriptedServer().handshake([[4, 0]]);
  const id = s.session.request([[":method", "POST"], ...GET.slice(1)], false);
  assert.equal(s.session.sendData(id, new Uint8Array(10), false), 10);
  assert.equal(s.session.sendBlocked(id), true);
  assert.equal(s.session.sendWindow(id), 0);
  s.feed(encodeWindowUpdate(id, 10));
  assert.equal(s.session.sendBlocked(id), false);
  assert.deepEqual(s.events, [["writable", id]]);
});
