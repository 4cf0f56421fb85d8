import { test } from "node:test";
import assert from "node:assert/strict";
import {
  encodeData,
  encodeFrame,
  encodeGoaway,
  encodeHeadersFrame,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSettingsAck,
  PUSH_PROMISE,
  CONTINUATION,
} from "../../lib/http2/frame.ts";
import type { Frame } from "../../lib/http2/frame.ts";
import { HpackEncoder } from "../../lib/http2/hpack-encode.ts";
import { HansomError } from "../../lib/errors.ts";
import { ScriptedServer } from "./scripted-server.ts";
import { concat, splits } from "./support.ts";

const b = (s: string) => new TextEncoder().encode(s);
const GET: Array<[string, string]> = [
  [":method", "GET"],
  [":scheme", "https"],
  [":authority", "a.example"],
  [":path", "/x"],
];
const OK: Array<[string, string]> = [[":status", "200"]];

/** A session after the SETTINGS exchange, with one GET open on stream 1. */
function withGet(): ScriptedServer {
  const s = new ScriptedServer().handshake();
  assert.equal(s.session.request(GET, true), 1);
  return s;
}

test("session - sends the preface, SETTINGS and connection window, then ACKs the server's SETTINGS", () => {
  const s = new ScriptedServer();
  s.session.start();
  assert.deepEqual(s.frames, [
    {
      type: "SETTINGS",
      ack: false,
      settings: [
        [2, 0],
        [4, 1 << 20],
        [5, 16384],
        [6, 65536],
      ],
    },
    { type: "WINDOW_UPDATE", streamId: 0, increment: (8 << 20) - 65535 },
  ]);
  s.frames.length = 0;
  s.feed(
    encodeSettings([
      [3, 100],
      [4, 1000],
      [5, 32768],
      [1, 8192],
      [0x99, 7],
    ]),
  );
  assert.deepEqual(s.frames, [{ type: "SETTINGS", ack: true, settings: [] }]);
  assert.deepEqual(s.events, [["settings"]]);
  assert.equal(s.session.maxConcurrentStreams, 100);
  assert.equal(s.session.peerSettings.initialWindowSize, 1000);
  assert.equal(s.session.peerSettings.maxFrameSize, 32768);
  assert.equal(s.session.settingsAcked, false);
  s.feed(encodeSettingsAck());
  assert.equal(s.session.settingsAcked, true);
  assert.equal(s.session.closed, false);
});

test("session - a connection window of 65535 needs no WINDOW_UPDATE; a custom table size is announced", () => {
  const s = new ScriptedServer({ connectionWindowSize: 65535, headerTableSize: 8192, initialWindowSize: 100 });
  s.session.start();
  assert.deepEqual(s.frames, [
    {
      type: "SETTINGS",
      ack: false,
      settings: [
        [1, 8192],
        [2, 0],
        [4, 100],
        [5, 16384],
        [6, 65536],
      ],
    },
  ]);
});

test("session - request fields: pseudo-fields first, names lower-cased, the server decodes them", () => {
  const s = new ScriptedServer().handshake();
  const id = s.session.request(
    [
      ["Accept", "*/*"],
      [":path", "/x"],
      ["X-Two", " spaced\t"],
      [":method", "GET"],
      [":authority", "a.example"],
      [":scheme", "https"],
      ["te", "trailers"],
    ],
    true,
  );
  assert.equal(id, 1);
  assert.deepEqual(s.requests.get(1), [...GET, ["accept", "*/*"], ["x-two", "spaced"], ["te", "trailers"]]);
  const headers = s.frames.filter((f) => f.type === "HEADERS");
  assert.equal(headers.length, 1);
  assert.equal((headers[0] as { endStream: boolean }).endStream, true);
  assert.equal(s.session.request(GET, true), 3, "odd ids in order");
});

for (const [what, fields, message] of [
  ["a connection-specific field", [...GET, ["Connection", "keep-alive"]], /connection-specific/],
  ["transfer-encoding", [...GET, ["transfer-encoding", "chunked"]], /connection-specific/],
  ["te other than trailers", [...GET, ["te", "gzip"]], /"te" may only be "trailers"/],
  ["a missing :path", GET.slice(0, 3), /without :scheme and :path/],
  ["an unknown pseudo-field", [...GET, [":status", "200"]], /Invalid HTTP\/2 pseudo-header/],
  ["a duplicate pseudo-field", [...GET, [":path", "/y"]], /Duplicate/],
  ["a name that is not a token", [...GET, ["bad name", "x"]], /not an RFC 9110 token/],
  ["CR in a value", [...GET, ["x-a", "a\r\nb"]], /CR, LF and NUL/],
] as Array<[string, Array<[string, string]>, RegExp]>) {
  test(`session - request with ${what} is refused as invalid_header`, () => {
    const s = new ScriptedServer().handshake();
    assert.throws(
      () => s.session.request(fields, true),
      (e: unknown) => {
        assert.ok(e instanceof HansomError);
        assert.equal(e.code, "invalid_header");
        assert.match(e.message, message);
        return true;
      },
    );
    assert.equal(s.session.openStreams, 0);
  });
}

test("session - a GET answered with HEADERS, DATA and trailers, fed at every split point", () => {
  const enc = new HpackEncoder();
  const wire = concat([
    encodeHeadersFrame(
      1,
      enc.encode([
        [":status", "200"],
        ["content-type", "text/plain"],
      ]),
    ),
    encodeData(1, b("hello "), false),
    encodeData(1, b("world"), false, 4),
    encodeHeadersFrame(1, enc.encode([["x-checksum", "abc"]]), { endStream: true }),
  ]);
  for (const pieces of splits(wire)) {
    const s = withGet();
    s.feed(...pieces);
    assert.deepEqual(s.events, [
      ["headers", 1, 200, [["content-type", "text/plain"]], false],
      ["data", 1, "hello world", false],
      ["trailers", 1, [["x-checksum", "abc"]]],
    ]);
    assert.equal(s.session.openStreams, 0);
    assert.equal(s.session.closed, false);
  }
});

test("session - informational heads are reported apart and the final head follows", () => {
  const s = withGet();
  s.feed(
    s.head(1, [
      [":status", "103"],
      ["link", "</a>; rel=preload"],
    ]),
    s.head(1, [[":status", "100"]]),
    s.head(1, OK, true),
  );
  assert.deepEqual(s.events, [
    ["informational", 1, 103, [["link", "</a>; rel=preload"]]],
    ["informational", 1, 100, []],
    ["headers", 1, 200, [], true],
  ]);
});

test("session - a response split into HEADERS and CONTINUATION frames", () => {
  const s = withGet();
  const block = s.encoder.encode([
    [":status", "200"],
    ["x-long", "y".repeat(100)],
  ]);
  s.feed(
    encodeHeadersFrame(1, block.subarray(0, 3), { endHeaders: false, endStream: true }),
    encodeFrame(CONTINUATION, 0, 1, block.subarray(3, 50)),
    encodeFrame(CONTINUATION, 4, 1, block.subarray(50)),
  );
  assert.deepEqual(s.events, [["headers", 1, 200, [["x-long", "y".repeat(100)]], true]]);
});

test("session - a HEAD response and a 204 have no body; their content-length is not a body length", () => {
  const s = new ScriptedServer().handshake();
  s.session.request([[":method", "HEAD"], ...GET.slice(1)], true);
  s.feed(
    s.head(
      1,
      [
        [":status", "200"],
        ["content-length", "1000"],
      ],
      true,
    ),
  );
  assert.deepEqual(s.events, [["headers", 1, 200, [["content-length", "1000"]], true]]);
  s.session.request(GET, true);
  s.feed(s.head(3, [[":status", "204"]]), encodeData(3, b("x"), true));
  assert.equal(s.events[1]![0], "headers");
  assert.deepEqual(s.events[2]!.slice(0, 3), ["streamError", 3, "PROTOCOL_ERROR"]);
});

test("session - RST_STREAM mid-body ends the stream; frames already in flight are ignored", () => {
  const s = withGet();
  s.feed(s.head(1, OK), encodeData(1, b("part"), false), encodeRstStream(1, 2));
  assert.deepEqual(s.events, [
    ["headers", 1, 200, [], false],
    ["data", 1, "part", false],
    ["reset", 1, "INTERNAL_ERROR", false],
  ]);
  s.feed(encodeData(1, b("late"), true));
  assert.equal(s.events.length, 3);
  assert.equal(s.session.closed, false);
  assert.equal(s.session.openStreams, 0);
});

test("session - RST_STREAM with REFUSED_STREAM is retryable", () => {
  const s = withGet();
  s.feed(encodeRstStream(1, 7));
  assert.deepEqual(s.events, [["reset", 1, "REFUSED_STREAM", true]]);
});

test("session - reset() sends RST_STREAM and later frames for the stream are ignored", () => {
  const s = withGet();
  s.feed(s.head(1, OK));
  s.session.reset(1);
  assert.deepEqual(s.take("RST_STREAM"), [{ type: "RST_STREAM", streamId: 1, errorCode: 8 }]);
  s.feed(encodeData(1, b("late"), false), s.head(1, [["x-t", "1"]], true), encodeRstStream(1, 0));
  assert.equal(s.events.length, 1);
  assert.equal(s.session.closed, false);
});

test("session - GOAWAY: streams above the last id are refused and retryable, those below finish", () => {
  const s = new ScriptedServer().handshake();
  for (let i = 0; i < 3; i++) s.session.request(GET, true);
  s.feed(encodeGoaway(3, 0, b("bye")));
  assert.deepEqual(s.events, [
    ["goaway", 3, "NO_ERROR", "bye"],
    ["reset", 5, "REFUSED_STREAM", true],
  ]);
  assert.equal(s.session.canOpenStream, false);
  assert.throws(
    () => s.session.request(GET, true),
    (e: unknown) => e instanceof HansomError && e.code === "closed" && /GOAWAY/.test(e.message),
  );
  s.feed(s.head(1, OK, true), s.head(3, OK, true));
  assert.equal(s.session.openStreams, 0);
  assert.deepEqual(s.session.goawayReceived, { lastStreamId: 3, code: "NO_ERROR", debug: b("bye") });
  // A second GOAWAY may lower the last id, never raise it.
  s.feed(encodeGoaway(9, 2));
  assert.deepEqual(s.events[s.events.length - 1], ["goaway", 3, "INTERNAL_ERROR", ""]);
});

test("session - goaway() sends GOAWAY and stops new streams", () => {
  const s = withGet();
  s.session.goaway();
  assert.deepEqual(s.take("GOAWAY"), [{ type: "GOAWAY", lastStreamId: 0, errorCode: 0, debug: new Uint8Array(0) }]);
  assert.equal(s.session.canOpenStream, false);
  s.feed(s.head(1, OK, true));
  assert.equal(s.events.length, 1);
});

test("session - PING is answered with the same data; our ping's answer is reported", () => {
  const s = new ScriptedServer().handshake();
  s.feed(encodePing(b("12345678"), false));
  assert.deepEqual(s.frames, [{ type: "PING", ack: true, data: b("12345678") }]);
  s.session.ping(b("abcdefgh"));
  s.feed(encodePing(b("abcdefgh"), true));
  assert.deepEqual(s.events, [["pingAck"]]);
});

test("session - MAX_CONCURRENT_STREAMS bounds canOpenStream", () => {
  const s = new ScriptedServer().handshake([[3, 1]]);
  s.session.request(GET, true);
  assert.equal(s.session.canOpenStream, false);
  assert.throws(() => s.session.request(GET, true), /SETTINGS_MAX_CONCURRENT_STREAMS 1 reached/);
  s.feed(s.head(1, OK, true));
  assert.equal(s.session.canOpenStream, true);
});

test("session - the server's SETTINGS_HEADER_TABLE_SIZE 0 is applied with a size update", () => {
  const s = new ScriptedServer().handshake([[1, 0]]);
  s.session.request([...GET, ["x-custom", "v"]], true);
  const h = s.frames.find((f) => f.type === "HEADERS") as Extract<Frame, { type: "HEADERS" }>;
  assert.equal(h.fragment[0], 0x20);
  assert.deepEqual(s.requests.get(1), [...GET, ["x-custom", "v"]]);
});

test("session - a request head over the server's frame size goes out as HEADERS plus CONTINUATION", () => {
  const s = new ScriptedServer().handshake();
  const big: Array<[string, string]> = [
    ...GET,
    ...Array.from({ length: 40 }, (_, i): [string, string] => [`x-h${i}`, "z".repeat(1000 + i)]),
  ];
  s.session.request(big, true);
  assert.deepEqual(
    s.frames.filter((f) => f.type === "HEADERS" || f.type === "CONTINUATION").map((f) => f.type),
    ["HEADERS", "CONTINUATION", "CONTINUATION"],
  );
  assert.deepEqual(s.requests.get(1), big);
  const small = new ScriptedServer().handshake([[6, 100]]);
  assert.throws(
    () => small.session.request(big, true),
    (e: unknown) =>
      e instanceof HansomError && e.code === "invalid_header" && /SETTINGS_MAX_HEADER_LIST_SIZE 100/.test(e.message),
  );
});

// Malformed responses: a stream error (RST_STREAM PROTOCOL_ERROR); the connection lives on.
const MALFORMED: Array<[string, (s: ScriptedServer) => Uint8Array[], RegExp]> = [
  ["no :status", (s) => [s.head(1, [["content-type", "x"]])], /no :status/],
  [
    "an upper-case name",
    (s) => [
      s.head(1, [
        [":status", "200"],
        ["Content-Type", "x"],
      ]),
    ],
    /invalid field name "Content-Type"/,
  ],
  [
    "a connection-specific field",
    (s) => [
      s.head(1, [
        [":status", "200"],
        ["connection", "close"],
      ]),
    ],
    /connection-specific field connection/,
  ],
  [
    "transfer-encoding",
    (s) => [
      s.head(1, [
        [":status", "200"],
        ["transfer-encoding", "chunked"],
      ]),
    ],
    /connection-specific field transfer-encoding/,
  ],
  [
    ":status after a field",
    (s) => [
      s.head(1, [
        ["x-a", "1"],
        [":status", "200"],
      ]),
    ],
    /:status after a regular field/,
  ],
  [
    "a request pseudo-field",
    (s) => [
      s.head(1, [
        [":status", "200"],
        [":path", "/"],
      ]),
    ],
    /pseudo-header ":path"/,
  ],
  [
    "two :status",
    (s) => [
      s.head(1, [
        [":status", "200"],
        [":status", "200"],
      ]),
    ],
    /more than one :status/,
  ],
  ["a two-digit :status", (s) => [s.head(1, [[":status", "20"]])], /not three digits/],
  ["101 Switching Protocols", (s) => [s.head(1, [[":status", "101"]])], /101 Switching Protocols/],
  [
    "an informational head with END_STREAM",
    (s) => [s.head(1, [[":status", "103"]], true)],
    /informational head with END_STREAM/,
  ],
  [
    "whitespace around a value",
    (s) => [
      s.head(1, [
        [":status", "200"],
        ["x-a", " 1"],
      ]),
    ],
    /whitespace around the value/,
  ],
  ["DATA before the head", () => [encodeData(1, b("x"), true)], /DATA before the response head/],
  [
    "a body longer than content-length",
    (s) => [
      s.head(1, [
        [":status", "200"],
        ["content-length", "2"],
      ]),
      encodeData(1, b("abc"), true),
    ],
    /3 or more body bytes for content-length 2|3 body bytes for content-length 2/,
  ],
  [
    "a body shorter than content-length",
    (s) => [
      s.head(1, [
        [":status", "200"],
        ["content-length", "5"],
      ]),
      encodeData(1, b("abc"), true),
    ],
    /3 body bytes for content-length 5/,
  ],
  [
    "END_STREAM on the head with content-length",
    (s) => [
      s.head(
        1,
        [
          [":status", "200"],
          ["content-length", "5"],
        ],
        true,
      ),
    ],
    /no body for content-length 5/,
  ],
  [
    "conflicting content-length",
    (s) => [
      s.head(1, [
        [":status", "200"],
        ["content-length", "5"],
        ["content-length", "6"],
      ]),
    ],
    /conflicting content-length/,
  ],
  ["trailers without END_STREAM", (s) => [s.head(1, OK), s.head(1, [["x-t", "1"]])], /trailers without END_STREAM/],
  [
    "a pseudo-field in trailers",
    (s) => [s.head(1, OK), s.head(1, [[":status", "200"]], true)],
    /malformed trailers: pseudo-header/,
  ],
  ["a stream WINDOW_UPDATE of 0", () => [encodeFrame(8, 0, 1, new Uint8Array(4))], /WINDOW_UPDATE of 0/],
];

for (const [what, frames, message] of MALFORMED) {
  test(`session - a response with ${what} is a stream PROTOCOL_ERROR; the connection goes on`, () => {
    const s = new ScriptedServer().handshake();
    s.session.request(GET, false);
    s.feed(...frames(s));
    const err = s.events.find((e) => e[0] === "streamError");
    assert.ok(err, JSON.stringify(s.events));
    assert.equal(err[1], 1);
    assert.equal(err[2], "PROTOCOL_ERROR");
    assert.match(err[3], message);
    assert.match(err[3], /^Invalid HTTP\/2 response on stream 1: .*\(PROTOCOL_ERROR\)$/);
    assert.deepEqual(s.take("RST_STREAM"), [{ type: "RST_STREAM", streamId: 1, errorCode: 1 }]);
    assert.equal(s.session.closed, false);
    assert.equal(s.session.request(GET, true), 3);
    s.feed(s.head(3, OK, true));
    assert.deepEqual(s.events[s.events.length - 1], ["headers", 3, 200, [], true]);
  });
}

// Connection errors: GOAWAY with the code, onError with a bad_response naming it.
const FATAL: Array<[string, (s: ScriptedServer) => Uint8Array[], string, RegExp]> = [
  ["DATA on an idle stream", () => [encodeData(3, b("x"), false)], "PROTOCOL_ERROR", /DATA frame on idle stream 3/],
  ["HEADERS on a server stream", (s) => [s.head(2, OK)], "PROTOCOL_ERROR", /HEADERS frame on idle stream 2/],
  [
    "RST_STREAM on an idle stream",
    () => [encodeRstStream(5, 8)],
    "PROTOCOL_ERROR",
    /RST_STREAM frame on idle stream 5/,
  ],
  [
    "WINDOW_UPDATE on an idle stream",
    () => [encodeFrame(8, 0, 7, new Uint8Array([0, 0, 0, 1]))],
    "PROTOCOL_ERROR",
    /WINDOW_UPDATE frame on idle stream 7/,
  ],
  [
    "DATA after the server's END_STREAM",
    (s) => [s.head(1, OK, true), encodeData(1, b("x"), false)],
    "STREAM_CLOSED",
    /DATA frame on stream 1 after its END_STREAM/,
  ],
  [
    "PUSH_PROMISE",
    () => [encodeFrame(PUSH_PROMISE, 4, 1, new Uint8Array([0, 0, 0, 2, 0x82]))],
    "PROTOCOL_ERROR",
    /PUSH_PROMISE though we sent SETTINGS_ENABLE_PUSH 0/,
  ],
  ["SETTINGS_ENABLE_PUSH 1", () => [encodeSettings([[2, 1]])], "PROTOCOL_ERROR", /SETTINGS_ENABLE_PUSH 1/],
  [
    "SETTINGS_MAX_FRAME_SIZE too small",
    () => [encodeSettings([[5, 100]])],
    "PROTOCOL_ERROR",
    /SETTINGS_MAX_FRAME_SIZE 100/,
  ],
  [
    "SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1",
    () => [encodeSettings([[4, 0x80000000]])],
    "FLOW_CONTROL_ERROR",
    /SETTINGS_INITIAL_WINDOW_SIZE 2147483648/,
  ],
  [
    "a connection WINDOW_UPDATE of 0",
    () => [encodeFrame(8, 0, 0, new Uint8Array(4))],
    "PROTOCOL_ERROR",
    /WINDOW_UPDATE of 0 for the connection/,
  ],
  [
    "a frame inside a header block",
    (s) => [encodeHeadersFrame(1, s.encoder.encode(OK), { endHeaders: false }), encodePing(new Uint8Array(8), false)],
    "PROTOCOL_ERROR",
    /PING frame inside the header block of stream 1/,
  ],
  [
    "CONTINUATION for another stream",
    (s) => [
      (s.session.request(GET, true), encodeHeadersFrame(1, s.encoder.encode(OK), { endHeaders: false })),
      encodeFrame(CONTINUATION, 4, 3, new Uint8Array(0)),
    ],
    "PROTOCOL_ERROR",
    /CONTINUATION frame on stream 3 inside the header block of stream 1/,
  ],
  [
    "CONTINUATION without HEADERS",
    () => [encodeFrame(CONTINUATION, 4, 1, new Uint8Array([0x88]))],
    "PROTOCOL_ERROR",
    /without a HEADERS frame/,
  ],
  ["a bad HPACK block", () => [encodeHeadersFrame(1, new Uint8Array([0x80]))], "COMPRESSION_ERROR", /HPACK: index 0/],
];

for (const [what, frames, code, message] of FATAL) {
  test(`session - ${what} is a connection ${code}`, () => {
    const s = withGet();
    s.feed(...frames(s));
    s.assertError(code, message);
    const goaway = s.take("GOAWAY")[0] as Extract<Frame, { type: "GOAWAY" }>;
    assert.equal(goaway.lastStreamId, 0);
    assert.match(new TextDecoder().decode(goaway.debug), message);
    assert.match(s.errors[0]!.message, new RegExp(`^Invalid HTTP/2 response: .*\\(${code}\\)$`));
    // Dead: nothing more is read or written.
    const n = s.frames.length;
    s.feed(encodePing(new Uint8Array(8), false));
    assert.equal(s.frames.length, n);
    assert.equal(s.session.canOpenStream, false);
  });
}

test("session - the server's first frame must be SETTINGS; an HTTP/1.1 answer is named", () => {
  const s = new ScriptedServer();
  s.session.start();
  s.feed(encodePing(new Uint8Array(8), false));
  s.assertError("PROTOCOL_ERROR", /first frame is not SETTINGS/);
  const h1 = new ScriptedServer();
  h1.session.start();
  h1.feed(b("HTT"), b("P/1.1 400 Bad Request\r\n\r\n"));
  h1.assertError("PROTOCOL_ERROR", /answered in HTTP\/1\.x/);
});

test("session - a throwing handler closes the session and the error propagates", () => {
  const s = withGet();
  s.onData = () => {
    throw new Error("reader failed");
  };
  assert.throws(() => s.feed(concat([s.head(1, OK), encodeData(1, b("x"), false)])), /reader failed/);
  assert.equal(s.session.closed, true);
});
