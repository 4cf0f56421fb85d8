// Content-Encoding decoding (RFC 9110 §8.4): picks a decoder per coding, from the runtime
// adapter's zlib (lib/runtime/*/decompress.ts, which knows where its runtime's own streams fall
// short) or else the Web DecompressionStream, and pulls a body through it with real
// backpressure: compressed bytes are read from the source only as decoded bytes are consumed,
// and `maxBody` counts decoded bytes, so a small body that inflates to gigabytes stops at the
// limit with flat memory.
import { HansomError } from "./errors.ts";

/** A decoder stage: compressed bytes in on `writable`, decoded bytes out on `readable`. */
export type DecoderPair = ReadableWritablePair<Uint8Array, Uint8Array>;

/** Decoder factories by format name: "gzip", "deflate", "deflate-raw", "br", "zstd". */
export type DecoderFactories = Record<string, () => DecoderPair>;

/** A decoder for a whole Content-Encoding value; `coding` is what it undoes, e.g. "gzip". */
export interface Decoder extends DecoderPair {
  readonly coding: string;
}

/** Content-codings hansom can decode, in the order Accept-Encoding lists them. */
const PREFERENCE = ["gzip", "deflate", "br", "zstd"] as const;

/** Web DecompressionStream format names, per content-coding (br is "brotli" there). */
const NATIVE_FORMAT: Record<string, string> = {
  gzip: "gzip",
  deflate: "deflate",
  "deflate-raw": "deflate-raw",
  br: "brotli",
  zstd: "zstd",
};

/**
 * Compressed input is fed to a decoder in slices of at most this many bytes: some
 * DecompressionStream implementations decode a whole written chunk at once, and deflate
 * inflates up to 1032:1, so this bounds one decoded chunk to about 8 MiB.
 */
const SLICE = 8 * 1024;

let nativeFormats: Set<string> | undefined;

/** The DecompressionStream formats this runtime implements, probed once. */
function native(): Set<string> {
  if (nativeFormats) return nativeFormats;
  nativeFormats = new Set();
  if (typeof DecompressionStream !== "function") return nativeFormats;
  for (const f of Object.values(NATIVE_FORMAT)) {
    try {
      new DecompressionStream(f as CompressionFormat);
      nativeFormats.add(f);
    } catch {
      // Not implemented here: a RangeError/TypeError for an unknown format.
    }
  }
  return nativeFormats;
}

/** True when this runtime's DecompressionStream decodes `format` ("gzip", "deflate", "deflate-raw", "br", "zstd"). */
export function hasNativeDecoder(format: string): boolean {
  const nf = NATIVE_FORMAT[format];
  return nf !== undefined && native().has(nf);
}

/** A factory for one format: the adapter's when it has one (it knows the runtime), else the native stream. */
function factory(format: string, adapter: DecoderFactories | undefined): (() => DecoderPair) | null {
  const a = adapter?.[format];
  if (a) return a;
  if (!hasNativeDecoder(format)) return null;
  const nf = NATIVE_FORMAT[format] as CompressionFormat;
  // Its writable side takes any BufferSource, a superset of what is written here.
  return () => new DecompressionStream(nf) as unknown as DecoderPair;
}

/** The content-codings this runtime (with `adapter`'s zlib) decodes, in preference order. */
export function availableCodings(adapter?: DecoderFactories): string[] {
  return PREFERENCE.filter((c) => factory(c, adapter) !== null);
}

/** Where a format is decoded: "zlib" (the adapter), "native" (DecompressionStream) or null. */
export function decoderSource(format: string, adapter?: DecoderFactories): "native" | "zlib" | null {
  if (adapter?.[format]) return "zlib";
  return hasNativeDecoder(format) ? "native" : null;
}

/** The Accept-Encoding value for the given codings, e.g. "gzip, deflate, br, zstd". */
export function acceptEncoding(available: readonly string[]): string {
  return PREFERENCE.filter((c) => available.includes(c)).join(", ");
}

/** The codings of a Content-Encoding value, in the order they were applied; identity dropped. */
export function parseCodings(contentEncoding: string): string[] {
  const out: string[] = [];
  for (const part of contentEncoding.split(",")) {
    const c = part.trim().toLowerCase();
    if (c === "" || c === "identity") continue;
    out.push(c === "x-gzip" ? "gzip" : c);
  }
  return out;
}

/**
 * A decoder for a Content-Encoding value, or null when there is nothing to decode or a
 * coding is unknown here (the body is then left as it is).
 */
export function decoderFor(contentEncoding: string, adapterDecoders?: DecoderFactories): Decoder | null {
  const codings = parseCodings(contentEncoding);
  if (codings.length === 0) return null;
  const stages: Array<() => DecoderPair> = [];
  // RFC 9110 §8.4: codings are listed in the order applied, so they are undone in reverse.
  for (const c of codings.slice().reverse()) {
    const make = c === "deflate" ? deflateFactory(adapterDecoders) : factory(c, adapterDecoders);
    if (!make) return null;
    stages.push(make);
  }
  const first = stages[0]!();
  let readable = first.readable;
  for (const make of stages.slice(1)) readable = readable.pipeThrough(make());
  return { coding: codings.join(", "), writable: first.writable, readable };
}

/**
 * "deflate" is the zlib format (RFC 9110 §8.4.1.2, RFC 1950), but some servers send raw
 * deflate (RFC 1951); the first two bytes tell: a zlib header has compression method 8,
 * a window of at most 32 KiB, and CMF*256+FLG divisible by 31.
 */
function deflateFactory(adapter: DecoderFactories | undefined): (() => DecoderPair) | null {
  const zlibWrapped = factory("deflate", adapter);
  const raw = factory("deflate-raw", adapter);
  if (!zlibWrapped || !raw) return null;
  return () => sniffing((head) => (isZlibHeader(head) ? zlibWrapped() : raw()));
}

function isZlibHeader(b: Uint8Array): boolean {
  return b.length >= 2 && (b[0]! & 0x0f) === 8 && b[0]! >> 4 <= 7 && ((b[0]! << 8) | b[1]!) % 31 === 0;
}

/** A pair that buffers the first two bytes, then hands everything to the decoder `pick` chooses. */
function sniffing(pick: (head: Uint8Array) => DecoderPair): DecoderPair {
  let head = new Uint8Array(0);
  let writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  let chosen: (r: ReadableStream<Uint8Array>) => void;
  const inner = new Promise<ReadableStream<Uint8Array>>((resolve) => (chosen = resolve));
  let reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  let failed: ((e: unknown) => void) | null = null;
  const gaveUp = new Promise<never>((_, reject) => (failed = reject));
  gaveUp.catch(() => {});
  const start = (): WritableStreamDefaultWriter<Uint8Array> => {
    const d = pick(head);
    chosen(d.readable);
    return d.writable.getWriter();
  };
  const writable = new WritableStream<Uint8Array>({
    async write(chunk) {
      if (!writer) {
        const joined = new Uint8Array(head.length + chunk.length);
        joined.set(head);
        joined.set(chunk, head.length);
        head = joined;
        if (head.length < 2) return;
        writer = start();
        chunk = head;
      }
      await writer.ready;
      await writer.write(chunk);
    },
    async close() {
      if (!writer) {
        // A body shorter than the sniffed header: the decoder reports it as corrupt.
        writer = start();
        if (head.length > 0) await writer.write(head);
      }
      await writer.close();
    },
    async abort(reason) {
      failed?.(reason);
      if (writer) await writer.abort(reason).catch(() => {});
    },
  });
  const readable = new ReadableStream<Uint8Array>({
    async pull(c) {
      reader ??= (await Promise.race([inner, gaveUp])).getReader();
      const r = await reader.read();
      if (r.done) c.close();
      else c.enqueue(r.value);
    },
    async cancel(reason) {
      failed?.(reason);
      if (reader) await reader.cancel(reason).catch(() => {});
      else if (writer) await writer.abort(reason).catch(() => {});
    },
  });
  return { readable, writable };
}

/** Options for decodeBody. */
export interface DecodeOptions {
  /** More decoded bytes than this is `body_too_large`. */
  maxBody?: number;
  /** The runtime's zlib decoders (lib/runtime/NAME/decompress.ts) for codings without a native one. */
  decoders?: DecoderFactories;
}

/**
 * The decoded body of `source`, pulled on demand. An encoding with nothing to decode, or an
 * unknown coding, passes the bytes through unchanged (maxBody still applies).
 */
export function decodeBody(
  source: AsyncIterator<Uint8Array>,
  encoding: string | Decoder | null,
  opts: DecodeOptions = {},
): AsyncIterableIterator<Uint8Array> {
  return new DecodedBody(source, encoding, opts);
}

/** Frees a decoder that was never used. */
function discard(d: Decoder): void {
  d.readable.cancel().catch(() => {});
  d.writable.abort().catch(() => {});
}

const DONE: IteratorReturnResult<undefined> = { value: undefined, done: true };

class DecodedBody implements AsyncIterableIterator<Uint8Array> {
  #source: AsyncIterator<Uint8Array>;
  #encoding: string | Decoder | null;
  #opts: DecodeOptions;
  #reader: ReadableStreamDefaultReader<Uint8Array> | null = null;
  /** Passing through: no decoder applies. */
  #plain = false;
  #loaded = 0;
  #err: HansomError | null = null;
  /** The source's own failure, reported as it is rather than as bad_response. */
  #sourceErr: unknown = undefined;
  #sourceDone = false;
  #sourceClosed = false;
  #done = false;
  #turn: Promise<unknown> = Promise.resolve();

  constructor(source: AsyncIterator<Uint8Array>, encoding: string | Decoder | null, opts: DecodeOptions) {
    this.#source = source;
    this.#encoding = encoding;
    this.#opts = opts;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Calls run one after another, so the source never sees two reads at once. */
  next(): Promise<IteratorResult<Uint8Array>> {
    const p = this.#turn.then(() => this.#next());
    this.#turn = p.catch(() => {});
    return p;
  }

  async #next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#err) throw this.#err;
    if (this.#done) return DONE;
    let chunk: Uint8Array | null;
    try {
      chunk = this.#reader || this.#plain ? await this.#read() : await this.#start();
    } catch (e) {
      throw this.#fail(e);
    }
    if (chunk === null) {
      this.#done = true;
      return DONE;
    }
    this.#loaded += chunk.byteLength;
    const max = this.#opts.maxBody;
    if (max !== undefined && this.#loaded > max) {
      throw this.#fail(
        new HansomError("body_too_large", `The decoded response body is larger than ${max} bytes (maxBody)`, {
          phase: "body",
        }),
      );
    }
    return { value: chunk, done: false };
  }

  async return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.#done && !this.#err) {
      this.#done = true;
      this.#release(new HansomError("aborted", "The response body was cancelled", { phase: "body" }));
    }
    return DONE;
  }

  /** The first non-empty source chunk decides: an empty body has nothing to decode. */
  async #start(): Promise<Uint8Array | null> {
    const first = await this.#pull();
    const enc = this.#encoding;
    if (first === null) {
      if (enc && typeof enc !== "string") discard(enc);
      return null;
    }
    const decoder = typeof enc === "string" ? decoderFor(enc, this.#opts.decoders) : enc;
    if (!decoder) {
      this.#plain = true;
      return first;
    }
    let pending: Uint8Array | null = first;
    const input = new ReadableStream<Uint8Array>(
      {
        pull: async (c) => {
          pending ??= await this.#pull();
          if (pending === null) return c.close();
          c.enqueue(pending.subarray(0, SLICE));
          pending = pending.byteLength > SLICE ? pending.subarray(SLICE) : null;
        },
        cancel: () => this.#closeSource(),
      },
      { highWaterMark: 0 },
    );
    this.#reader = input.pipeThrough(decoder).getReader();
    return this.#read();
  }

  async #read(): Promise<Uint8Array | null> {
    if (this.#plain) return this.#pull();
    for (;;) {
      const r = await this.#reader!.read();
      if (r.done) return null;
      if (r.value.byteLength > 0) return r.value;
    }
  }

  /** The next non-empty chunk of the source, or null at its end. */
  async #pull(): Promise<Uint8Array | null> {
    if (this.#sourceDone) return null;
    for (;;) {
      let r: IteratorResult<Uint8Array>;
      try {
        r = await this.#source.next();
      } catch (e) {
        this.#sourceDone = true;
        this.#sourceErr = e;
        throw e;
      }
      if (r.done) {
        this.#sourceDone = true;
        return null;
      }
      if (r.value.byteLength > 0) return r.value;
    }
  }

  /** Records the failure (the source's own error, else the decoder's as bad_response) and tears down. */
  #fail(e: unknown): HansomError {
    if (this.#err) return this.#err;
    const src = this.#sourceErr;
    let err: HansomError;
    if (src !== undefined)
      err =
        src instanceof HansomError
          ? src
          : new HansomError("closed", "The response body failed", { phase: "body", cause: src });
    else if (e instanceof HansomError) err = e;
    else
      err = new HansomError(
        "bad_response",
        `The response body could not be decoded (Content-Encoding: ${this.#coding()})`,
        { phase: "body", cause: e },
      );
    this.#err = err;
    this.#release(err);
    return err;
  }

  #coding(): string {
    const enc = this.#encoding;
    return typeof enc === "string" ? enc : (enc?.coding ?? "identity");
  }

  #release(reason: unknown): void {
    this.#reader?.cancel(reason).catch(() => {});
    this.#closeSource();
  }

  /** Gives the source back unless it already ended (a finished body keeps its connection). */
  #closeSource(): void {
    if (this.#sourceDone || this.#sourceClosed) return;
    this.#sourceClosed = true;
    this.#sourceDone = true;
    this.#source.return?.().catch(() => {});
  }
}
