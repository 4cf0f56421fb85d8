// Header block assembly (RFC 9113 §4.3, §6.10): a HEADERS frame without END_HEADERS is
// followed by CONTINUATION frames of the same stream and nothing else. The fragments are
// kept until the block is whole, within two bounds that stop a CONTINUATION flood: a count
// of frames and a size in bytes.
import { connectionError, ENHANCE_YOUR_CALM, PROTOCOL_ERROR } from "./errors.ts";

/** Collects the fragments of one header block at a time. */
export class HeaderBlock {
  /** The stream whose block is open, 0 when none is. */
  streamId = 0;
  /** The HEADERS frame that opened the block carried END_STREAM. */
  endStream = false;
  readonly #maxSize: number;
  readonly #maxContinuations: number;
  #parts: Uint8Array[] = [];
  #size = 0;
  #continuations = 0;

  constructor(maxSize: number, maxContinuations: number) {
    this.#maxSize = maxSize;
    this.#maxContinuations = maxContinuations;
  }

  /** A HEADERS frame: returns the whole block when it has END_HEADERS, else null and the block stays open. */
  headers(streamId: number, endStream: boolean, endHeaders: boolean, fragment: Uint8Array): Uint8Array | null {
    this.streamId = streamId;
    this.endStream = endStream;
    this.#size = this.#continuations = 0;
    this.#parts = [];
    return this.#add(fragment, endHeaders);
  }

  /** A CONTINUATION frame: returns the whole block on END_HEADERS, else null. Throws H2Error. */
  continuation(streamId: number, endHeaders: boolean, fragment: Uint8Array): Uint8Array | null {
    if (this.streamId === 0)
      throw connectionError(
        PROTOCOL_ERROR,
        `CONTINUATION frame on stream ${streamId} without a HEADERS frame before it`,
      );
    if (streamId !== this.streamId) {
      throw connectionError(
        PROTOCOL_ERROR,
        `CONTINUATION frame on stream ${streamId} inside the header block of stream ${this.streamId}`,
      );
    }
    if (++this.#continuations > this.#maxContinuations) {
      throw connectionError(
        ENHANCE_YOUR_CALM,
        `CONTINUATION flood: more than ${this.#maxContinuations} CONTINUATION frames in one header block ` +
          "(the maxContinuationFrames limit)",
      );
    }
    return this.#add(fragment, endHeaders);
  }

  #add(fragment: Uint8Array, end: boolean): Uint8Array | null {
    this.#size += fragment.length;
    if (this.#size > this.#maxSize) {
      throw connectionError(
        ENHANCE_YOUR_CALM,
        `header block larger than ${this.#maxSize} bytes (twice SETTINGS_MAX_HEADER_LIST_SIZE)`,
      );
    }
    if (!end) {
      this.#parts.push(fragment);
      return null;
    }
    this.streamId = 0;
    if (this.#parts.length === 0) return fragment;
    this.#parts.push(fragment);
    const block = new Uint8Array(this.#size);
    let at = 0;
    for (const p of this.#parts) {
      block.set(p, at);
      at += p.length;
    }
    this.#parts = [];
    return block;
  }
}
