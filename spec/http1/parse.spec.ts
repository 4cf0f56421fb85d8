import { test } from "node:test";
import assert from "node:assert/strict";
import { ResponseParser } from "../../lib/http1/parse.ts";
import type { ParserOptions, Http1Head as ResponseHead } from "../../lib/http1/parse.ts";
import { HansomError } from "../../lib/errors.ts";

// Latin-1 in both directions, so fixtures can hold any byte.
const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const str = (b: Uint8Array): string => String.fromCharCode(...b);

type Event =
  | ["interim", number, Array<[string, string]>]
  | ["head", ResponseHead]
  | ["body", string]
  | ["trailers", Array<[string, string]>]
  | ["complete"];

interface RunOptions extends ParserOptions {
  /** noBody per message (reset() argument); the last applies to the rest. */
  noBody?: boolean[];
  /** Messages to parse before the rest is left alone. */
  messages?: number;
  /** Call finish() after the last piece. */
  eof?: boolean;
}

/** Feeds pieces as a connection would and records events (body chunks merged) and the unread tail. */
function run(pieces: Uint8Array[], o: RunOptions = {}): { events: Event[]; rest: string } {
  const events: Event[] = [];
  const handler = {
    onInterim: (s: number, h: Array<[string, string]>) => events.push(["interim", s, h]),
    onHead: (h: ResponseHead) => events.push(["head", h]),
    onBody: (c: Uint8Array) => {
      assert.ok(c.length > 0, "onBody with an empty chunk");
      const last = events[events.length - 1];
      if (last && last[0] === "body") last[1] += str(c);
      else events.push(["body", str(c)]);
    },
    onTrailers: (h: Array<[string, string]>) => events.push(["trailers", h]),
    onComplete: () => events.push(["complete"]),
  };
  const p = new ResponseParser(handler, o);
  const noBody = o.noBody ?? [false];
  let done = 0;
  const wanted = o.messages ?? 1;
  p.reset(noBody[0]!);
  let rest = "";
  for (const piece of pieces) {
    let off = 0;
    while (off < piece.length && done < wanted) {
      const heads = events.filter((e) => e[0] === "head").length;
      const n = p.execute(piece.subarray(off));
      assert.ok(n >= 0 && n <= piece.length - off);
      off += n;
      const stoppedAfterHead = events.filter((e) => e[0] === "head").length > heads;
      if (p.state === "done") {
        done++;
        if (done < wanted) p.reset(noBody[Math.min(done, noBody.length - 1)]!);
      } else if (!stoppedAfterHead) {
        assert.equal(off, piece.length, "execute stopped early without onHead or onComplete");
      }
    }
    rest += str(piece.subarray(off));
  }
  if (o.eof && done < wanted) p.finish();
  return { events, rest };
}

/** Every way of cutting the input: whole, each split point in two, and one byte at a time. */
function* splits(input: Uint8Array): Generator<Uint8Array[]> {
  yield [input];
  for (let k = 1; k < input.length; k++) yield [input.subarray(0, k), input.subarray(k)];
  yield Array.from(input, (_, i) => input.subarray(i, i + 1));
}

/** Checks that every split gives the same events and tail as `expected`. */
function fixture(input: string, expected: Event[], o: RunOptions = {}, rest = ""): void {
  const b = bytes(input);
  for (const pieces of splits(b)) {
    const got = run(pieces, o);
    assert.deepEqual(got.events, expected, `split into ${pieces.map((p) => p.length).join("+")}`);
    assert.equal(got.rest, rest);
  }
}

/** Checks that every split throws bad_response (matching `message`). */
function rejects(input: string, message: RegExp, o: RunOptions = {}): void {
  for (const pieces of splits(bytes(input))) {
    assert.throws(
      () => run(pieces, { eof: true, ...o }),
      (e: unknown) => {
        assert.ok(e instanceof HansomError, String(e));
        assert.equal(e.code, "bad_response");
        assert.equal(e.phase, "response");
        assert.match(e.message, message);
        return true;
      },
      `split into ${pieces.map((p) => p.length).join("+")}`,
    );
  }
}

function head(p: Partial<ResponseHead> & { rawHeaders: Array<[string, string]> }): ["head", ResponseHead] {
  return [
    "head",
    { status: 200, statusText: "OK", httpVersion: "1.1", framing: "none", contentLength: null, keepAlive: true, ...p },
  ];
}

test("parse - Content-Length body, headers in wire order and case, OWS trimmed", () => {
  fixture("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Foo:   a  b \t\r\nx-foo: c\r\nX-Empty:\r\n\r\nhello", [
    head({
      rawHeaders: [
        ["Content-Length", "5"],
        ["X-Foo", "a  b"],
        ["x-foo", "c"],
        ["X-Empty", ""],
      ],
      framing: "length",
      contentLength: 5,
    }),
    ["body", "hello"],
    ["complete"],
  ]);
});

test("parse - chunked body with extensions and trailers", () => {
  fixture(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" +
      '5;name=value\r\nhello\r\n1A; a="b c";d\r\n' +
      "x".repeat(26) +
      "\r\n0;last\r\nX-Sum: 1\r\nX-Other: two\r\n\r\n",
    [
      head({ rawHeaders: [["Transfer-Encoding", "chunked"]], framing: "chunked" }),
      ["body", "hello" + "x".repeat(26)],
      [
        "trailers",
        [
          ["X-Sum", "1"],
          ["X-Other", "two"],
        ],
      ],
      ["complete"],
    ],
  );
});

test("parse - chunked with uppercase hex, leading zeros, LF-only line ends, empty trailers", () => {
  fixture("HTTP/1.1 200 OK\nTransfer-Encoding: gzip, Chunked\n\n00B\nhello world\n0\n\n", [
    head({ rawHeaders: [["Transfer-Encoding", "gzip, Chunked"]], framing: "chunked" }),
    ["body", "hello world"],
    ["complete"],
  ]);
});

test("parse - interim 100 and 103 go to onInterim, 101 is final", () => {
  fixture(
    "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\n" +
      "HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok",
    [
      ["interim", 100, []],
      ["interim", 103, [["Link", "</a.css>"]]],
      head({
        status: 201,
        statusText: "Created",
        rawHeaders: [["Content-Length", "2"]],
        framing: "length",
        contentLength: 2,
      }),
      ["body", "ok"],
      ["complete"],
    ],
  );
  fixture(
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\x81\x05hello",
    [
      head({
        status: 101,
        statusText: "Switching Protocols",
        rawHeaders: [
          ["Upgrade", "websocket"],
          ["Connection", "Upgrade"],
        ],
        keepAlive: false,
      }),
      ["complete"],
    ],
    {},
    "\x81\x05hello",
  );
});

test("parse - HEAD, 204 and 304 have no body whatever the headers say", () => {
  const tail = "HTTP/1.1 200 OK\r\n\r\n";
  fixture(
    "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n" + tail,
    [head({ rawHeaders: [["Content-Length", "10"]] }), ["complete"]],
    { noBody: [true] },
    tail,
  );
  fixture(
    "HTTP/1.1 204 No Content\r\nTransfer-Encoding: chunked\r\n\r\n" + tail,
    [head({ status: 204, statusText: "No Content", rawHeaders: [["Transfer-Encoding", "chunked"]] }), ["complete"]],
    {},
    tail,
  );
  fixture(
    "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\n" + tail,
    [head({ status: 304, statusText: "Not Modified", rawHeaders: [["Content-Length", "99"]] }), ["complete"]],
    {},
    tail,
  );
});

test("parse - close-delimited bodies end at finish()", () => {
  fixture(
    "HTTP/1.0 200 OK\r\nServer: x\r\n\r\nall of it",
    [
      head({ httpVersion: "1.0", rawHeaders: [["Server", "x"]], framing: "close", keepAlive: false }),
      ["body", "all of it"],
      ["complete"],
    ],
    { eof: true },
  );
});

test("parse - keepAlive follows version and Connection", () => {
  const ka = (input: string): boolean => {
    const h = run([bytes(input)]).events[0]!;
    assert.equal(h[0], "head");
    return (h[1] as ResponseHead).keepAlive;
  };
  assert.equal(ka("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), true);
  assert.equal(ka("HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n"), false);
  assert.equal(ka("HTTP/1.1 200 OK\r\nConnection: upgrade, close\r\nContent-Length: 0\r\n\r\n"), false);
  assert.equal(ka("HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n"), false);
  assert.equal(ka("HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 0\r\n\r\n"), true);
  assert.equal(ka("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"), false);
  assert.equal(ka("HTTP/1.0 200 OK\r\nConnection: Upgrade, Keep-Alive\r\nContent-Length: 0\r\n\r\n"), true);
  assert.equal(ka("HTTP/1.0 200 OK\r\nConnection: keep-alives\r\nContent-Length: 0\r\n\r\n"), false);
  assert.equal(ka("HTTP/1.1 200 OK\r\nConnection: closed\r\nContent-Length: 0\r\n\r\n"), true);
  assert.equal(ka("HTTP/1.1 200 OK\r\n\r\n"), false); // close-delimited
});

test("parse - status lines: reason optional or empty, obs-text kept as Latin-1", () => {
  const first = (input: string) => run([bytes(input)]).events[0]![1] as ResponseHead;
  assert.equal(first("HTTP/1.1 200\r\nContent-Length: 0\r\n\r\n").statusText, "");
  assert.equal(first("HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n").statusText, "");
  assert.equal(first("HTTP/1.1 599 Two  Words\r\nContent-Length: 0\r\n\r\n").statusText, "Two  Words");
  // 0x80 must not become "€" as windows-1252 (TextDecoder's "latin1") would make it.
  const h = first("HTTP/1.1 200 Ok\xe9\r\nX-B: caf\xe9 \x80\xff\r\nContent-Length: 0\r\n\r\n");
  assert.equal(h.statusText, "Ok\u00e9");
  assert.deepEqual(h.rawHeaders[0], ["X-B", "caf\u00e9 \u0080\u00ff"]);
});

test("parse - framing follows the final transfer coding across Transfer-Encoding lines", () => {
  const framing = (te: string) =>
    (run([bytes(`HTTP/1.1 200 OK\r\n${te}\r\n\r\n`)]).events[0]![1] as ResponseHead).framing;
  assert.equal(framing("Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked"), "chunked");
  assert.equal(framing("Transfer-Encoding: CHUNKED"), "chunked");
  assert.equal(framing("Transfer-Encoding: chunked ,"), "chunked");
  // §6.3 item 4 would read these until close; a client cannot frame them safely, so they are refused.
  for (const te of [
    "Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip",
    "Transfer-Encoding: chunked, gzip",
    "Transfer-Encoding: chunkedx",
    "Transfer-Encoding: identity",
  ]) {
    rejects(`HTTP/1.1 200 OK\r\n${te}\r\n\r\n`, /final coding is not chunked/);
  }
});

test("parse - obs-text in a head split anywhere decodes as Latin-1", () => {
  fixture("HTTP/1.1 200 \xc7a va\r\nX-B: caf\xe9 \x80\r\nContent-Length: 0\r\n\r\n", [
    head({
      statusText: "\u00c7a va",
      rawHeaders: [
        ["X-B", "caf\u00e9 \u0080"],
        ["Content-Length", "0"],
      ],
      framing: "length",
      contentLength: 0,
    }),
    ["complete"],
  ]);
});

test("parse - empty lines before a status line are skipped", () => {
  fixture("\r\n\nHTTP/1.1 204 No Content\r\n\r\n", [
    head({ status: 204, statusText: "No Content", rawHeaders: [] }),
    ["complete"],
  ]);
});

test("parse - repeated identical Content-Lengths and lists are accepted", () => {
  const cl = (v: string) =>
    (run([bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${v}\r\n\r\n`)]).events[0]![1] as ResponseHead).contentLength;
  assert.equal(cl("0000000000000000007"), 7);
  assert.equal(cl("9007199254740991"), Number.MAX_SAFE_INTEGER);
  assert.equal(cl("12,12"), 12);
  fixture("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-length: 3, 3 ,3\r\n\r\nabc", [
    head({
      rawHeaders: [
        ["Content-Length", "3"],
        ["Content-length", "3, 3 ,3"],
      ],
      framing: "length",
      contentLength: 3,
    }),
    ["body", "abc"],
    ["complete"],
  ]);
});

test("parse - pipelined responses: execute stops after onHead and after onComplete", () => {
  const a = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n";
  const b = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n";
  const input = bytes(a + "hello" + b + "extra");
  const events: string[] = [];
  const p = new ResponseParser({
    onHead: (h) => events.push(`head ${h.framing}`),
    onBody: (c) => events.push(`body ${str(c)}`),
    onComplete: () => events.push("complete"),
  });
  p.reset(false);
  let off = p.execute(input);
  assert.equal(off, a.length);
  assert.equal(p.state, "on_body");
  off += p.execute(input.subarray(off));
  assert.equal(off, a.length + 5);
  assert.equal(p.state, "done");
  assert.equal(p.execute(new Uint8Array(0)), 0);
  assert.throws(() => p.execute(input.subarray(off)), TypeError);
  p.reset(false);
  assert.equal(p.bytesSeen, 0);
  off += p.execute(input.subarray(off));
  assert.equal(off, a.length + 5 + b.indexOf("\r\n\r\n") + 4);
  off += p.execute(input.subarray(off));
  assert.equal(str(input.subarray(off)), "extra");
  assert.deepEqual(events, ["head length", "body hello", "complete", "head chunked", "body xyz", "complete"]);
  // The same input at every split and byte by byte.
  for (const pieces of splits(input)) {
    const got = run(pieces, { messages: 2 });
    assert.equal(got.rest, "extra");
    assert.equal(got.events.filter((e) => e[0] === "complete").length, 2);
  }
});

test("parse - body chunks are views of the input (zero copy)", () => {
  for (const input of [
    "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello",
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
    "HTTP/1.0 200 OK\r\n\r\nhello",
  ]) {
    const b = bytes(input);
    const seen: Uint8Array[] = [];
    const p = new ResponseParser({ onHead() {}, onBody: (c) => seen.push(c), onComplete() {} });
    p.reset(false);
    const n = p.execute(b);
    p.execute(b.subarray(n));
    assert.equal(seen.length, 1);
    assert.equal(seen[0]!.buffer, b.buffer);
    assert.equal(seen[0]!.byteOffset, input.indexOf("hello"));
    assert.equal(str(seen[0]!), "hello");
  }
});

test("parse - state moves through waiting_response, on_status, on_headers, on_body, done", () => {
  const input = bytes("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx");
  const p = new ResponseParser({ onHead() {}, onBody() {}, onComplete() {} });
  p.reset(false);
  const states = [p.state];
  for (let i = 0; i < input.length; i++) {
    p.execute(input.subarray(i, i + 1));
    if (states[states.length - 1] !== p.state) states.push(p.state);
  }
  assert.deepEqual(states, ["waiting_response", "on_status", "on_headers", "on_body", "done"]);
  assert.equal(p.bytesSeen, input.length);
});

test("parse - pending holds the consumed bytes of an unfinished head", () => {
  const p = new ResponseParser({ onHead() {}, onBody() {}, onComplete() {} });
  p.reset(false);
  assert.equal(p.execute(bytes("HTTP/1.1 200 OK\r\nA: ")), 20);
  assert.equal(p.execute(bytes("b\r\n")), 3);
  assert.equal(str(p.pending), "HTTP/1.1 200 OK\r\nA: b\r\n");
  assert.equal(p.state, "on_headers");
});

test("parse - bad status lines are bad_response", () => {
  for (const line of [
    "HTTP/2.0 200 OK",
    "HTTP/1.10 200 OK",
    "http/1.1 200 OK",
    "ICY 200 OK",
    "HTTP/1.1 OK",
    "HTTP/1.1",
    "HTTP/1.1 20 OK",
    "HTTP/1.1 2000 OK",
    "HTTP/1.1 099 Low",
    "HTTP/1.1 2x0 OK",
    "HTTP/1.1  200 OK",
    "HTTP/1.1 200\tOK",
    "HTTP/1.1\t200 OK",
    "HTTP/1.1-200 OK",
    " HTTP/1.1 200 OK",
  ]) {
    rejects(line + "\r\nContent-Length: 0\r\n\r\n", /status line/);
  }
  rejects("HTTP/1.1 200 O\x00K\r\n\r\n", /reason phrase/);
});

test("parse - bad header lines are bad_response", () => {
  const h = (line: string) => `HTTP/1.1 200 OK\r\n${line}\r\nContent-Length: 0\r\n\r\n`;
  rejects(h("NoColon"), /without a colon/);
  rejects(h("Name : value"), /whitespace between a header name and its colon/);
  rejects(h("Name\t: value"), /whitespace between/);
  rejects(h(": value"), /empty header name/);
  rejects(h("Na(me: value"), /invalid character in a header name/);
  rejects(h("Na\x01me: value"), /invalid character in a header name/);
  rejects(h("N\xe4me: value"), /invalid character in a header name/);
  rejects(h("A: b\r\n  folded"), /obsolete line folding/);
  rejects("HTTP/1.1 200 OK\r\n\tA: b\r\n\r\n", /obsolete line folding/);
  rejects(h("A: x\x00y"), /invalid character in the value of header "A"/);
  rejects(h("A: x\ry"), /invalid character in the value|bare CR/); // which check sees it first depends on the split
  rejects(h("A: x\x7fy"), /invalid character in the value/);
});

test("parse - framing conflicts and bad Content-Length are bad_response", () => {
  const h = (lines: string) => `HTTP/1.1 200 OK\r\n${lines}\r\n\r\n`;
  rejects(h("Content-Length: 5\r\nTransfer-Encoding: chunked"), /both Content-Length and Transfer-Encoding/);
  rejects(h("Transfer-Encoding: chunked\r\nContent-Length: 5"), /both/);
  rejects(h("Content-Length: 5\r\nContent-Length: 6"), /conflicting Content-Length/);
  rejects(h("Content-Length: 5, 6"), /conflicting Content-Length/);
  for (const v of ["abc", "-5", "+5", "5.0", "0x10", "5 6", "5,", ",5", "5,,5", ""]) {
    rejects(h(`Content-Length: ${v}`), /invalid Content-Length/);
  }
  rejects(h("Content-Length: 9007199254740993"), /Content-Length too large/);
});

test("parse - bad chunk sizes and framing are bad_response", () => {
  const c = (body: string) => `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body}`;
  for (const size of ["-5", "+5", " 5", "5 ", "5 ;a=b", "", "0x5", "g", "5\t"]) {
    rejects(c(`${size}\r\nhello\r\n0\r\n\r\n`), /chunk size/);
  }
  rejects(c("20000000000000\r\n"), /chunk size too large/); // 2^53
  rejects(c("5\rhello\r\n0\r\n\r\n"), /chunk size line not ended by CRLF/);
  rejects(c("5\r\nhelloX\r\n0\r\n\r\n"), /missing CRLF after chunk data/);
  rejects(c("5\r\nhello\rX0\r\n\r\n"), /missing CRLF after chunk data/);
  rejects(c("5;a\x00b\r\nhello\r\n0\r\n\r\n"), /chunk extension/);
  rejects(c("0\r\nBadTrailer\r\n\r\n"), /without a colon/);
});

test("parse - the largest safe chunk size is accepted", () => {
  const events: number[] = [];
  const p = new ResponseParser({ onHead() {}, onBody: (b) => events.push(b.length), onComplete() {} });
  p.reset(false);
  const input = bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1fffffffffffff\r\nabc");
  const n = p.execute(input);
  assert.equal(p.execute(input.subarray(n)), input.length - n);
  assert.deepEqual(events, [3]);
});

test("parse - maxHeaderSize bounds the head and names the option", () => {
  const input = "HTTP/1.1 200 OK\r\nA: b\r\nContent-Length: 0\r\n\r\n";
  fixture(
    input,
    [
      head({
        rawHeaders: [
          ["A", "b"],
          ["Content-Length", "0"],
        ],
        framing: "length",
        contentLength: 0,
      }),
      ["complete"],
    ],
    {
      maxHeaderSize: input.length,
    },
  );
  rejects(input, new RegExp(`larger than ${input.length - 1} bytes \\(the maxHeaderSize option\\)`), {
    maxHeaderSize: input.length - 1,
  });
  // Default 64 KiB, raised before the head ends.
  const endless = bytes("HTTP/1.1 200 OK\r\nX: " + "a".repeat(70000));
  const p = new ResponseParser({ onHead() {}, onBody() {}, onComplete() {} });
  p.reset(false);
  assert.throws(() => p.execute(endless), /larger than 65536 bytes \(the maxHeaderSize option\)/);
  // Unusable after a throw.
  assert.throws(() => p.execute(bytes("x")), /maxHeaderSize/);
  const trailers = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: " + "t".repeat(100) + "\r\n\r\n";
  rejects(trailers, /trailer section larger than 80 bytes/, { maxHeaderSize: 80 });
});

test("parse - maxHeaders bounds the field count and names the option", () => {
  const lines = (n: number) => Array.from({ length: n }, (_, i) => `H${i}: v\r\n`).join("");
  const ok = run([bytes(`HTTP/1.1 204 No Content\r\n${lines(3)}\r\n`)], { maxHeaders: 3 });
  assert.equal((ok.events[0]![1] as ResponseHead).rawHeaders.length, 3);
  rejects(`HTTP/1.1 204 No Content\r\n${lines(4)}\r\n`, /more than 3 header fields \(the maxHeaders option\)/, {
    maxHeaders: 3,
  });
  const many = bytes(`HTTP/1.1 204 No Content\r\n${lines(1001)}\r\n`);
  assert.throws(() => run([many]), /more than 1000 header fields/);
  assert.equal(
    (run([bytes(`HTTP/1.1 204 No Content\r\n${lines(1000)}\r\n`)]).events[0]![1] as ResponseHead).rawHeaders.length,
    1000,
  );
});

test("parse - finish() reports a message cut short as closed", () => {
  const closed = (input: string, message: RegExp, phase: string) => {
    for (const pieces of splits(bytes(input))) {
      assert.throws(
        () => run(pieces, { eof: true }),
        (e: unknown) => e instanceof HansomError && e.code === "closed" && e.phase === phase && message.test(e.message),
      );
    }
  };
  closed("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", /after 3 of 10 body bytes/, "body");
  closed("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", /before the end of a chunked body/, "body");
  closed(
    "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: y\r\n",
    /before the end of a chunked body/,
    "body",
  );
  closed("HTTP/1.1 200 OK\r\nA: b", /middle of the response head/, "response");
  closed("HTTP/1.1 100 Continue\r\n\r\n", /before the final response/, "response");
  closed("\r\n", /before the final response/, "response");
});

test("parse - finish() with no byte says so; bytesSeen tells the caller", () => {
  const p = new ResponseParser({ onHead() {}, onBody() {}, onComplete() {} });
  p.reset(false);
  assert.equal(p.bytesSeen, 0);
  assert.equal(p.execute(new Uint8Array(0)), 0);
  assert.throws(
    () => p.finish(),
    (e: unknown) => e instanceof HansomError && e.code === "closed" && /before any response byte/.test(e.message),
  );
  const q = new ResponseParser({ onHead() {}, onBody() {}, onComplete() {} });
  q.reset(false);
  q.execute(bytes("H"));
  assert.equal(q.bytesSeen, 1);
  assert.throws(() => q.finish(), /middle of the response head/);
});

test("parse - finish() after completion or on a close-delimited body completes once", () => {
  let completes = 0;
  const p = new ResponseParser({ onHead() {}, onBody() {}, onComplete: () => completes++ });
  p.reset(false);
  const input = bytes("HTTP/1.1 200 OK\r\n\r\nbody");
  const n = p.execute(input);
  p.execute(input.subarray(n));
  assert.equal(p.state, "on_body");
  p.finish();
  assert.equal(p.state, "done");
  p.finish();
  assert.equal(completes, 1);
});
