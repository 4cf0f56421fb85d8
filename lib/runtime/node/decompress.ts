// node:zlib decoders as Web stream pairs. Node decodes every coding with them; Deno and Bun
// implement node:zlib too, and their adapters take from here what their DecompressionStream
// lacks. Each pair keeps zlib's own backpressure: the readable side resumes the zlib stream
// only when its reader wants more, and a paused zlib stream stops inflating once its output
// buffer is full, so a write is not acknowledged (and the caller pulls no more compressed
// bytes) until the output has been read.
import * as zlib from "node:zlib";
import type { Transform } from "node:stream";
import { hasNativeDecoder } from "../../decompress.ts";

/** A decoder factory: one fresh Web stream pair per body. */
export type ZlibDecoderFactory = () => ReadableWritablePair<Uint8Array, Uint8Array>;

/** Output chunk size: zlib's 16 KiB default costs a promise per 16 KiB read. */
const CHUNK = 64 * 1024;

/** A zlib Transform stream as a Web stream pair with backpressure in both directions. */
export function zlibPair(z: Transform): ReadableWritablePair<Uint8Array, Uint8Array> {
  let out: ReadableStreamDefaultController<Uint8Array> | null = null;
  let settled = false;
  const settle = (err?: unknown): void => {
    if (settled) return;
    settled = true;
    if (err === undefined) out?.close();
    else out?.error(err);
  };
  z.on("error", (e: Error) => settle(e));
  const readable = new ReadableStream<Uint8Array>({
    start(c) {
      out = c;
      z.on("data", (b: Uint8Array) => {
        if (settled) return;
        c.enqueue(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
        if ((c.desiredSize ?? 0) <= 0) z.pause();
      });
      z.once("end", () => settle());
      z.pause();
    },
    pull() {
      z.resume();
    },
    cancel() {
      settled = true;
      z.destroy();
    },
  });
  const writable = new WritableStream<Uint8Array>({
    write(chunk) {
      return new Promise<void>((resolve, reject) => {
        z.write(chunk, (err?: Error | null) => (err ? reject(err) : resolve()));
      });
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        z.once("error", reject);
        z.end((err?: Error | null) => (err ? reject(err) : resolve()));
      });
    },
    abort(reason) {
      settle(reason ?? new Error("aborted"));
      z.destroy();
    },
  });
  return { readable, writable };
}

type Make = (opts: zlib.ZlibOptions) => Transform;

/** node:zlib's decoder for each format, where this runtime's node:zlib has one. */
export function zlibFactories(): Record<string, ZlibDecoderFactory> {
  const opts = { chunkSize: CHUNK };
  const out: Record<string, ZlibDecoderFactory> = {
    gzip: () => zlibPair(zlib.createGunzip(opts)),
    deflate: () => zlibPair(zlib.createInflate(opts)),
    "deflate-raw": () => zlibPair(zlib.createInflateRaw(opts)),
    br: () => zlibPair(zlib.createBrotliDecompress(opts)),
  };
  // Node >= 22.15 / 23.8 (so Node 24), Deno 2.9 and Bun 1.4 have it; Node 20 does not.
  const zstd = (zlib as unknown as { createZstdDecompress?: Make }).createZstdDecompress;
  if (typeof zstd === "function") out["zstd"] = () => zlibPair(zstd(opts));
  return out;
}

/**
 * The decoders Node uses: node:zlib for every format. Node's DecompressionStream is node:zlib
 * behind a stream adapter, and on Node 20 that adapter ignores the reader's pace (a test pulled
 * all of a 1 MiB gzip bomb after one chunk was read), so zlib is used directly. Entries here
 * take precedence over native ones in lib/decompress.ts.
 */
export function zlibDecoders(): Record<string, ZlibDecoderFactory> {
  return zlibFactories();
}

/** The zlib decoders for the formats this runtime's DecompressionStream lacks (Bun's rule). */
export function missingNativeDecoders(): Record<string, ZlibDecoderFactory> {
  const all = zlibFactories();
  for (const format of Object.keys(all)) if (hasNativeDecoder(format)) delete all[format];
  return all;
}
