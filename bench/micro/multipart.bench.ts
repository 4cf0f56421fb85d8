// Multipart decode and encode beside their peers, in one run: `node dist/bench/micro/multipart.bench.js`.
// Decode: MultipartDecoder, @fastify/busboy and @mjackson/multipart-parser on the same bytes in the
// same 64 KiB chunks. Encode: encodeMultipart beside the runtime's own FormData serialisation
// (`new Request(url, { body: fd }).arrayBuffer()`). Every run checks its byte or part count, so a
// fast wrong answer fails; the ratios at the end are what to read (STYLE.md §10). Each row is
// measured with mitata's measure() in interleaved rounds and keeps its best median (~20 s).
import { once } from "node:events";
import { do_not_optimize, measure } from "mitata";
import { Busboy } from "@fastify/busboy";
import { MultipartParser } from "@mjackson/multipart-parser";
import { MultipartDecoder } from "../../lib/multipart/decode.ts";
import { encodeFormData, encodeMultipart } from "../../lib/multipart/encode.ts";
import type { EncodedBody } from "../../lib/body.ts";
import type { Part } from "../../lib/multipart/encode.ts";

const enc = new TextEncoder();
const MiB = 1 << 20;
const CHUNK = 64 * 1024;
const B = "----------------------------bench7MA4YWxkTrZu0gW";
const CT = `multipart/form-data; boundary=${B}`;

function concat(list: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(list.reduce((n, c) => n + c.length, 0));
  let n = 0;
  for (const c of list) {
    out.set(c, n);
    n += c.length;
  }
  return out;
}

function chunked(b: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += CHUNK) out.push(b.subarray(i, i + CHUNK));
  return out;
}

/** Pseudo-random bytes (xorshift): binary content with a CR every ~256 bytes, like real uploads. */
function noise(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 255;
  }
  return out;
}

// (a) 64 MiB: 4 files of 16 MiB. (b) 10,000 small fields.
const LARGE_PARTS = 4;
const LARGE_SIZE = 16 * MiB;
const SMALL_PARTS = 10_000;
const largeData = Array.from({ length: LARGE_PARTS }, (_, i) => noise(LARGE_SIZE, 0x9e3779b9 + i));
const largeBody = concat([
  ...largeData.flatMap((d, i) => [
    enc.encode(
      `--${B}\r\ncontent-disposition: form-data; name="f${i}"; filename="f${i}.bin"\r\ncontent-type: application/octet-stream\r\n\r\n`,
    ),
    d,
    enc.encode("\r\n"),
  ]),
  enc.encode(`--${B}--\r\n`),
]);
const smallValues = Array.from({ length: SMALL_PARTS }, (_, i) => `value number ${i} of the form`);
const smallBody = enc.encode(
  smallValues.map((v, i) => `--${B}\r\ncontent-disposition: form-data; name="field${i}"\r\n\r\n${v}\r\n`).join("") +
    `--${B}--\r\n`,
);
const largeContent = LARGE_PARTS * LARGE_SIZE;
const smallContent = smallValues.reduce((n, v) => n + v.length, 0);

const cases = {
  large: { chunks: chunked(largeBody), u8: chunked(largeBody), content: largeContent, parts: LARGE_PARTS },
  small: { chunks: chunked(smallBody), u8: chunked(smallBody), content: smallContent, parts: SMALL_PARTS },
};
// busboy takes Buffers; made once, outside the timings.
for (const c of Object.values(cases)) c.chunks = c.chunks.map((u) => Buffer.from(u.buffer, u.byteOffset, u.length));

function check(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${what}: got ${got}, expected ${want}`);
}

async function hansomDecode(c: typeof cases.large): Promise<void> {
  let i = 0;
  const src: AsyncIterator<Uint8Array> = {
    next: () =>
      Promise.resolve(i < c.u8.length ? { done: false, value: c.u8[i++]! } : { done: true, value: undefined }),
  };
  let bytes = 0;
  let parts = 0;
  for await (const ev of new MultipartDecoder(src, B).events()) {
    if (ev.type === "body") bytes += ev.chunk.length;
    else if (ev.type === "end_of_part") parts++;
  }
  check("hansom bytes", bytes, c.content);
  check("hansom parts", parts, c.parts);
}

async function busboyDecode(c: typeof cases.large): Promise<void> {
  let bytes = 0;
  let parts = 0;
  const bb = new Busboy({ headers: { "content-type": CT }, limits: { fieldSize: Infinity, fileSize: Infinity } });
  bb.on("file", (_n: string, s: NodeJS.ReadableStream) => {
    parts++;
    s.on("data", (d: Buffer) => (bytes += d.length));
  });
  bb.on("field", (_n: string, v: string) => {
    parts++;
    bytes += v.length;
  });
  const done = once(bb, "finish");
  for (const chunk of c.chunks) if (!bb.write(chunk)) await once(bb, "drain");
  bb.end();
  await done;
  check("busboy bytes", bytes, c.content);
  check("busboy parts", parts, c.parts);
}

function mjacksonDecode(c: typeof cases.large, readNames = true): void {
  const parser = new MultipartParser(B, { maxFileSize: Infinity });
  let bytes = 0;
  let parts = 0;
  for (const chunk of c.u8) {
    for (const part of parser.write(chunk)) {
      // Its headers are parsed lazily; every consumer reads at least the field name, and the
      // other two parsers hand over parsed headers, so this one does too.
      if (readNames && !part.name) throw new Error("mjackson: a part without a name");
      bytes += part.size;
      parts++;
    }
  }
  parser.finish();
  check("mjackson bytes", bytes, c.content);
  check("mjackson parts", parts, c.parts);
}

// Encode: the same fields as Parts and as one FormData that both encoders serialise.
const encSmallParts: Part[] = smallValues.map((v, i) => ({ name: `field${i}`, value: v }));
const encSmallFd = new FormData();
for (const [i, v] of smallValues.entries()) encSmallFd.append(`field${i}`, v);
const encLargeParts: Part[] = largeData.map((d, i) => ({ name: `f${i}`, value: d }));
const encLargeFd = new FormData();
for (const [i, d] of largeData.entries())
  encLargeFd.append(`f${i}`, new Blob([d as Uint8Array<ArrayBuffer>]), `f${i}.bin`);

/** Drains an EncodedBody as a connection would, checking it produced its announced length. */
async function drain(body: EncodedBody, min: number): Promise<void> {
  let n = 0;
  for await (const c of body.open() as AsyncIterable<Uint8Array>) n += c.length;
  check("hansom encode length", n, body.length!);
  if (n < min) throw new Error("hansom encode: too short");
}

async function runtimeEncode(fd: FormData, min: number): Promise<void> {
  const ab = await new Request("http://x/", { method: "POST", body: fd }).arrayBuffer();
  if (ab.byteLength < min) throw new Error("runtime encode: too short");
  do_not_optimize(ab);
}

interface Scenario {
  title: string;
  content: number;
  parts: number;
  rows: Array<[who: string, fn: () => unknown]>;
}
const scenarios: Scenario[] = [
  {
    title: "decode 64 MiB, 4 parts",
    content: largeContent,
    parts: LARGE_PARTS,
    rows: [
      ["hansom MultipartDecoder", () => hansomDecode(cases.large)],
      ["@fastify/busboy", () => busboyDecode(cases.large)],
      ["@mjackson/multipart-parser", () => mjacksonDecode(cases.large)],
    ],
  },
  {
    title: "decode 10,000 small parts",
    content: smallContent,
    parts: SMALL_PARTS,
    rows: [
      ["hansom MultipartDecoder", () => hansomDecode(cases.small)],
      ["@fastify/busboy", () => busboyDecode(cases.small)],
      ["@mjackson/multipart-parser", () => mjacksonDecode(cases.small)],
      ["@mjackson/multipart-parser, headers unread", () => mjacksonDecode(cases.small, false)],
    ],
  },
  {
    title: "encode 10,000 small fields",
    content: smallContent,
    parts: SMALL_PARTS,
    rows: [
      ["hansom encodeFormData(fd)", async () => drain(await encodeFormData(encSmallFd), smallContent)],
      ["hansom encodeMultipart(parts)", async () => drain(await encodeMultipart(encSmallParts), smallContent)],
      ["runtime Request(fd).arrayBuffer()", () => runtimeEncode(encSmallFd, smallContent)],
    ],
  },
  {
    title: "encode 64 MiB, 4 Blob parts",
    content: largeContent,
    parts: LARGE_PARTS,
    rows: [
      ["hansom encodeFormData(fd)", async () => drain(await encodeFormData(encLargeFd), largeContent)],
      ["runtime Request(fd).arrayBuffer()", () => runtimeEncode(encLargeFd, largeContent)],
      // Uint8Array values go out by reference, so this row measures framing alone.
      [
        "hansom encodeMultipart(Uint8Array parts)",
        async () => drain(await encodeMultipart(encLargeParts), largeContent),
      ],
    ],
  },
];
// Round-robin: every row is measured once per round, in a rotating order, and keeps its best
// median. On a shared machine load drifts over seconds; interleaving spreads it over all rows.
const ROUNDS = 5;
const best = new Map<string, number>();
const started = performance.now();
for (let r = 0; r < ROUNDS; r++) {
  for (const sc of scenarios) {
    for (let k = 0; k < sc.rows.length; k++) {
      const [who, fn] = sc.rows[(k + r) % sc.rows.length]!;
      const st = await measure(fn, { min_cpu_time: 120e6, min_samples: 3, max_samples: 500 });
      const key = `${sc.title}: ${who}`;
      best.set(key, Math.min(best.get(key) ?? Infinity, st.p50));
    }
  }
}

// Rates and ratios from the same run: MB/s of part content, parts/s, and each row against the first.
for (const sc of scenarios) {
  console.log(`\n${sc.title}`);
  const base = best.get(`${sc.title}: ${sc.rows[0]![0]}`)!;
  for (const [who] of sc.rows) {
    const ns = best.get(`${sc.title}: ${who}`)!;
    const mbps = sc.content / 1e6 / (ns / 1e9);
    const rel =
      ns === base
        ? "baseline"
        : base < ns
          ? `${sc.rows[0]![0].split(" ")[0]} ${(ns / base).toFixed(2)}x faster`
          : `${(base / ns).toFixed(2)}x faster than the baseline`;
    console.log(
      `  ${who.padEnd(46)}${`${(ns / 1e6).toFixed(2)} ms`.padStart(11)}${`${mbps.toFixed(0)} MB/s`.padStart(13)}${`${Math.round(sc.parts / (ns / 1e9)).toLocaleString("en")} parts/s`.padStart(22)}   ${rel}`,
    );
  }
}
console.log(
  `\n(best median of ${ROUNDS} interleaved rounds per row; ${((performance.now() - started) / 1000).toFixed(1)} s; node ${process.version})`,
);
