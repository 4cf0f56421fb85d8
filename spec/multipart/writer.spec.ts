import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeMultipart } from "../../lib/multipart/encode.ts";
import { MultipartWriter, isSendPartEvent, multipartEventStream } from "../../lib/multipart/writer.ts";
import type { SendPartEvent } from "../../lib/multipart/writer.ts";
import { MultipartDecoder } from "../../lib/multipart/decode.ts";
import type { ReceivePartEvent } from "../../lib/multipart/decode.ts";
import type { EncodedBody } from "../../lib/body.ts";
import { concat, feed } from "../helpers/chunks.ts";
import { isCode } from "../helpers/errors.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const B = "WRITER-boundary";

const dir = await mkdtemp(join(tmpdir(), "hansom-mp-writer-"));
after(() => rm(dir, { recursive: true, force: true }));

async function writeAll(w: MultipartWriter, events: SendPartEvent[]): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for (const ev of events) for await (const c of w.encode(ev)) chunks.push(c);
  return concat(chunks);
}

async function readBody(body: EncodedBody): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const c of body.open() as AsyncIterable<Uint8Array>) chunks.push(c);
  return concat(chunks);
}

/** Decoded events with body chunks joined into text. */
async function decodeAll(
  bytes: Uint8Array,
  b: string,
): Promise<Array<ReceivePartEvent | { type: "body"; text: string }>> {
  const out: Array<ReceivePartEvent | { type: "body"; text: string }> = [];
  for await (const ev of new MultipartDecoder(feed([bytes]), b).events()) {
    const last = out[out.length - 1];
    if (ev.type === "body" && last?.type === "body" && "text" in last) last.text += dec.decode(ev.chunk);
    else out.push(ev.type === "body" ? { type: "body", text: dec.decode(ev.chunk) } : ev);
  }
  return out;
}

test("multipart writer - every send event kind decodes to the matching receive events", async () => {
  const path = join(dir, "report.csv");
  await writeFile(path, "a,b\r\n1,2\r\n");
  const w = new MultipartWriter(B);
  assert.equal(w.boundary, B);
  const bytes = await writeAll(w, [
    { type: "data", name: "field", content: "value" },
    { type: "file", path },
    { type: "file", path, name: "named", headers: { "X-Up": "1" } },
    { type: "part", name: "streamed.json", length: 6 },
    { type: "part_bin", bytes: enc.encode('{"a"') },
    { type: "part_bin", bytes: enc.encode(":1") },
    { type: "end_of_part" },
    { type: "part", name: "open-ended" },
    { type: "part_bin", bytes: enc.encode("any") },
    { type: "end_of_part" },
    { type: "mp_mixed", name: "mixed", boundary: "INNER" },
    { type: "data", name: "in.txt", content: enc.encode("inner") },
    { type: "mp_mixed_eof", boundary: "INNER" },
    { type: "eof" },
  ]);
  assert.equal(w.done, true);
  assert.deepEqual(await decodeAll(bytes, B), [
    {
      type: "headers",
      headers: [
        ["content-disposition", 'form-data; name="field"'],
        ["content-type", "text/plain; charset=utf-8"],
        ["content-length", "5"],
      ],
    },
    { type: "body", text: "value" },
    { type: "end_of_part" },
    {
      type: "headers",
      headers: [
        ["content-disposition", 'form-data; name="file"; filename="report.csv"'],
        ["content-type", "text/csv"],
        ["content-length", "10"],
      ],
    },
    { type: "body", text: "a,b\r\n1,2\r\n" },
    { type: "end_of_part" },
    {
      type: "headers",
      headers: [
        ["content-disposition", 'form-data; name="named"; filename="report.csv"'],
        ["content-type", "text/csv"],
        ["content-length", "10"],
        ["X-Up", "1"],
      ],
    },
    { type: "body", text: "a,b\r\n1,2\r\n" },
    { type: "end_of_part" },
    {
      type: "headers",
      headers: [
        ["content-disposition", 'form-data; name="streamed.json"'],
        ["content-type", "application/json"],
        ["content-length", "6"],
      ],
    },
    { type: "body", text: '{"a":1' },
    { type: "end_of_part" },
    {
      type: "headers",
      headers: [
        ["content-disposition", 'form-data; name="open-ended"'],
        ["content-type", "application/octet-stream"],
      ],
    },
    { type: "body", text: "any" },
    { type: "end_of_part" },
    { type: "mp_mixed", boundary: "INNER" },
    {
      type: "headers",
      headers: [
        ["content-disposition", 'form-data; name="in.txt"'],
        ["content-type", "text/plain"],
        ["content-length", "5"],
      ],
    },
    { type: "body", text: "inner" },
    { type: "end_of_part" },
    { type: "mp_mixed_eof" },
    { type: "eof" },
  ]);
});

test("multipart writer - a data event is byte for byte a value part of encodeMultipart", async () => {
  const viaWriter = await writeAll(new MultipartWriter(B), [
    { type: "data", name: "a", content: "x", headers: [["X-1", "y"]] },
    { type: "data", name: "b.bin", content: new Uint8Array([1, 2]) },
    { type: "eof" },
  ]);
  const viaParts = await readBody(
    await encodeMultipart(
      [
        { name: "a", value: "x", headers: [["X-1", "y"]] },
        { name: "b.bin", value: new Uint8Array([1, 2]) },
      ],
      B,
    ),
  );
  assert.deepEqual(viaWriter, viaParts);
});

test("multipart writer - events out of order are multipart_error", () => {
  const misuse: Array<[string, SendPartEvent[]]> = [
    ["part_bin without part", [{ type: "part_bin", bytes: new Uint8Array(1) }]],
    ["end_of_part without part", [{ type: "end_of_part" }]],
    [
      "data inside a part",
      [
        { type: "part", name: "p" },
        { type: "data", name: "d", content: "" },
      ],
    ],
    [
      "file inside a part",
      [
        { type: "part", name: "p" },
        { type: "file", path: "/x" },
      ],
    ],
    ["eof inside a part", [{ type: "part", name: "p" }, { type: "eof" }]],
    [
      "mp_mixed inside a part",
      [
        { type: "part", name: "p" },
        { type: "mp_mixed", name: "m", boundary: "I" },
      ],
    ],
    ["eof inside mixed", [{ type: "mp_mixed", name: "m", boundary: "I" }, { type: "eof" }]],
    [
      "mp_mixed_eof of another boundary",
      [
        { type: "mp_mixed", name: "m", boundary: "I" },
        { type: "mp_mixed_eof", boundary: "J" },
      ],
    ],
    ["mp_mixed_eof at the top", [{ type: "mp_mixed_eof", boundary: B }]],
    ["anything after eof", [{ type: "eof" }, { type: "data", name: "d", content: "" }]],
    [
      "part_bin past the announced length",
      [
        { type: "part", name: "p", length: 2 },
        { type: "part_bin", bytes: new Uint8Array(3) },
      ],
    ],
    [
      "end_of_part short of the announced length",
      [{ type: "part", name: "p", length: 2 }, { type: "part_bin", bytes: new Uint8Array(1) }, { type: "end_of_part" }],
    ],
    ["an invalid mixed boundary", [{ type: "mp_mixed", name: "m", boundary: "bad\r\n" }]],
  ];
  for (const [what, events] of misuse) {
    const w = new MultipartWriter(B);
    assert.throws(
      () => {
        for (const ev of events) w.encode(ev);
      },
      isCode("multipart_error"),
      what,
    );
  }
  assert.throws(
    () => new MultipartWriter(B).encode({ type: "data", name: "d", content: "", headers: { "X-A": "\n" } }),
    isCode("invalid_header"),
  );
  assert.throws(() => new MultipartWriter("bad boundary "), isCode("multipart_error"));
});

test("multipart writer - a file that is missing is file_error when its bytes are read", async () => {
  const w = new MultipartWriter(B);
  await assert.rejects(writeAll(w, [{ type: "file", path: join(dir, "missing.txt") }]), isCode("file_error"));
});

test("multipart writer - isSendPartEvent", () => {
  for (const t of ["file", "data", "part", "part_bin", "end_of_part", "mp_mixed", "mp_mixed_eof", "eof"])
    assert.equal(isSendPartEvent({ type: t }), true, t);
  for (const x of [null, undefined, "eof", 1, new Uint8Array(2), {}, { type: "body" }, { type: 5 }, [{ type: "eof" }]])
    assert.equal(isSendPartEvent(x), false, String(x));
});

test("multipart event stream - a chunked body from an array of events, replayable", async () => {
  const events: SendPartEvent[] = [{ type: "data", name: "a", content: "1" }, { type: "eof" }];
  const body = multipartEventStream(events, B);
  assert.equal(body.length, null);
  assert.equal(body.contentType, `multipart/form-data; boundary=${B}`);
  assert.equal(body.replayable, true);
  const first = await readBody(body);
  assert.deepEqual(await readBody(body), first);
  assert.deepEqual(first, await readBody(await encodeMultipart([{ name: "a", value: "1" }], B)));
});

test("multipart event stream - an async iterable is one-shot, and a missing eof is added", async () => {
  async function* events(): AsyncGenerator<SendPartEvent> {
    yield { type: "part", name: "p" };
    yield { type: "part_bin", bytes: enc.encode("abc") };
    yield { type: "end_of_part" };
  }
  const body = multipartEventStream(events());
  assert.equal(body.replayable, false);
  const b = body.contentType!.split("boundary=")[1]!;
  assert.match(b, /^-{27}[0-9A-Za-z]{24}$/);
  const bytes = await readBody(body);
  assert.ok(dec.decode(bytes).endsWith(`\r\nabc\r\n--${b}--\r\n`));
  assert.equal((await decodeAll(bytes, b)).at(-1)?.type, "eof");
  assert.throws(() => body.open(), isCode("not_replayable"));
});

test("multipart event stream - a non-event or an unfinished part is multipart_error", async () => {
  await assert.rejects(
    readBody(
      multipartEventStream([{ type: "data", name: "a", content: "1" }, { nope: 1 } as unknown as SendPartEvent], B),
    ),
    isCode("multipart_error"),
  );
  await assert.rejects(readBody(multipartEventStream([{ type: "part", name: "p" }], B)), isCode("multipart_error"));
  await assert.rejects(
    readBody(multipartEventStream([{ type: "mp_mixed", name: "m", boundary: "I" }], B)),
    isCode("multipart_error"),
  );
});
