// The one reader of a response body: a small queue between the connection (push) and the
// consumer (pull). Every way of reading (stream, iterator, bytes, multipart) goes through it,
// so limits, progress and backpressure are enforced in one place.
import { HansomError, abortError, limitError } from "./errors.ts";
import type { BodySink, BodySource } from "./exchange.ts";
import { concatBytes } from "./bytes.ts";

/** Bytes queued before the connection is asked to stop reading the socket. */
const HWM = 256 * 1024;
/** A streaming reader's bytes kept for partialBody, at most. */
const KEEP_LIMIT = 1024 * 1024;

export interface BodyLimits {
  /** More bytes than this is `body_too_large`. */
  maxBody?: number;
  /** Declared total (Content-Length), for progress. */
  total?: number;
  onProgress?: (p: { phase: "download"; loaded: number; total?: number }) => void;
  /** Called once when the body ended cleanly (timings). */
  onEnd?: () => void;
  /** Called once when the body ended, cleanly or not. */
  onSettle?: () => void;
  /** Aborting it fails the body even when every byte has already arrived. */
  signal?: AbortSignal;
  /** The request's maxHeaderSize: also the limit of each multipart part's header section. */
  maxHeaderSize?: number;
}

/** A pull-based view of a body source; an AsyncIterator of chunks. */
export class BodyChannel implements BodySink, AsyncIterator<Uint8Array<ArrayBuffer>> {
  #source: BodySource;
  #limits: BodyLimits;
  #q: Uint8Array<ArrayBuffer>[] = [];
  #qBytes = 0;
  #loaded = 0;
  #lastReport = -1;
  #reportedAt = 0;
  #started = false;
  #paused = false;
  #done = false;
  #err: HansomError | null = null;
  #wake: (() => void) | null = null;
  /**
   * Chunks already handed to the reader, for partialBody on failure: all of them for a
   * whole-body read, the first KEEP_LIMIT bytes for a streaming one (memory stays flat).
   */
  keep: Uint8Array<ArrayBuffer>[] | null = [];
  #kept = 0;
  #whole = false;
  trailers: Array<[string, string]> | null = null;

  constructor(source: BodySource, limits: BodyLimits) {
    this.#source = source;
    this.#limits = limits;
    limits.signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  #onAbort = (): void => {
    if (this.#err || (this.#done && this.#q.length === 0)) return;
    this.#source.cancel();
    this.#done = false;
    this.error(abortError(this.#limits.signal));
  };

  get finished(): boolean {
    return this.#done || this.#err !== null;
  }
  get loaded(): number {
    return this.#loaded;
  }

  data(chunk: Uint8Array): boolean {
    if (this.#done || this.#err) return false;
    this.#loaded += chunk.byteLength;
    const max = this.#limits.maxBody;
    if (max !== undefined && this.#loaded > max) {
      this.#source.cancel();
      this.error(limitError("body_too_large", "The response body is", max, "maxBody or maxLength", "body"));
      return false;
    }
    // Socket adapters read into plain ArrayBuffers, never shared memory: the chunks type as fetch's do.
    this.#q.push(chunk as Uint8Array<ArrayBuffer>);
    this.#qBytes += chunk.byteLength;
    this.#progress(false);
    this.#wake?.();
    if (this.#qBytes >= HWM) {
      this.#paused = true;
      return false;
    }
    return true;
  }

  end(trailers: Array<[string, string]> | null): void {
    if (this.#done || this.#err) return;
    this.#done = true;
    this.trailers = trailers;
    this.#progress(true);
    this.#limits.onEnd?.();
    this.#limits.onSettle?.();
    this.#wake?.();
  }

  error(err: HansomError): void {
    if (this.#done || this.#err) return;
    if (err.code === "closed" && !err.partialBody) {
      const parts = this.keep ? this.keep.concat(this.#q) : this.#q;
      err.partialBody = concatBytes(parts);
      this.keep = null;
    }
    this.#err = err;
    this.#q = [];
    this.#qBytes = 0;
    this.#unlisten();
    this.#limits.onSettle?.();
    this.#wake?.();
  }

  #progress(final: boolean): void {
    const cb = this.#limits.onProgress;
    if (!cb) return;
    const now = Date.now();
    // At most every 64 KiB or 100 ms, plus the final count.
    if (
      final
        ? this.#loaded !== this.#lastReport
        : this.#loaded - this.#lastReport >= 65536 || now - this.#reportedAt >= 100
    ) {
      this.#lastReport = this.#loaded;
      this.#reportedAt = now;
      cb({ phase: "download", loaded: this.#loaded, total: this.#limits.total });
    }
  }

  next(): Promise<IteratorResult<Uint8Array<ArrayBuffer>>> {
    if (!this.#started) {
      this.#started = true;
      this.#source.read(this);
    }
    const c = this.#q.shift();
    if (c) {
      this.#qBytes -= c.byteLength;
      // Kept here, not by the caller after its await: an error that lands between the two
      // must still find this chunk for partialBody.
      if (this.keep && this.#whole) this.keep.push(c);
      else if (this.keep) {
        this.#kept += c.byteLength;
        if (this.#kept <= KEEP_LIMIT) this.keep.push(c);
        else this.keep = null;
      }
      if (this.#paused && this.#qBytes < HWM / 2) {
        this.#paused = false;
        this.#source.read(this);
      }
      return Promise.resolve({ value: c, done: false });
    }
    if (this.#err) return Promise.reject(this.#err);
    if (this.#done) {
      this.keep = null;
      this.#unlisten();
      return Promise.resolve({ value: undefined, done: true });
    }
    if (this.#paused) {
      this.#paused = false;
      this.#source.read(this);
    }
    return new Promise<void>((resolve) => {
      this.#wake = resolve;
    }).then(() => {
      this.#wake = null;
      return this.next();
    });
  }

  /** Stops reading: the connection is dropped unless the body already ended. */
  return(): Promise<IteratorResult<Uint8Array<ArrayBuffer>>> {
    this.cancel();
    return Promise.resolve({ value: undefined, done: true });
  }

  cancel(): void {
    // A long-lived signal must not keep an abandoned body's queue reachable: every way out
    // (close, break, reader.cancel) drops the listener, even after the body ended.
    this.#unlisten();
    this.#q = [];
    this.#qBytes = 0;
    this.keep = null;
    if (this.#done || this.#err) return;
    this.#source.cancel();
    this.#err = new HansomError("aborted", "The response body was cancelled", { phase: "body" });
  }

  /** The socket was handed over: ends this reader and returns the chunks it had not handed out. */
  detachQueued(): Uint8Array<ArrayBuffer>[] {
    const q = this.#q;
    this.#unlisten();
    this.#q = [];
    this.#qBytes = 0;
    this.keep = null;
    if (!this.#done && !this.#err)
      this.#err = new HansomError("closed", "The connection was detached", { phase: "body" });
    this.#limits.onSettle?.();
    return q;
  }

  #unlisten(): void {
    this.#limits.signal?.removeEventListener("abort", this.#onAbort);
  }

  /** Reads everything into one Uint8Array. */
  async readAll(): Promise<Uint8Array<ArrayBuffer>> {
    const parts: Uint8Array<ArrayBuffer>[] = [];
    this.#whole = true;
    this.keep = parts;
    // next() adds each chunk to `parts` (this.keep) as it hands it out.
    for (;;) {
      const r = await this.next();
      if (r.done) break;
    }
    this.keep = null;
    return concatBytes(parts);
  }

  /** Reads and discards everything. */
  async drain(): Promise<void> {
    for (;;) {
      const r = await this.next();
      if (r.done) return;
    }
  }
}
