import { test } from "node:test";
import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import {
  acceptEncoding,
  availableCodings,
  decodeBody,
  decoderFor,
  decoderSource,
  hasNativeDecoder,
  parseCodings,
} from "../lib/decompress.ts";
import type { DecoderFactories } from "../lib/decompress.ts";
import { zlibFactories, zlibDecoders as nodeDecoders } from "../lib/runtime/node/decompress.ts";
import { zlibDecoders as denoDecoders } from "../lib/runtime/deno/decompress.ts";
import { zlibDecoders as bunDecoders } from "../lib/runtime/bun/decompress.ts";
import { detectRuntime } from "../lib/runtime/index.ts";
import { HansomError } from "../lib/errors.ts";
import { concat, cut, feed } from "./helpers/chunks.ts";
import { rejection } from "./helpers/errors.ts";

const MiB = 1024 * 1024;
const runtime = detectRuntime();
/** This runtime's adapter decoders, as the lead will load them. */
const adapter: DecoderFactories = { node: nodeDecoders, deno: denoDecoders, bun: bunDecoders }[runtime]();
/** Every node:zlib decoder, to test the zlib route even where a native one is preferred. */
const viaZlib = zlibFactories();
const zstdCompress = (zlib as unknown as { zstdCompressSync?: (b: Uint8Array) => Uint8Array }).zstdCompressSync;
const hasZstd = typeof zstdCompress === "function";
const enc = new TextEncoder();
const u8 = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.byteLength);

/** Deterministic bytes: xorshift noise (incompressible) when `noise`, else varied text. */
function payload(n: number, noise = false): Uint8Array {
  const out = new Uint8Array(n);
  if (noise) {
    let x = 0x9e3779b9;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  }
  const words = enc.encode("the quick brown fox jumps over the lazy dog 0123456789 ");
  for (let i = 0; i < n; i++) out[i] = words[(i * 7 + (i >> 5)) % words.length]!;
  return out;
}

const compressors: Record<string, (b: Uint8Array) => Uint8Array> = {
  gzip: (b) => u8(zlib.gzipSync(b)),
  "x-gzip": (b) => u8(zlib.gzipSync(b)),
  deflate: (b) => u8(zlib.deflateSync(b)),
  "deflate-raw": (b) => u8(zlib.deflateRawSync(b)),
  br: (b) => u8(zlib.brotliCompressSync(b)),
};
if (hasZstd) compressors["zstd"] = (b) => u8(zstdCompress!(b));

/** The Content-Encoding header a fixture is served with ("deflate-raw" is raw deflate sent as deflate). */
const header = (coding: string): string => (coding === "deflate-raw" ? "deflate" : coding);

/** Everything decodeBody yields for these chunks. */
async function decodeAll(
  chunks: Uint8Array[],
  encoding: string,
  decoders?: DecoderFactories,
  maxBody?: number,
): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of decodeBody(feed(chunks), encoding, { decoders, maxBody })) parts.push(c);
  return concat(parts);
}

/** A source that counts the bytes pulled from it and whether it was given back. */
function counted(chunks: Iterable<Uint8Array>): AsyncIterator<Uint8Array> & { pulled: number; returned: boolean } {
  const it = chunks[Symbol.iterator]();
  const src = {
    pulled: 0,
    returned: false,
    async next(): Promise<IteratorResult<Uint8Array>> {
      const r = it.next();
      if (!r.done) src.pulled += r.value.byteLength;
      return r;
    },
    async return(): Promise<IteratorResult<Uint8Array>> {
      src.returned = true;
      return { value: undefined, done: true };
    },
  };
  return src;
}

function* slices(b: Uint8Array, size: number): Generator<Uint8Array> {
  for (let o = 0; o < b.length; o += size) yield b.subarray(o, o + size);
}

/** Every route a format can take here: the native stream (when present) and node:zlib. */
function routes(format: string): Array<[string, DecoderFactories | undefined]> {
  const out: Array<[string, DecoderFactories | undefined]> = [];
  if (hasNativeDecoder(format)) out.push(["native", undefined]);
  if (viaZlib[format]) out.push(["zlib", viaZlib]);
  return out;
}

/** The routes that must be sound (bounded, and strict on bad data): this runtime's choice, and node:zlib. */
function usedRoutes(format: string): Array<[string, DecoderFactories | undefined]> {
  return routes(format).filter(([route]) => route === "zlib" || decoderSource(format, adapter) === "native");
}

test("decompress - the runtime's codings: which are native, which zlib, which absent", () => {
  const table = ["gzip", "deflate", "deflate-raw", "br", "zstd"].map(
    (f) => `${f}=${decoderSource(f, adapter) ?? "none"}`,
  );
  console.log(`decompress on ${runtime}: ${table.join(" ")}`);
  const avail = availableCodings(adapter);
  assert.deepEqual(avail.slice(0, 3), ["gzip", "deflate", "br"]);
  assert.equal(avail.includes("zstd"), hasZstd || hasNativeDecoder("zstd"));
  // Deno's native brotli stream is unbounded (see lib/runtime/deno/decompress.ts): zlib decodes br there.
  if (runtime === "deno") assert.equal(decoderSource("br", adapter), "zlib");
});

test("decompress - acceptEncoding lists codings in preference order", () => {
  assert.equal(acceptEncoding(["zstd", "br", "deflate", "gzip"]), "gzip, deflate, br, zstd");
  assert.equal(acceptEncoding(["br", "gzip"]), "gzip, br");
  assert.equal(acceptEncoding(["compress", "gzip"]), "gzip");
  assert.equal(acceptEncoding([]), "");
});

test("decompress - parseCodings keeps order, folds x-gzip, drops identity and empties", () => {
  assert.deepEqual(parseCodings("gzip"), ["gzip"]);
  assert.deepEqual(parseCodings(" X-GZIP , br,, identity"), ["gzip", "br"]);
  assert.deepEqual(parseCodings("identity"), []);
  assert.deepEqual(parseCodings(""), []);
});

test("decompress - every coding, both routes, at every split point and byte by byte", async () => {
  const plain = payload(3000);
  for (const [coding, compress] of Object.entries(compressors)) {
    const wire = compress(plain);
    const format = coding === "x-gzip" ? "gzip" : coding;
    const ways =
      coding === "deflate-raw" || coding === "deflate"
        ? routes("deflate").filter(([, d]) => !d || d["deflate-raw"])
        : routes(format);
    assert.ok(ways.length > 0, `${coding} has a decoder here`);
    for (const [route, decoders] of ways) {
      const label = `${coding} via ${route}`;
      assert.deepEqual(await decodeAll([wire], header(coding), decoders), plain, label);
      for (let at = 1; at < wire.length; at++) {
        assert.deepEqual(await decodeAll(cut(wire, [at]), header(coding), decoders), plain, `${label} split at ${at}`);
      }
      assert.deepEqual(
        await decodeAll(
          cut(
            wire,
            Array.from({ length: wire.length - 1 }, (_, i) => i + 1),
          ),
          header(coding),
          decoders,
        ),
        plain,
        `${label} byte by byte`,
      );
    }
  }
});

test("decompress - deflate is sniffed: zlib-wrapped and raw both decode, even from one-byte chunks", async () => {
  const plain = payload(5000);
  for (const wire of [
    u8(zlib.deflateSync(plain)),
    u8(zlib.deflateRawSync(plain)),
    u8(zlib.deflateRawSync(plain, { level: 0 })),
  ]) {
    assert.deepEqual(
      await decodeAll([wire.subarray(0, 1), wire.subarray(1, 2), wire.subarray(2)], "deflate", adapter),
      plain,
    );
    assert.deepEqual(await decodeAll([wire], "Deflate", adapter), plain);
  }
  // Shorter than the two bytes sniffed: still handed to a decoder, which finds it cut short.
  assert.equal((await rejection(decodeAll([new Uint8Array([0x78])], "deflate", adapter))).code, "bad_response");
});

test("decompress - several codings are undone in reverse order", async () => {
  const plain = payload(20000);
  const gzipThenBr = u8(zlib.brotliCompressSync(zlib.gzipSync(plain)));
  assert.deepEqual(await decodeAll([...slices(gzipThenBr, 7)], "gzip, br", adapter), plain);
  const deflateThenGzip = u8(zlib.gzipSync(zlib.deflateRawSync(plain)));
  assert.deepEqual(await decodeAll([...slices(deflateThenGzip, 100)], "deflate, gzip", adapter), plain);
  assert.deepEqual(await decodeAll([u8(zlib.gzipSync(zlib.gzipSync(plain)))], "x-gzip, gzip", adapter), plain);
  assert.equal(decoderFor("gzip, br", adapter)?.coding, "gzip, br");
  // The wrong order is corrupt data.
  const e = await rejection(decodeAll([gzipThenBr], "br, gzip", adapter));
  assert.equal(e.code, "bad_response");
});

test("decompress - unknown codings and identity leave the body as it is", async () => {
  assert.equal(decoderFor("compress", adapter), null);
  assert.equal(decoderFor("gzip, compress", adapter), null);
  assert.equal(decoderFor("identity", adapter), null);
  assert.equal(decoderFor("", adapter), null);
  const body = enc.encode("not compressed at all");
  assert.deepEqual(await decodeAll(cut(body, [3, 9]), "compress", adapter), body);
  assert.deepEqual(await decodeAll([body], "identity", adapter), body);
  const e = await rejection(decodeAll([body], "identity", adapter, 10));
  assert.equal(e.code, "body_too_large");
});

test("decompress - an empty body with a Content-Encoding decodes to nothing", async () => {
  for (const coding of ["gzip", "deflate", "br"]) {
    assert.equal((await decodeAll([], coding, adapter)).length, 0, coding);
    assert.equal((await decodeAll([new Uint8Array(0), new Uint8Array(0)], coding, adapter)).length, 0, coding);
  }
});

/** Damage that no decoder can miss: a flipped bit under a checksum, or an invalid header. */
const damage: Record<string, (wire: Uint8Array) => Uint8Array> = {
  // gzip and zlib carry a CRC-32 / Adler-32 of the data (RFC 1952, RFC 1950).
  gzip: (w) => flip(w, w.length >> 1, 0x10),
  "x-gzip": (w) => flip(w, w.length >> 1, 0x10),
  deflate: (w) => flip(w, w.length >> 1, 0x10),
  // RFC 1951 §3.2.3: block type 11 is reserved.
  "deflate-raw": (w) => set(w, 0, 0x07),
  // RFC 7932 §9.2: WBITS 16, not last, MNIBBLES 0 (metadata), then the reserved bit set.
  br: (w) => set(w, 0, 0x1c),
  // RFC 8878 §3.1.1: a frame starts with the magic number.
  zstd: (w) => flip(w, 0, 0xff),
};
function flip(w: Uint8Array, at: number, bits: number): Uint8Array {
  const out = w.slice();
  out[at]! ^= bits;
  return out;
}
function set(w: Uint8Array, at: number, v: number): Uint8Array {
  const out = w.slice();
  out[at] = v;
  return out;
}

/**
 * Routes whose decoder ends without an error on data cut short: Deno's node:zlib for br and
 * zstd (and Bun's for zstd, which Bun does not use: its native zstd reports it).
 */
const silentWhenTruncated = (coding: string, route: string): boolean =>
  route === "zlib" &&
  ((runtime === "deno" && (coding === "br" || coding === "zstd")) || (runtime === "bun" && coding === "zstd"));

test("decompress - corrupt, truncated and uncompressed data are bad_response with the decoder's error as cause", async () => {
  const plain = payload(50000);
  for (const [coding, compress] of Object.entries(compressors)) {
    const format = coding === "x-gzip" ? "gzip" : coding === "deflate-raw" ? "deflate" : coding;
    const wire = compress(plain);
    for (const [route, decoders] of usedRoutes(format)) {
      const cases: Array<[string, Uint8Array]> = [
        ["corrupt", damage[coding]!(wire)],
        ["uncompressed", payload(50000, true)],
      ];
      if (!silentWhenTruncated(coding, route)) cases.push(["truncated", wire.subarray(0, wire.length - 3)]);
      for (const [what, bytes] of cases) {
        const src = counted(slices(bytes, 4096));
        const e = await rejection(
          (async () => {
            for await (const _ of decodeBody(src, header(coding), { decoders })) void _;
          })(),
        );
        const label = `${what} ${coding} via ${route}`;
        assert.equal(e.code, "bad_response", `${label}: ${e.message}`);
        assert.equal(e.phase, "body");
        assert.ok(e.cause !== undefined, `${label} keeps the cause`);
        assert.match(e.message, new RegExp(`Content-Encoding: ${header(coding)}`));
      }
    }
  }
});

test("decompress - a failure of the source itself is passed on as it is, not as bad_response", async () => {
  const wire = u8(zlib.gzipSync(payload(100000, true)));
  const closed = new HansomError("closed", "The connection closed before the body ended", { phase: "body" });
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield wire.subarray(0, 5000);
    throw closed;
  }
  for (const [route, decoders] of routes("gzip")) {
    const e = await rejection(
      (async () => {
        for await (const _ of decodeBody(failing(), "gzip", { decoders })) void _;
      })(),
    );
    assert.equal(e, closed, route);
  }
});

test("decompress - maxBody counts decoded bytes", async () => {
  const plain = payload(100000);
  const wire = u8(zlib.gzipSync(plain));
  assert.ok(wire.length < 10000);
  assert.deepEqual(await decodeAll([wire], "gzip", adapter, 100000), plain);
  const e = await rejection(decodeAll([wire], "gzip", adapter, 99999));
  assert.equal(e.code, "body_too_large");
  assert.match(e.message, /99999 bytes/);
});

test("decompress - the iterator stays failed, and return() gives the source back", async () => {
  const wire = u8(zlib.gzipSync(payload(1000000, true)));
  for (const [route, decoders] of usedRoutes("gzip")) {
    const src = counted(slices(wire, 16384));
    const it = decodeBody(src, "gzip", { decoders, maxBody: 10 });
    const e = await rejection(it.next());
    assert.equal(e.code, "body_too_large");
    assert.equal(await rejection(it.next()), e, `${route}: a second next() rejects the same way`);
    assert.ok(src.returned, `${route}: the source was given back on failure`);

    const src2 = counted(slices(wire, 16384));
    const it2 = decodeBody(src2, "gzip", { decoders });
    assert.equal((await it2.next()).done, false);
    assert.deepEqual(await it2.return!(), { value: undefined, done: true });
    assert.ok(src2.returned, `${route}: return() gives the source back`);
    assert.deepEqual(await it2.next(), { value: undefined, done: true });

    // A body read to its end keeps its source (the connection goes back to the pool).
    const src3 = counted(slices(wire, 16384));
    for await (const _ of decodeBody(src3, "gzip", { decoders })) void _;
    assert.equal(src3.returned, false, route);
    assert.equal(src3.pulled, wire.length);
  }
});

test("decompress - next() calls made at once are served in order, one source read at a time", async () => {
  const plain = payload(300000, true);
  for (const [encoding, wire] of [
    ["gzip", u8(zlib.gzipSync(plain))],
    ["identity", plain],
  ] as const) {
    let reading = 0;
    let overlapped = false;
    const inner = slices(wire, 1000);
    const src: AsyncIterator<Uint8Array> = {
      async next() {
        overlapped ||= reading > 0;
        reading++;
        await new Promise((r) => setTimeout(r, 0));
        reading--;
        return inner.next();
      },
    };
    const it = decodeBody(src, encoding, { decoders: adapter });
    const parts: Uint8Array[] = [];
    for (;;) {
      const batch = await Promise.all([it.next(), it.next(), it.next(), it.next()]);
      for (const r of batch) if (!r.done) parts.push(r.value);
      if (batch.some((r) => r.done)) break;
    }
    assert.deepEqual(concat(parts), plain, encoding);
    assert.equal(overlapped, false, `${encoding}: the source was read twice at once`);
  }
});

test("decompress - a slow consumer holds back the compressed source", async () => {
  const plain = payload(4 * MiB, true);
  const fixtures: Array<[string, Uint8Array]> = [
    ["gzip", u8(zlib.gzipSync(plain, { level: 1 }))],
    ["br", u8(zlib.brotliCompressSync(plain, { params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 1 } }))],
  ];
  if (hasZstd) fixtures.push(["zstd", u8(zstdCompress!(plain))]);
  for (const [coding, wire] of fixtures) {
    for (const [route, decoders] of usedRoutes(coding)) {
      const src = counted(slices(wire, 16384));
      const it = decodeBody(src, coding, { decoders });
      const first = await it.next();
      assert.equal(first.done, false);
      await new Promise((r) => setTimeout(r, 50));
      assert.ok(
        src.pulled <= 512 * 1024,
        `${coding} via ${route}: pulled ${src.pulled} of ${wire.length} bytes after one chunk`,
      );
      const parts = [first.value as Uint8Array];
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        parts.push(r.value);
      }
      assert.deepEqual(concat(parts), plain, `${coding} via ${route}`);
    }
  }
});

/** CRC-32 (RFC 1952 §8) of `n` zero bytes. */
function crc32Zeros(n: number): number {
  const table = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[i] = c >>> 0;
  }
  let crc = 0xffffffff;
  for (let i = 0; i < n; i++) crc = table[crc & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/**
 * A gzip member of `mib` MiB of zeros, built without compressing them all: one MiB of zeros
 * deflated with a full flush is a self-contained run of blocks, so repeating it is valid.
 * The CRC-32 trailer is computed only for small sizes (a bomb is never read to its end).
 */
function gzipZeros(mib: number): Uint8Array {
  const block = u8(zlib.deflateRawSync(new Uint8Array(MiB), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH }));
  const last = u8(zlib.deflateRawSync(new Uint8Array(0)));
  const out = new Uint8Array(10 + block.length * mib + last.length + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
  let o = 10;
  for (let i = 0; i < mib; i++, o += block.length) out.set(block, o);
  out.set(last, o);
  o += last.length;
  const view = new DataView(out.buffer);
  view.setUint32(o, mib <= 64 ? crc32Zeros(mib * MiB) : 0, true);
  view.setUint32(o + 4, (mib * MiB) >>> 0, true);
  return out;
}

/** Streams `wire` through decodeBody with maxBody 10 MiB; the peak RSS growth and what was pulled. */
async function bomb(
  wire: Uint8Array,
  coding: string,
  decoders: DecoderFactories | undefined,
): Promise<{ err: HansomError; growth: number; pulled: number; decoded: number }> {
  const src = counted(slices(wire, 16384));
  (globalThis as { gc?: () => void }).gc?.();
  const rss0 = process.memoryUsage().rss;
  let peak = 0;
  let decoded = 0;
  const err = await rejection(
    (async () => {
      for await (const c of decodeBody(src, coding, { decoders, maxBody: 10 * MiB })) {
        decoded += c.byteLength;
        peak = Math.max(peak, process.memoryUsage().rss - rss0);
      }
    })(),
  );
  peak = Math.max(peak, process.memoryUsage().rss - rss0);
  return { err, growth: peak, pulled: src.pulled, decoded };
}

test("decompress - the zero-filled gzip used as a bomb is valid gzip", async () => {
  const small = gzipZeros(4);
  const out = u8(zlib.gunzipSync(small));
  assert.equal(out.length, 4 * MiB);
  assert.ok(out.every((b) => b === 0));
  assert.equal((await decodeAll([small], "gzip", adapter)).length, 4 * MiB);
});

test("decompress - a gzip of 1 GiB of zeros stops at maxBody with body_too_large and flat memory", async () => {
  const wire = gzipZeros(1024);
  assert.ok(wire.length < 2 * MiB);
  for (const [route, decoders] of usedRoutes("gzip")) {
    const r = await bomb(wire, "gzip", decoders);
    assert.equal(r.err.code, "body_too_large", `${route}: ${r.err.message}`);
    assert.ok(r.decoded <= 10 * MiB);
    assert.ok(r.growth < 64 * MiB, `gzip via ${route}: RSS grew ${(r.growth / MiB).toFixed(1)} MiB`);
    assert.ok(r.pulled < wire.length / 4, `gzip via ${route}: pulled ${r.pulled} of ${wire.length}`);
  }
});

test("decompress - brotli and zstd bombs stop at maxBody too, through this runtime's decoders", async () => {
  const zeros = new Uint8Array(MiB);
  const bombs: Array<[string, Uint8Array]> = [];
  const br = zlib.createBrotliCompress({ params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 5 } });
  const parts: Uint8Array[] = [];
  br.on("data", (c: Uint8Array) => parts.push(u8(c)));
  const ended = new Promise((r) => br.once("end", r));
  for (let i = 0; i < 512; i++) if (!br.write(zeros)) await new Promise((r) => br.once("drain", r));
  br.end();
  await ended;
  bombs.push(["br", concat(parts)]);
  if (hasZstd) bombs.push(["zstd", u8(zstdCompress!(new Uint8Array(256 * MiB)))]);
  for (const [coding, wire] of bombs) {
    const r = await bomb(wire, coding, adapter);
    assert.equal(r.err.code, "body_too_large", `${coding}: ${r.err.message}`);
    assert.ok(
      r.growth < 64 * MiB,
      `${coding} via ${decoderSource(coding, adapter)}: RSS grew ${(r.growth / MiB).toFixed(1)} MiB`,
    );
  }
});
