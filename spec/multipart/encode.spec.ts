import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { boundary, encodeFormData, encodeMultipart, multipartLength } from "../../lib/multipart/encode.ts";
import type { Part } from "../../lib/multipart/encode.ts";
import { MultipartDecoder } from "../../lib/multipart/decode.ts";
import type { EncodedBody } from "../../lib/body.ts";
import { concat, feed } from "../helpers/chunks.ts";
import { isCode } from "../helpers/errors.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const B = "TEST-boundary";

const dir = await mkdtemp(join(tmpdir(), "hansom-mp-encode-"));
after(() => rm(dir, { recursive: true, force: true }));

async function collect(body: EncodedBody): Promise<{ bytes: Uint8Array; chunks: Uint8Array[] }> {
  const chunks: Uint8Array[] = [];
  for await (const c of body.open() as AsyncIterable<Uint8Array>) chunks.push(c);
  return { bytes: concat(chunks), chunks };
}

async function text(body: EncodedBody): Promise<string> {
  return dec.decode((await collect(body)).bytes);
}

/** Parts as the decoder sees them: headers and the joined body, nested levels flattened with markers. */
async function parts(
  bytes: Uint8Array,
  b: string,
): Promise<Array<{ headers: Array<[string, string]>; body: Uint8Array } | string>> {
  const out: Array<{ headers: Array<[string, string]>; body: Uint8Array } | string> = [];
  let cur: { headers: Array<[string, string]>; body: Uint8Array } | null = null;
  for await (const ev of new MultipartDecoder(feed([bytes]), b).events()) {
    if (ev.type === "headers") out.push((cur = { headers: ev.headers, body: new Uint8Array(0) }));
    else if (ev.type === "body") {
      const joined = new Uint8Array(cur!.body.length + ev.chunk.length);
      joined.set(cur!.body);
      joined.set(ev.chunk, cur!.body.length);
      cur!.body = joined;
    } else if (ev.type === "mp_mixed") out.push(`mp_mixed ${ev.boundary}`);
    else if (ev.type === "mp_mixed_eof") out.push("mp_mixed_eof");
  }
  return out;
}

async function tempFile(name: string, bytes: Uint8Array): Promise<string> {
  const p = join(dir, name);
  await writeFile(p, bytes);
  return p;
}

test("multipart encode - value parts carry content-disposition, content-type and content-length", async () => {
  const body = await encodeMultipart(
    [
      { name: "s", value: "héllo" },
      { name: "b", value: new Uint8Array([0, 1, 2]) },
    ],
    B,
  );
  assert.equal(body.contentType, `multipart/form-data; boundary=${B}`);
  assert.equal(body.replayable, true);
  const expected =
    `--${B}\r\ncontent-disposition: form-data; name="s"\r\ncontent-type: text/plain; charset=utf-8\r\ncontent-length: 6\r\n\r\nhéllo\r\n` +
    `--${B}\r\ncontent-disposition: form-data; name="b"\r\ncontent-type: application/octet-stream\r\ncontent-length: 3\r\n\r\n\0\x01\x02\r\n` +
    `--${B}--\r\n`;
  assert.equal(await text(body), expected);
  assert.equal(body.length, enc.encode(expected).length);
});

test("multipart encode - a bytes value's content-type follows its name's extension, as hackney's", async () => {
  const t = await text(await encodeMultipart([{ name: "data.json", value: enc.encode("{}") }], B));
  assert.match(t, /\r\ncontent-type: application\/json\r\n/);
});

test("multipart encode - names and filenames escape quote, CR and LF; non-ASCII filenames get filename*", async () => {
  const t = await text(
    await encodeMultipart(
      [
        { name: 'a"b\r\nc\0', value: "x" },
        {
          name: "f",
          stream: [enc.encode("y")] as unknown as AsyncIterable<Uint8Array>,
          length: 1,
          filename: 'ré"sumé\r\n.pdf',
        },
        {
          name: "g",
          stream: (async function* () {
            yield enc.encode("z");
          })(),
          length: 1,
          filename: "plain.txt",
        },
      ],
      B,
    ),
  );
  assert.match(t, /content-disposition: form-data; name="a%22b%0D%0Ac%00"\r\n/);
  assert.ok(
    t.includes(
      `content-disposition: form-data; name="f"; filename="ré%22sumé%0D%0A.pdf"; filename*=UTF-8''r%C3%A9%22sum%C3%A9%0D%0A.pdf\r\ncontent-type: application/pdf\r\n`,
    ),
    t,
  );
  assert.ok(
    t.includes(
      `content-disposition: form-data; name="g"; filename="plain.txt"\r\ncontent-type: text/plain\r\ncontent-length: 1\r\n`,
    ),
    t,
  );
});

test("multipart encode - part headers add to and override the defaults", async () => {
  for (const headers of [
    [
      ["Content-Type", "text/csv"],
      ["X-Extra", "1"],
    ] as Array<[string, string]>,
    { "Content-Type": "text/csv", "X-Extra": "1" },
  ]) {
    const t = await text(await encodeMultipart([{ name: "a", value: "v", headers }], B));
    assert.ok(
      t.startsWith(
        `--${B}\r\ncontent-disposition: form-data; name="a"\r\nContent-Type: text/csv\r\ncontent-length: 1\r\nX-Extra: 1\r\n\r\nv\r\n`,
      ),
      t,
    );
  }
  const t = await text(await encodeMultipart([{ name: "a", value: "v", headers: new Headers({ "X-H": "h" }) }], B));
  assert.ok(t.includes("content-length: 1\r\nx-h: h\r\n\r\nv"), t);
});

test("multipart encode - a part header with CR, LF or NUL, or a bad name, is invalid_header", async () => {
  const bad: Array<Record<string, string>> = [
    { "X-A": "a\r\nInjected: 1" },
    { "X-A": "a\nb" },
    { "X-A": "a\0b" },
    { "Bad Name": "v" },
    { "": "v" },
    { "X:Y": "v" },
  ];
  for (const headers of bad) {
    await assert.rejects(encodeMultipart([{ name: "a", value: "v", headers }], B), isCode("invalid_header"));
    await assert.rejects(multipartLength([{ name: "a", value: "v", headers }], B), isCode("invalid_header"));
  }
});

test("multipart encode - boundary() is random, RFC 2046-safe and hackney-shaped", () => {
  const seen = new Set<string>();
  for (let i = 0; i < 1000; i++) {
    const b = boundary();
    assert.match(b, /^-{27}[0-9A-Za-z]{24}$/);
    seen.add(b);
  }
  assert.equal(seen.size, 1000);
});

test("multipart encode - an invalid boundary is multipart_error", async () => {
  for (const b of ["", "x".repeat(71), "ends with space ", "cr\rlf", "semi;colon", 'quote"']) {
    await assert.rejects(encodeMultipart([{ name: "a", value: "v" }], b), isCode("multipart_error"));
  }
  // tspecials are allowed but then quoted in the Content-Type.
  const body = await encodeMultipart([{ name: "a", value: "v" }], "a b/c?");
  assert.equal(body.contentType, 'multipart/form-data; boundary="a b/c?"');
});

test("multipart encode - a file part streams a temp file with its name, type and length", async () => {
  const content = new Uint8Array(200_000).map((_, i) => (i * 7) & 255);
  const path = await tempFile("photo.PNG", content);
  const body = await encodeMultipart(
    [
      { name: "up", file: path },
      { name: "note", value: "n" },
    ],
    B,
  );
  assert.equal(body.replayable, true);
  for (let round = 0; round < 2; round++) {
    // replayable: the second open reads the file again
    const { bytes, chunks } = await collect(body);
    assert.equal(bytes.length, body.length);
    assert.ok(chunks.length >= 4, "the file came in several chunks, not read whole");
    const got = await parts(bytes, B);
    assert.deepEqual(got[0], {
      headers: [
        ["content-disposition", 'form-data; name="up"; filename="photo.PNG"'],
        ["content-type", "image/png"],
        ["content-length", "200000"],
      ],
      body: content,
    });
    assert.deepEqual(dec.decode((got[1] as { body: Uint8Array }).body), "n");
  }
  const t = await text(
    await encodeMultipart([{ name: "up", file: path, filename: "other.pdf", contentType: "x/y" }], B),
  );
  assert.ok(t.includes(`name="up"; filename="other.pdf"\r\ncontent-type: x/y\r\ncontent-length: 200000\r\n`));
});

test("multipart encode - a missing file is file_error", async () => {
  await assert.rejects(encodeMultipart([{ name: "f", file: join(dir, "nope.txt") }], B), isCode("file_error"));
});

test("multipart encode - multipartLength equals the encoded byte count", async () => {
  const path = await tempFile("data.bin", new Uint8Array(70_000).fill(1));
  const cases: Part[][] = [
    [],
    [{ name: "a", value: "v" }],
    [{ name: "é", value: "ünïcode", headers: { "X-A": "b" } }],
    [{ name: "big", value: new Uint8Array(100_000) }],
    [{ name: "f", file: path }],
    [{ name: "f", file: path, filename: "名前.txt", headers: [["content-type", "a/b"]] }],
    [{ name: "s", stream: new Blob(["12345"]).stream(), length: 5, filename: "s.txt" }],
    [
      {
        mixed: "m",
        parts: [
          { name: "x", value: "1" },
          { name: "f", file: path },
          { mixed: "deeper", parts: [{ name: "y", value: "2" }] },
        ],
      },
    ],
    [
      { name: "a", value: "v" },
      { mixed: "m", parts: [] },
      { name: "s", stream: [enc.encode("ab")] as unknown as AsyncIterable<Uint8Array>, length: 2 },
    ],
  ];
  for (const ps of cases) {
    const len = await multipartLength(ps, B);
    const body = await encodeMultipart(ps, B);
    const { bytes } = await collect(body);
    assert.equal(
      len,
      bytes.length,
      JSON.stringify(ps, (_k, v) => (v instanceof Uint8Array ? `<${v.length} bytes>` : v)),
    );
    assert.equal(body.length, bytes.length);
  }
});

test("multipart encode - multipartLength rejects a stream part without a length, naming it", async () => {
  await assert.rejects(multipartLength([{ name: "the-stream", stream: new Blob(["x"]).stream() }], B), (e: unknown) => {
    isCode("multipart_error")(e);
    assert.match((e as Error).message, /"the-stream"/);
    return true;
  });
});

test("multipart encode - a stream part without a length makes the body chunked and one-shot", async () => {
  const body = await encodeMultipart([{ name: "s", stream: new Blob(["abc"]).stream() }], B);
  assert.equal(body.length, null);
  assert.equal(body.replayable, false);
  const t = await text(body);
  assert.equal(
    t,
    `--${B}\r\ncontent-disposition: form-data; name="s"\r\ncontent-type: application/octet-stream\r\n\r\nabc\r\n--${B}--\r\n`,
  );
  assert.throws(() => body.open(), isCode("not_replayable"));
});

test("multipart encode - a stream part that breaks its announced length is multipart_error", async () => {
  for (const [data, length] of [
    ["abc", 2],
    ["abc", 4],
  ] as const) {
    const body = await encodeMultipart([{ name: "s", stream: new Blob([data]).stream(), length }], B);
    await assert.rejects(collect(body), isCode("multipart_error"));
  }
});

test("multipart encode - mixed parts nest multipart/mixed with a closed inner boundary", async () => {
  const body = await encodeMultipart(
    [{ mixed: "files", boundary: "INNER", parts: [{ name: "a.txt", value: enc.encode("A") }] }],
    B,
  );
  assert.equal(
    await text(body),
    `--${B}\r\ncontent-disposition: form-data; name="files"\r\ncontent-type: multipart/mixed; boundary=INNER\r\n\r\n` +
      `--INNER\r\ncontent-disposition: form-data; name="a.txt"\r\ncontent-type: text/plain\r\ncontent-length: 1\r\n\r\nA\r\n` +
      `--INNER--\r\n\r\n--${B}--\r\n`,
  );
  const auto = await parts(
    (await collect(await encodeMultipart([{ mixed: "m", parts: [{ name: "x", value: "1" }] }], B))).bytes,
    B,
  );
  assert.match(auto[0] as string, /^mp_mixed -{27}[0-9A-Za-z]{24}$/);
  assert.equal(auto[2], "mp_mixed_eof");
});

test("multipart encode - large byte values are sent by reference, small parts packed", async () => {
  const big = new Uint8Array(1 << 20);
  const ps: Part[] = [{ name: "big", value: big }];
  for (let i = 0; i < 1000; i++) ps.push({ name: `f${i}`, value: `v${i}` });
  const { chunks } = await collect(await encodeMultipart(ps, B));
  assert.ok(chunks.includes(big), "the big value is the caller's own Uint8Array");
  assert.ok(
    chunks.length <= 5,
    `head, big value, then the 1000 small fields packed in a few 64 KiB buffers (${chunks.length})`,
  );
  assert.ok(chunks.every((c) => c === big || c.length <= 64 * 1024));
});

test("multipart encode - encodeFormData sends strings as values, Blobs and Files with their names and types", async () => {
  const fd = new FormData();
  fd.append("s", "text é");
  fd.append("file", new File([enc.encode("FILE")], "a b.txt", { type: "text/x-custom" }));
  fd.append("blob", new Blob([new Uint8Array([9, 8])]));
  fd.append("large", new Blob([new Uint8Array(100_000).fill(3)]), "large.bin");
  const body = await encodeFormData(fd, B);
  assert.equal(body.contentType, `multipart/form-data; boundary=${B}`);
  assert.equal(body.replayable, true);
  const { bytes } = await collect(body);
  assert.equal(body.length, bytes.length);
  const got = (await parts(bytes, B)) as Array<{ headers: Array<[string, string]>; body: Uint8Array }>;
  assert.deepEqual(
    got.map((p) => p.headers),
    [
      [
        ["content-disposition", 'form-data; name="s"'],
        ["content-type", "text/plain; charset=utf-8"],
        ["content-length", "7"],
      ],
      [
        ["content-disposition", 'form-data; name="file"; filename="a b.txt"'],
        ["content-type", "text/x-custom"],
        ["content-length", "4"],
      ],
      [
        ["content-disposition", 'form-data; name="blob"; filename="blob"'],
        ["content-type", "application/octet-stream"],
        ["content-length", "2"],
      ],
      [
        ["content-disposition", 'form-data; name="large"; filename="large.bin"'],
        ["content-type", "application/octet-stream"],
        ["content-length", "100000"],
      ],
    ],
  );
  assert.deepEqual(
    got.map((p) => p.body.length),
    [7, 4, 2, 100_000],
  );
  assert.equal(
    got[3]!.body.every((x) => x === 3),
    true,
  );
  assert.equal((await collect(body)).bytes.length, bytes.length, "replayable");
});

test("multipart encode - encodeFormData agrees with the runtime's own FormData serialisation", async () => {
  const fd = new FormData();
  fd.append("a", "1");
  fd.append("a", "two\r\nlines");
  fd.append("f", new File([enc.encode("content")], "x.txt", { type: "text/plain" }));
  const theirs = new Request("http://x/", { method: "POST", body: fd });
  const tb = new Uint8Array(await theirs.arrayBuffer());
  // Bun's Request leaves Content-Type unset for a FormData body: take the boundary from the first line.
  const theirB =
    theirs.headers.get("content-type")?.split("boundary=")[1] ?? dec.decode(tb.subarray(2, tb.indexOf(13)));
  const ours = (await collect(await encodeFormData(fd, B))).bytes;
  const strip = (ps: Awaited<ReturnType<typeof parts>>) =>
    ps.map((p) => {
      const q = p as { headers: Array<[string, string]>; body: Uint8Array };
      return [q.headers.find(([k]) => k.toLowerCase() === "content-disposition")![1], dec.decode(q.body)];
    });
  assert.deepEqual(strip(await parts(ours, B)), strip(await parts(tb, theirB)));
});

test("multipart encode - a part that is not a Part is a TypeError", async () => {
  await assert.rejects(encodeMultipart([null as unknown as Part], B), TypeError);
  await assert.rejects(encodeMultipart([{ name: "a" } as unknown as Part], B), TypeError);
  await assert.rejects(encodeMultipart([{ name: "a", value: 5 } as unknown as Part], B), TypeError);
  await assert.rejects(encodeMultipart("nope" as unknown as Part[], B), TypeError);
});
