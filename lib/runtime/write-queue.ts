// What write() and drain() share where the runtime does not queue writes itself: a userland
// queue of chunks with a high-water mark, and the drain() waiters it settles. The adapter owns
// the writing (a promise per write, or a callback when the kernel takes more); this file only
// keeps the books.
import { HansomError } from "../errors.ts";

/** The drain() rejection once a socket has closed. */
export function closedWhileWriting(): HansomError {
  return new HansomError("closed", "Socket closed while writing");
}

/** Chunks not yet written, in order, with their byte count against a high-water mark. */
export class WriteQueue {
  readonly #highWater: number;
  #chunks: Uint8Array[] = [];
  #bytes = 0;
  #waiters: Array<{ resolve: () => void; reject: (e: HansomError) => void }> = [];

  constructor(highWater: number) {
    this.#highWater = highWater;
  }

  /** True when nothing is queued. */
  get empty(): boolean {
    return this.#chunks.length === 0;
  }
  /** Under the high-water mark: write() returns this, false meaning "await drain()". */
  get belowHighWater(): boolean {
    return this.#bytes < this.#highWater;
  }
  /** Queues a chunk (an empty one is dropped); returns belowHighWater. */
  push(chunk: Uint8Array): boolean {
    if (chunk.byteLength > 0) {
      this.#chunks.push(chunk);
      this.#bytes += chunk.byteLength;
    }
    return this.belowHighWater;
  }
  /** The first chunk; only when not empty. */
  head(): Uint8Array {
    return this.#chunks[0]!;
  }
  /**
   * The first chunk, merged with the ones after it when it is shorter than `below` and more are
   * queued, up to `max` bytes in all: one write call instead of many small ones.
   */
  mergedHead(below: number, max: number): Uint8Array {
    const head = this.#chunks[0]!;
    if (head.byteLength >= below || this.#chunks.length < 2) return head;
    let count = 0;
    let size = 0;
    for (const c of this.#chunks) {
      if (count > 0 && size + c.byteLength > max) break;
      size += c.byteLength;
      count++;
    }
    if (count === 1) return head;
    const merged = new Uint8Array(size);
    let at = 0;
    for (const c of this.#chunks.splice(0, count, merged)) {
      merged.set(c, at);
      at += c.byteLength;
    }
    return merged;
  }
  /** `n` bytes of `head` (the first chunk) were written. */
  wrote(head: Uint8Array, n: number): void {
    if (n < head.byteLength) this.#chunks[0] = head.subarray(n);
    else this.#chunks.shift();
    this.#bytes -= n;
  }
  /** Resolves the drain() waiters if writes brought the queue under the high-water mark. */
  resolveDrained(): void {
    if (this.#bytes < this.#highWater) this.#settle(null);
  }
  /** Resolves at once under the high-water mark, else at the resolveDrained() that finds it so. */
  drained(): Promise<void> {
    if (this.belowHighWater) return Promise.resolve();
    return new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
  }
  /** Drops what is queued and rejects drain() waiters with `err`. */
  clear(err: HansomError): void {
    this.#chunks = [];
    this.#bytes = 0;
    this.#settle(err);
  }

  #settle(err: HansomError | null): void {
    const waiters = this.#waiters;
    if (waiters.length === 0) return;
    this.#waiters = [];
    for (const w of waiters) {
      if (err) w.reject(err);
      else w.resolve();
    }
  }
}
