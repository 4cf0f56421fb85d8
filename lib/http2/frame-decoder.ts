// Incremental HTTP/2 frame decoder (RFC 9113 §4): bytes in any split, whole frames out.
// Checks what a frame can be checked for on its own: its size against our
// SETTINGS_MAX_FRAME_SIZE (§4.2), the fixed sizes and stream-id rules of each type (§6), and
// padding (§6.1, §6.2). Stream states, flow control and header blocks are the session's.
// A frame that arrives in one chunk is handed out as views of that chunk; only a frame split
// across chunks is copied, into a buffer of its own that is never written again.
import { connectionError, FRAME_SIZE_ERROR, PROTOCOL_ERROR } from "./errors.ts";
import {
  CONTINUATION,
  DATA,
  FLAG_ACK,
  FLAG_END_HEADERS,
  FLAG_END_STREAM,
  FLAG_PADDED,
  FLAG_PRIORITY,
  FRAME_HEADER_SIZE,
  GOAWAY,
  HEADERS,
  MAX_WINDOW,
  MIN_MAX_FRAME_SIZE,
  PING,
  PRIORITY,
  PUSH_PROMISE,
  RST_STREAM,
  SETTINGS,
  WINDOW_UPDATE,
} from "./frame.ts";
import type { Frame } from "./frame.ts";

const NAMES = [
  "DATA",
  "HEADERS",
  "PRIORITY",
  "RST_STREAM",
  "SETTINGS",
  "PUSH_PROMISE",
  "PING",
  "GOAWAY",
  "WINDOW_UPDATE",
  "CONTINUATION",
];

/** The name of a frame type, for messages. */
export function frameTypeName(type: number): string {
  return NAMES[type] ?? `type 0x${type.toString(16)}`;
}

function readUint32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** Incremental frame decoder; one per connection. */
export class FrameDecoder {
  /** Our SETTINGS_MAX_FRAME_SIZE: a longer frame is a FRAME_SIZE_ERROR (§4.2). */
  maxFrameSize: number;
  #head = new Uint8Array(FRAME_HEADER_SIZE);
  #headLen = 0;
  // The current frame once its header is complete (#length >= 0), and its buffered payload.
  #length = -1;
  #type = 0;
  #flags = 0;
  #streamId = 0;
  #buf: Uint8Array | null = null;
  #bufLen = 0;

  constructor(maxFrameSize = MIN_MAX_FRAME_SIZE) {
    this.maxFrameSize = maxFrameSize;
  }

  /** True between frames: nothing of a next frame has arrived. */
  get idle(): boolean {
    return this.#headLen === 0 && this.#length < 0;
  }

  /**
   * Feeds bytes, calling onFrame for each complete frame in order. Throws H2Error (a
   * connection error) for a malformed frame; an error thrown by onFrame propagates, and the
   * decoder must not be fed again after either.
   */
  push(chunk: Uint8Array, onFrame: (f: Frame) => void): void {
    const len = chunk.length;
    let off = 0;
    while (off < len) {
      if (this.#length < 0) {
        // Fast path: a whole header in this chunk.
        if (this.#headLen === 0 && len - off >= FRAME_HEADER_SIZE) {
          this.#header(chunk, off);
          off += FRAME_HEADER_SIZE;
        } else {
          const n = Math.min(FRAME_HEADER_SIZE - this.#headLen, len - off);
          this.#head.set(chunk.subarray(off, off + n), this.#headLen);
          this.#headLen += n;
          off += n;
          if (this.#headLen < FRAME_HEADER_SIZE) return;
          this.#header(this.#head, 0);
        }
      }
      const need = this.#length - this.#bufLen;
      if (this.#bufLen === 0 && len - off >= need) {
        const payload = chunk.subarray(off, off + need);
        off += need;
        this.#emit(payload, onFrame);
        continue;
      }
      const n = Math.min(need, len - off);
      if (n === 0) return; // the chunk ended with the frame header
      // A fresh buffer per split frame: views of a handed-out payload stay valid for good.
      if (this.#bufLen === 0 || this.#buf === null) this.#buf = new Uint8Array(this.#length);
      this.#buf.set(chunk.subarray(off, off + n), this.#bufLen);
      this.#bufLen += n;
      off += n;
      if (this.#bufLen < this.#length) return;
      const payload = this.#buf;
      this.#buf = null;
      this.#emit(payload, onFrame);
    }
  }

  /** Reads a frame header and checks its size and stream id for its type. */
  #header(b: Uint8Array, at: number): void {
    const length = (b[at]! << 16) | (b[at + 1]! << 8) | b[at + 2]!;
    const type = b[at + 3]!;
    const streamId = readUint32(b, at + 5) & MAX_WINDOW; // §4.1: the reserved bit is ignored
    const name = frameTypeName(type);
    if (length > this.maxFrameSize) {
      throw connectionError(
        FRAME_SIZE_ERROR,
        `${name} frame of ${length} bytes is larger than SETTINGS_MAX_FRAME_SIZE ${this.maxFrameSize}`,
      );
    }
    const fixed = type === PING ? 8 : type === RST_STREAM || type === WINDOW_UPDATE ? 4 : type === PRIORITY ? 5 : -1;
    if (fixed >= 0 && length !== fixed)
      throw connectionError(FRAME_SIZE_ERROR, `${name} frame of ${length} bytes, not ${fixed}`);
    if (type === GOAWAY && length < 8)
      throw connectionError(FRAME_SIZE_ERROR, `GOAWAY frame of ${length} bytes, under 8`);
    if (type === SETTINGS && length % 6 !== 0)
      throw connectionError(FRAME_SIZE_ERROR, `SETTINGS frame of ${length} bytes, not a multiple of 6`);
    if (type === SETTINGS && (b[at + 4]! & FLAG_ACK) !== 0 && length !== 0) {
      throw connectionError(FRAME_SIZE_ERROR, "SETTINGS acknowledgement with a payload");
    }
    // §6: which frames belong to a stream and which to the connection (stream 0).
    if (type === SETTINGS || type === PING || type === GOAWAY) {
      if (streamId !== 0) throw connectionError(PROTOCOL_ERROR, `${name} frame on stream ${streamId}`);
    } else if (type <= CONTINUATION && type !== WINDOW_UPDATE && streamId === 0) {
      throw connectionError(PROTOCOL_ERROR, `${name} frame on stream 0`);
    }
    this.#length = length;
    this.#type = type;
    this.#flags = b[at + 4]!;
    this.#streamId = streamId;
    this.#headLen = 0;
  }

  #emit(p: Uint8Array, onFrame: (f: Frame) => void): void {
    const type = this.#type,
      flags = this.#flags,
      streamId = this.#streamId,
      length = this.#length;
    this.#length = -1;
    this.#bufLen = 0;
    onFrame(this.#frame(p, type, flags, streamId, length));
  }

  #frame(p: Uint8Array, type: number, flags: number, streamId: number, length: number): Frame {
    switch (type) {
      case DATA: {
        const data = unpad(p, flags, 0, "DATA");
        return { type: "DATA", streamId, endStream: (flags & FLAG_END_STREAM) !== 0, data, flowLength: length };
      }
      case HEADERS: {
        const fragment = unpad(p, flags, (flags & FLAG_PRIORITY) !== 0 ? 5 : 0, "HEADERS");
        return {
          type: "HEADERS",
          streamId,
          endStream: (flags & FLAG_END_STREAM) !== 0,
          endHeaders: (flags & FLAG_END_HEADERS) !== 0,
          fragment,
        };
      }
      case CONTINUATION:
        return { type: "CONTINUATION", streamId, endHeaders: (flags & FLAG_END_HEADERS) !== 0, fragment: p };
      case PRIORITY:
        return { type: "PRIORITY", streamId };
      case RST_STREAM:
        return { type: "RST_STREAM", streamId, errorCode: readUint32(p, 0) };
      case SETTINGS: {
        const settings: Array<[number, number]> = [];
        for (let i = 0; i < p.length; i += 6) settings.push([(p[i]! << 8) | p[i + 1]!, readUint32(p, i + 2)]);
        return { type: "SETTINGS", ack: (flags & FLAG_ACK) !== 0, settings };
      }
      case PUSH_PROMISE: {
        const rest = unpad(p, flags, 0, "PUSH_PROMISE");
        if (rest.length < 4) throw connectionError(FRAME_SIZE_ERROR, "PUSH_PROMISE frame without a promised stream id");
        return { type: "PUSH_PROMISE", streamId, promisedStreamId: readUint32(rest, 0) & MAX_WINDOW };
      }
      case PING:
        return { type: "PING", ack: (flags & FLAG_ACK) !== 0, data: p };
      case GOAWAY:
        return {
          type: "GOAWAY",
          lastStreamId: readUint32(p, 0) & MAX_WINDOW,
          errorCode: readUint32(p, 4),
          debug: p.subarray(8),
        };
      case WINDOW_UPDATE:
        return { type: "WINDOW_UPDATE", streamId, increment: readUint32(p, 0) & MAX_WINDOW };
      default:
        return { type: "UNKNOWN", frameType: type, streamId, length };
    }
  }
}

/**
 * The payload without its padding (§6.1, §6.2) and `skip` octets after the Pad Length (the
 * priority fields of HEADERS). Padding that reaches past the payload is a PROTOCOL_ERROR.
 */
function unpad(p: Uint8Array, flags: number, skip: number, name: string): Uint8Array {
  if ((flags & FLAG_PADDED) === 0) {
    if (p.length < skip) throw connectionError(FRAME_SIZE_ERROR, `${name} frame too short for its priority fields`);
    return p.subarray(skip);
  }
  if (p.length < 1 + skip) throw connectionError(FRAME_SIZE_ERROR, `padded ${name} frame too short for its Pad Length`);
  const pad = p[0]!;
  if (pad > p.length - 1 - skip) {
    throw connectionError(
      PROTOCOL_ERROR,
      `${name} frame padding of ${pad} bytes is longer than its ${p.length - 1 - skip}-byte payload`,
    );
  }
  return p.subarray(1 + skip, p.length - pad);
}
