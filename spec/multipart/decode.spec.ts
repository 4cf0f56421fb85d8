import { test } from "node:test";
import assert from "node:assert/strict";
import { MultipartDecoder, boundaryFromContentType } from "../../lib/multipart/decode.ts";
import type { ReceivePartEvent } from "../../lib/multipart/decode.ts";
import { HansomError } from "../../lib/errors.ts";
import { cut, feed } from "../helpers/chunks.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const B = "XyZ-boundary_42";

type Ev = ReceivePartEvent | { type: "body"; text: string };

/** Decodes and joins adjacent body chunks into one text, so any split compares equal. */
async function decode(chunks: Uint8Array[], boundary = B, opts?: { maxHeaderSize?: number }): Promise<Ev[]> {
  const out: Ev[] = [];
  let body: Uint8Array[] | null = null;
  for await (const ev of new MultipartDecoder(feed(chunks), boundary, opts).events()) {
    if (ev.type === "body") {
      assert.ok(ev.chunk.length > 0, "no empty body events");
      (body ??= []).push(ev.chunk);
      continue;
    }
    if (body)
      out.push({ type: "body", text: body.map((c) => dec.decode(c, { stream: true })).join("") + dec.decode() });
    body = null;
    out.push(ev);
  }
  return out;
}

const FIXTURE = enc.encode(
  "This is the preamble, --" +
    B +
    " mid-line is not a delimiter.\r\n" +
    "--" +
    B +
    "\r\n" +
    'Content-Disposition: form-data; name="a"\r\n' +
    "X-Folded: one\r\n two\r\n" +
    "\r\n" +
    "hello\r\nworld --" +
    B +
    "x\r\n" +
    "--" +
    B +
    " \t\r\n" + // transport padding
    "\r\n" + // a part without headers
    "\r\n" + // and an empty body
    "--" +
    B +
    "\r\n" +
    'content-disposition: form-data; name="m"\r\n' +
    'Content-Type: multipart/mixed; boundary="in ner"\r\n' +
    "\r\n" +
    "--in ner\r\n" +
    "Content-Type: text/plain\r\n" +
    "\r\n" +
    "inner body\r\n" +
    "--in ner--\r\n" +
    "\r\n" +
    "--" +
    B +
    "\r\n" +
    "Content-Type: application/octet-stream\r\n" +
    "\r\n" +
    "\r\n\r\n--\r\n-" +
    B +
    "\r\n" +
    "--" +
    B +
    "--\r\n" +
    "This is the epilogue.\r\n",
);
const CLOSE_END = dec.decode(FIXTURE).indexOf(`--${B}--`) + B.length + 4;

const EXPECTED: Ev[] = [
  {
    type: "headers",
    headers: [
      ["Content-Disposition", 'form-data; name="a"'],
      ["X-Folded", "one two"],
    ],
  },
  { type: "body", text: "hello\r\nworld --" + B + "x" },
  { type: "end_of_part" },
  { type: "headers", headers: [] },
  { type: "end_of_part" },
  { type: "mp_mixed", boundary: "in ner" },
  { type: "headers", headers: [["Content-Type", "text/plain"]] },
  { type: "body", text: "inner body" },
  { type: "end_of_part" },
  { type: "mp_mixed_eof" },
  { type: "headers", headers: [["Content-Type", "application/octet-stream"]] },
  { type: "body", text: "\r\n\r\n--\r\n-" + B },
  { type: "end_of_part" },
  { type: "eof" },
];

async function rejectsWith(p: Promise<unknown>, code: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof HansomError, `a HansomError, got ${String(e)}`);
    assert.equal(e.code, code, e.message);
    return true;
  });
}

test("multipart decode - every receive event kind, in one chunk", async () => {
  assert.deepEqual(await decode([FIXTURE]), EXPECTED);
});

test("multipart decode - boundary split at every offset", async () => {
  for (let i = 0; i <= FIXTURE.length; i++) {
    assert.deepEqual(await decode(cut(FIXTURE, [i])), EXPECTED, `split at ${i}`);
  }
});

test("multipart decode - three chunks at many offset pairs", async () => {
  for (let i = 0; i <= FIXTURE.length; i += 3) {
    for (let j = i; j <= FIXTURE.length; j += 7) {
      assert.deepEqual(await decode(cut(FIXTURE, [i, j])), EXPECTED, `split at ${i}, ${j}`);
    }
  }
});

test("multipart decode - byte by byte", async () => {
  const bytes = Array.from({ length: FIXTURE.length }, (_, i) => FIXTURE.subarray(i, i + 1));
  assert.deepEqual(await decode(bytes), EXPECTED);
});

test("multipart decode - empty chunks are skipped", async () => {
  const e = new Uint8Array(0);
  assert.deepEqual(await decode([e, ...cut(FIXTURE, [10, 10, 200]), e]), EXPECTED);
});

test("multipart decode - a truncated stream is bad_response at every cut before the close delimiter", async () => {
  for (let i = 0; i < CLOSE_END; i++) {
    await rejectsWith(decode([FIXTURE.subarray(0, i)]), "bad_response");
  }
  // From the end of "--B--" on, the rest is epilogue.
  assert.deepEqual(await decode([FIXTURE.subarray(0, CLOSE_END)]), EXPECTED);
});

test("multipart decode - malformed input is bad_response", async () => {
  const cases = [
    `--${B}junk\r\n\r\nx\r\n--${B}--`, // a boundary followed by neither "--" nor CRLF
    `--${B}\r\nno colon here\r\n\r\nx\r\n--${B}--`,
    `--${B}\r\n: empty name\r\n\r\nx\r\n--${B}--`,
    `--${B}\r\n folded first\r\n\r\nx\r\n--${B}--`,
    `--${B}\r\nBad Name: v\r\n\r\nx\r\n--${B}--`,
    `--${B}${" ".repeat(300)}\r\n\r\nx\r\n--${B}--`,
    "no boundary anywhere",
    "",
  ];
  for (const c of cases) await rejectsWith(decode([enc.encode(c)]), "bad_response");
});

test("multipart decode - part headers past maxHeaderSize are bad_response, as a response head past it is", async () => {
  const big = `--${B}\r\nX-Big: ${"a".repeat(200)}\r\n\r\nx\r\n--${B}--`;
  await rejectsWith(decode([enc.encode(big)], B, { maxHeaderSize: 100 }), "bad_response");
  // Byte by byte the limit still holds (no unbounded buffering while waiting for the blank line).
  const bytes = enc.encode(`--${B}\r\nX-Big: ${"a".repeat(5000)}`);
  await rejectsWith(
    decode(
      Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)),
      B,
      { maxHeaderSize: 100 },
    ),
    "bad_response",
  );
  assert.equal((await decode([enc.encode(big)], B, { maxHeaderSize: 300 })).length, 4);
});

test("multipart decode - body chunks are views of the source chunks, streamed as they arrive", {
  timeout: 30_000,
}, async () => {
  const head = enc.encode(`--${B}\r\nContent-Type: x/y\r\n\r\n`);
  const first = new Uint8Array(100_000).fill(7);
  // The chunk ends with a cut delimiter: only that tail may be held back.
  const cutTail = enc.encode(`\r\n--${B.slice(0, 5)}`);
  const chunk1 = new Uint8Array(first.length + cutTail.length);
  chunk1.set(first);
  chunk1.set(cutTail, first.length);
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let pulledSecond = false;
  async function* src(): AsyncGenerator<Uint8Array> {
    yield head;
    yield chunk1;
    await gate;
    pulledSecond = true;
    yield enc.encode(`${B.slice(5)}--\r\n`);
  }
  const it = new MultipartDecoder(src(), B).events();
  assert.equal((await it.next()).value?.type, "headers");
  const ev = (await it.next()).value as ReceivePartEvent;
  assert.equal(pulledSecond, false, "the body came before the next chunk was read");
  assert.ok(ev.type === "body");
  assert.equal(ev.chunk.length, first.length, "held back exactly the cut delimiter");
  assert.equal(ev.chunk.buffer, chunk1.buffer, "a view, not a copy");
  release();
  assert.deepEqual((await it.next()).value, { type: "end_of_part" });
  assert.deepEqual((await it.next()).value, { type: "eof" });
  assert.equal((await it.next()).done, true);
});

test("multipart decode - a held-back tail that is not a delimiter is body", async () => {
  const s = `--${B}\r\n\r\nabc\r\n--${B.slice(0, 4)}NOT\r\n--${B}--`;
  for (let i = 0; i <= s.length; i++) {
    assert.deepEqual(await decode(cut(enc.encode(s), [i])), [
      { type: "headers", headers: [] },
      { type: "body", text: `abc\r\n--${B.slice(0, 4)}NOT` },
      { type: "end_of_part" },
      { type: "eof" },
    ]);
  }
});

test("multipart decode - a delimiter counts only after CRLF", async () => {
  const s = `--${B}\r\n\r\na\n--${B}\r\nb\r--${B}\r\nc\r\n-${B}\r\n--${B}--`;
  for (let i = 0; i <= s.length; i++) {
    assert.deepEqual(await decode(cut(enc.encode(s), [i])), [
      { type: "headers", headers: [] },
      { type: "body", text: `a\n--${B}\r\nb\r--${B}\r\nc\r\n-${B}` },
      { type: "end_of_part" },
      { type: "eof" },
    ]);
  }
});

test("multipart decode - skipPart discards the body and end_of_part comes next", async () => {
  const s = `--${B}\r\nA: 1\r\n\r\n${"x".repeat(50_000)}\r\n--${B}\r\nA: 2\r\n\r\nkept\r\n--${B}--\r\n`;
  for (const size of [7, 1000, 100_000]) {
    const d = new MultipartDecoder(
      feed(
        cut(
          enc.encode(s),
          Array.from({ length: Math.floor(s.length / size) }, (_, i) => (i + 1) * size),
        ),
      ),
      B,
    );
    const seen: string[] = [];
    for await (const ev of d.events()) {
      if (ev.type === "body" && seen.at(-1)?.startsWith("body:")) seen[seen.length - 1] += dec.decode(ev.chunk);
      else
        seen.push(
          ev.type === "body"
            ? `body:${dec.decode(ev.chunk)}`
            : ev.type === "headers"
              ? `headers:${ev.headers[0]![1]}`
              : ev.type,
        );
      if (ev.type === "headers" && ev.headers[0]![1] === "1") await d.skipPart();
    }
    assert.deepEqual(
      seen,
      ["headers:1", "end_of_part", "headers:2", "body:kept", "end_of_part", "eof"],
      `chunks of ${size}`,
    );
  }
});

test("multipart decode - skipPart after a body chunk, and outside a part body, is safe", async () => {
  const s = enc.encode(`--${B}\r\n\r\nfirst-chunk|second-chunk\r\n--${B}--`);
  const at = dec.decode(s).indexOf("|") + 1;
  const d = new MultipartDecoder(feed(cut(s, [at])), B);
  const it = d.events();
  await d.skipPart(); // nothing read yet: no-op
  assert.equal((await it.next()).value?.type, "headers");
  const body = (await it.next()).value as ReceivePartEvent;
  assert.ok(body.type === "body" && dec.decode(body.chunk) === "first-chunk|");
  await d.skipPart();
  assert.deepEqual((await it.next()).value, { type: "end_of_part" });
  await d.skipPart(); // between parts: no-op
  assert.deepEqual((await it.next()).value, { type: "eof" });
});

test("multipart decode - abandoning the events releases the source", { timeout: 30_000 }, async () => {
  let returned = false;
  async function* src(): AsyncGenerator<Uint8Array> {
    try {
      yield enc.encode(`--${B}\r\n\r\nabc`);
      yield enc.encode("def");
    } finally {
      returned = true;
    }
  }
  for await (const ev of new MultipartDecoder(src(), B).events()) {
    if (ev.type === "headers") break;
  }
  assert.equal(returned, true);
});

test("multipart decode - the epilogue is read to its end before eof", async () => {
  let ended = false;
  async function* src(): AsyncGenerator<Uint8Array> {
    yield enc.encode(`--${B}\r\n\r\nabc\r\n--${B}--\r\n`);
    yield enc.encode("epilogue");
    ended = true;
  }
  const events = await (async () => {
    const out: string[] = [];
    for await (const ev of new MultipartDecoder(src(), B).events()) out.push(ev.type);
    return out;
  })();
  assert.deepEqual(events, ["headers", "body", "end_of_part", "eof"]);
  assert.equal(ended, true);
});

test("multipart decode - nested parts several levels deep", async () => {
  const s =
    `--${B}\r\nContent-Type: multipart/mixed; boundary=L1\r\n\r\n` +
    `--L1\r\nContent-Type: multipart/alternative; boundary=L2\r\n\r\n` +
    `--L2\r\n\r\ndeep\r\n--L2--\r\n` +
    `--L1\r\n\r\nmid\r\n--L1--` +
    `\r\n--${B}--`;
  const expected: Ev[] = [
    { type: "mp_mixed", boundary: "L1" },
    { type: "mp_mixed", boundary: "L2" },
    { type: "headers", headers: [] },
    { type: "body", text: "deep" },
    { type: "end_of_part" },
    { type: "mp_mixed_eof" },
    { type: "headers", headers: [] },
    { type: "body", text: "mid" },
    { type: "end_of_part" },
    { type: "mp_mixed_eof" },
    { type: "eof" },
  ];
  for (let i = 0; i <= s.length; i++)
    assert.deepEqual(await decode(cut(enc.encode(s), [i])), expected, `split at ${i}`);
});

test("multipart decode - non-ASCII header values are UTF-8", async () => {
  const s = `--${B}\r\nContent-Disposition: form-data; name="f"; filename="résumé.pdf"\r\n\r\n\r\n--${B}--`;
  const [h] = await decode([enc.encode(s)]);
  assert.deepEqual(h, {
    type: "headers",
    headers: [["Content-Disposition", 'form-data; name="f"; filename="résumé.pdf"']],
  });
});

test("multipart decode - an invalid boundary is bad_response", () => {
  assert.throws(
    () => new MultipartDecoder(feed([]), ""),
    (e: unknown) => e instanceof HansomError && e.code === "bad_response",
  );
  assert.throws(
    () => new MultipartDecoder(feed([]), "a\r\nb"),
    (e: unknown) => e instanceof HansomError && e.code === "bad_response",
  );
});

test("multipart decode - boundaryFromContentType", () => {
  assert.equal(boundaryFromContentType("multipart/form-data; boundary=abc"), "abc");
  assert.equal(boundaryFromContentType('Multipart/Mixed; charset=utf-8; BOUNDARY="a b;c"'), "a b;c");
  assert.equal(boundaryFromContentType('multipart/related;boundary="q\\"x"; type=text/html'), 'q"x');
  assert.equal(boundaryFromContentType("multipart/byteranges ; boundary = 3d6b6a416f9b5"), "3d6b6a416f9b5");
  assert.equal(
    boundaryFromContentType("multipart/form-data; name=x; boundary=----WebKitFormBoundary7MA4YWxk"),
    "----WebKitFormBoundary7MA4YWxk",
  );
  assert.equal(boundaryFromContentType("text/plain; boundary=abc"), null);
  assert.equal(boundaryFromContentType("multipart/form-data"), null);
  assert.equal(boundaryFromContentType("multipart/form-data; boundary="), null);
  assert.equal(boundaryFromContentType('multipart/form-data; boundary=""'), null);
  assert.equal(boundaryFromContentType(""), null);
  assert.equal(boundaryFromContentType(null), null);
});
