// Bytes read from the socket but not parsed yet: held while nobody wants the body, handed
// back raw by detach(). The connection pauses the socket once `bytes` passes its mark.
import { EMPTY, concatBytes } from "../bytes.ts";

export class RawQueue {
  #chunks: Uint8Array[] = [];
  /** Total bytes held. */
  bytes = 0;

  get empty(): boolean {
    return this.#chunks.length === 0;
  }
  /** Appends a chunk read from the socket. */
  push(c: Uint8Array): void {
    this.#chunks.push(c);
    this.bytes += c.byteLength;
  }
  /** Puts back the unparsed tail of a chunk, ahead of the rest. */
  unshift(c: Uint8Array): void {
    this.#chunks.unshift(c);
    this.bytes += c.byteLength;
  }
  /** The oldest chunk, or undefined. */
  shift(): Uint8Array | undefined {
    const c = this.#chunks.shift();
    if (c) this.bytes -= c.byteLength;
    return c;
  }
  /** Everything held, as one array, leaving the queue empty. */
  take(): Uint8Array {
    const out = this.#chunks.length ? concatBytes(this.#chunks) : EMPTY;
    this.#chunks = [];
    this.bytes = 0;
    return out;
  }
}
