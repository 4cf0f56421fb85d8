import { test } from "node:test";
import assert from "node:assert/strict";
import { FrameDecoder } from "../../lib/http2/frame-decoder.ts";
import type { Frame } from "../../lib/http2/frame.ts";
import {
  CONTINUATION,
  encodeData,
  encodeDataHeader,
  encodeFrame,
  encodeGoaway,
  encodeHeaders,
  encodeHeadersFrame,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSettingsAck,
  encodeWindowUpdate,
  HEADERS,
} from "../../lib/http2/frame.ts";
import { H2Error } from "../../lib/http2/errors.ts";
import { concat, hex, splits } from "./support.ts";

/** Decodes the pieces in order; frames copied so that they can be compared after the fact. */
function decode(pieces: Uint8Array[], max = 16384): Frame[] {
  const d = new FrameDecoder(max);
  const out: Frame[] = [];
  for (const p of pieces) d.push(p, (f) => out.push(f));
  assert.ok(d.idle, "decoder idle after whole frames");
  return out;
}

const b = (s: string) => new TextEncoder().encode(s);

// Hand-written wire bytes (RFC 9113 §4.1 header: length(24) type(8) flags(8) R+stream(32)).
const FIXTURES: Array<[string, string, Frame]> = [
  [
    "DATA with END_STREAM",
    "000005 00 01 00000001 68656c6c6f",
    { type: "DATA", streamId: 1, endStream: true, data: b("hello"), flowLength: 5 },
  ],
  [
    "padded DATA",
    "000006 00 08 00000003 03 6869 000000",
    { type: "DATA", streamId: 3, endStream: false, data: b("hi"), flowLength: 6 },
  ],
  [
    "padded DATA that is all padding",
    "000003 00 08 00000003 02 0000",
    { type: "DATA", streamId: 3, endStream: false, data: new Uint8Array(0), flowLength: 3 },
  ],
  [
    "HEADERS with padding and priority",
    "000009 01 2d 00000001 02 80000003 0f 82 0000",
    { type: "HEADERS", streamId: 1, endStream: true, endHeaders: true, fragment: hex("82") },
  ],
  [
    "HEADERS without END_HEADERS",
    "000002 01 00 00000005 8286",
    { type: "HEADERS", streamId: 5, endStream: false, endHeaders: false, fragment: hex("8286") },
  ],
  [
    "CONTINUATION",
    "000001 09 04 00000005 84",
    { type: "CONTINUATION", streamId: 5, endHeaders: true, fragment: hex("84") },
  ],
  ["PRIORITY", "000005 02 00 00000003 00000001 10", { type: "PRIORITY", streamId: 3 }],
  ["RST_STREAM", "000004 03 00 00000001 00000008", { type: "RST_STREAM", streamId: 1, errorCode: 8 }],
  [
    "SETTINGS",
    "00000c 04 00 00000000 0003 00000064 0004 7fffffff",
    {
      type: "SETTINGS",
      ack: false,
      settings: [
        [3, 100],
        [4, 0x7fffffff],
      ],
    },
  ],
  ["SETTINGS ACK", "000000 04 01 00000000", { type: "SETTINGS", ack: true, settings: [] }],
  ["empty SETTINGS", "000000 04 00 00000000", { type: "SETTINGS", ack: false, settings: [] }],
  ["PUSH_PROMISE", "000005 05 04 00000001 00000002 82", { type: "PUSH_PROMISE", streamId: 1, promisedStreamId: 2 }],
  ["PING", "000008 06 00 00000000 0102030405060708", { type: "PING", ack: false, data: hex("0102030405060708") }],
  ["PING ACK", "000008 06 01 00000000 0000000000000000", { type: "PING", ack: true, data: new Uint8Array(8) }],
  [
    "GOAWAY with debug data",
    "00000b 07 00 00000000 80000007 0000000b 627965",
    { type: "GOAWAY", lastStreamId: 7, errorCode: 11, debug: b("bye") },
  ],
  [
    "WINDOW_UPDATE with the reserved bit set",
    "000004 08 00 00000000 ffffffff",
    { type: "WINDOW_UPDATE", streamId: 0, increment: 0x7fffffff },
  ],
  [
    "a stream id with the reserved bit set",
    "000000 00 01 80000001",
    { type: "DATA", streamId: 1, endStream: true, data: new Uint8Array(0), flowLength: 0 },
  ],
  ["an unknown type", "000003 fa 07 00000009 010203", { type: "UNKNOWN", frameType: 0xfa, streamId: 9, length: 3 }],
];

for (const [name, wire, expected] of FIXTURES) {
  test(`frame decoder - ${name}, at every split`, () => {
    for (const pieces of splits(hex(wire)))
      assert.deepEqual(decode(pieces), [expected], `split ${pieces.map((p) => p.length)}`);
  });
}

test("frame decoder - all fixtures back to back, at every split", () => {
  const all = concat(FIXTURES.map(([, w]) => hex(w)));
  const expected = FIXTURES.map(([, , f]) => f);
  for (const pieces of splits(all)) assert.deepEqual(decode(pieces), expected);
});

test("frame decoder - a payload split across chunks is not overwritten by the next frame", () => {
  const d = new FrameDecoder();
  const kept: Uint8Array[] = [];
  const wire = concat([encodeData(1, b("first"), false), encodeData(1, b("second"), true)]);
  for (let i = 0; i < wire.length; i++) d.push(wire.subarray(i, i + 1), (f) => f.type === "DATA" && kept.push(f.data));
  assert.deepEqual(
    kept.map((k) => new TextDecoder().decode(k)),
    ["first", "second"],
  );
});

// Each: the bytes, the RFC 9113 error code, and a message pattern.
const ERRORS: Array<[string, string, number, RegExp]> = [
  [
    "a frame over SETTINGS_MAX_FRAME_SIZE",
    "004001 00 00 00000001",
    6,
    /DATA frame of 16385 bytes is larger than SETTINGS_MAX_FRAME_SIZE 16384/,
  ],
  ["PING of 7 bytes", "000007 06 00 00000000 01020304050607", 6, /PING frame of 7 bytes, not 8/],
  ["RST_STREAM of 3 bytes", "000003 03 00 00000001 000000", 6, /RST_STREAM frame of 3 bytes/],
  ["WINDOW_UPDATE of 5 bytes", "000005 08 00 00000001 0000000100", 6, /WINDOW_UPDATE frame of 5 bytes/],
  ["PRIORITY of 4 bytes", "000004 02 00 00000001 00000000", 6, /PRIORITY frame of 4 bytes/],
  ["SETTINGS of 5 bytes", "000005 04 00 00000000 0001000010", 6, /not a multiple of 6/],
  ["SETTINGS ACK with a payload", "000006 04 01 00000000 000100001000", 6, /acknowledgement with a payload/],
  ["GOAWAY of 7 bytes", "000007 07 00 00000000 00000000000000", 6, /GOAWAY frame of 7 bytes, under 8/],
  ["DATA on stream 0", "000000 00 00 00000000", 1, /DATA frame on stream 0/],
  ["HEADERS on stream 0", "000001 01 04 00000000 82", 1, /HEADERS frame on stream 0/],
  ["CONTINUATION on stream 0", "000001 09 04 00000000 82", 1, /CONTINUATION frame on stream 0/],
  ["RST_STREAM on stream 0", "000004 03 00 00000000 00000008", 1, /RST_STREAM frame on stream 0/],
  ["PRIORITY on stream 0", "000005 02 00 00000000 0000000110", 1, /PRIORITY frame on stream 0/],
  ["SETTINGS on stream 1", "000000 04 00 00000001", 1, /SETTINGS frame on stream 1/],
  ["PING on stream 1", "000008 06 00 00000001 0000000000000000", 1, /PING frame on stream 1/],
  ["GOAWAY on stream 3", "000008 07 00 00000003 0000000000000000", 1, /GOAWAY frame on stream 3/],
  [
    "DATA padding as long as the payload",
    "000005 00 08 00000001 05 61626364",
    1,
    /padding of 5 bytes is longer than its 4-byte payload/,
  ],
  [
    "DATA padding longer than the payload",
    "000001 00 08 00000001 ff",
    1,
    /padding of 255 bytes is longer than its 0-byte payload/,
  ],
  ["padded DATA without a Pad Length", "000000 00 08 00000001", 6, /too short for its Pad Length/],
  [
    "HEADERS padding over the priority fields",
    "000007 01 2c 00000001 02 0000000010 82",
    1,
    /HEADERS frame padding of 2 bytes is longer than its 1-byte payload/,
  ],
  ["HEADERS too short for its priority fields", "000003 01 24 00000001 000000", 6, /too short for its priority fields/],
];

for (const [name, wire, code, message] of ERRORS) {
  test(`frame decoder - ${name} is a connection error, at every split`, () => {
    for (const pieces of splits(hex(wire))) {
      assert.throws(
        () => decode(pieces),
        (e: unknown) => {
          assert.ok(e instanceof H2Error, String(e));
          assert.equal(e.code, code);
          assert.equal(e.streamId, 0);
          assert.match(e.message, message);
          return true;
        },
      );
    }
  });
}

test("frame decoder - a larger SETTINGS_MAX_FRAME_SIZE admits larger frames", () => {
  const big = encodeData(1, new Uint8Array(20000), true);
  assert.throws(() => decode([big]), H2Error);
  assert.equal(decode([big], 20000).length, 1);
});

test("frame encoders - produce the fixtures' wire bytes", () => {
  const same = (got: Uint8Array, wire: string) => assert.deepEqual(got, hex(wire));
  same(encodeData(1, b("hello"), true), FIXTURES[0]![1]);
  same(encodeData(3, b("hi"), false, 3), FIXTURES[1]![1]);
  same(concat([encodeDataHeader(1, 5, true), b("hello")]), FIXTURES[0]![1]);
  same(encodeHeadersFrame(5, hex("8286"), { endHeaders: false }), FIXTURES[4]![1]);
  same(encodeFrame(CONTINUATION, 4, 5, hex("84")), FIXTURES[5]![1]);
  same(encodeRstStream(1, 8), FIXTURES[7]![1]);
  same(
    encodeSettings([
      [3, 100],
      [4, 0x7fffffff],
    ]),
    FIXTURES[8]![1],
  );
  same(encodeSettingsAck(), FIXTURES[9]![1]);
  same(encodePing(hex("0102030405060708"), false), FIXTURES[12]![1]);
  same(encodeGoaway(7, 11, b("bye")), "00000b 07 00 00000000 00000007 0000000b 627965");
  same(encodeWindowUpdate(0, 0x7fffffff), "000004 08 00 00000000 7fffffff");
  assert.throws(() => encodePing(new Uint8Array(7), false), RangeError);
});

test("frame encoders - a header block over the frame size becomes HEADERS plus CONTINUATION", () => {
  const block = Uint8Array.from({ length: 40000 }, (_, i) => i & 0xff);
  const frames = decode([encodeHeaders(7, block, true, 16384)]);
  assert.deepEqual(
    frames.map((f) => [f.type, (f as { endHeaders?: boolean }).endHeaders]),
    [
      ["HEADERS", false],
      ["CONTINUATION", false],
      ["CONTINUATION", true],
    ],
  );
  assert.equal((frames[0] as { endStream: boolean }).endStream, true);
  assert.deepEqual(concat(frames.map((f) => (f as { fragment: Uint8Array }).fragment)), block);
  const one = decode([encodeHeaders(9, hex("82"), false, 16384)]);
  assert.deepEqual(one, [{ type: "HEADERS", streamId: 9, endStream: false, endHeaders: true, fragment: hex("82") }]);
  assert.equal(encodeHeaders(9, new Uint8Array(0), false, 16384)[3], HEADERS);
});
