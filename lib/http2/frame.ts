// HTTP/2 frames (RFC 9113 §4, §6): type and flag constants, the decoded frame shapes, and
// encoders writing frames into Uint8Arrays. The incremental decoder is frame-decoder.ts.

/** §4.1: the 9-octet frame header. */
export const FRAME_HEADER_SIZE = 9;
/** §3.4: the client connection preface, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n". */
export const PREFACE: Uint8Array = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
/** §6.9.1: the largest flow-control window, 2^31 - 1. */
export const MAX_WINDOW = 0x7fffffff;
/** §4.2: the bounds of SETTINGS_MAX_FRAME_SIZE. */
export const MIN_MAX_FRAME_SIZE = 16384;
export const MAX_MAX_FRAME_SIZE = 16777215;

// §6: frame types.
export const DATA = 0x0;
export const HEADERS = 0x1;
export const PRIORITY = 0x2;
export const RST_STREAM = 0x3;
export const SETTINGS = 0x4;
export const PUSH_PROMISE = 0x5;
export const PING = 0x6;
export const GOAWAY = 0x7;
export const WINDOW_UPDATE = 0x8;
export const CONTINUATION = 0x9;

// §6: flags (ACK shares its bit with END_STREAM on other frame types).
export const FLAG_END_STREAM = 0x1;
export const FLAG_ACK = 0x1;
export const FLAG_END_HEADERS = 0x4;
export const FLAG_PADDED = 0x8;
export const FLAG_PRIORITY = 0x20;

/** One decoded frame; payload fields are views of the fed chunk (or of a copy when split), never reused. */
export type Frame =
  /** flowLength: the whole payload, padding included, which flow control counts (§6.9.1). */
  | { type: "DATA"; streamId: number; endStream: boolean; data: Uint8Array; flowLength: number }
  | { type: "HEADERS"; streamId: number; endStream: boolean; endHeaders: boolean; fragment: Uint8Array }
  | { type: "CONTINUATION"; streamId: number; endHeaders: boolean; fragment: Uint8Array }
  | { type: "PRIORITY"; streamId: number }
  | { type: "RST_STREAM"; streamId: number; errorCode: number }
  | { type: "SETTINGS"; ack: boolean; settings: Array<[number, number]> }
  | { type: "PUSH_PROMISE"; streamId: number; promisedStreamId: number }
  | { type: "PING"; ack: boolean; data: Uint8Array }
  | { type: "GOAWAY"; lastStreamId: number; errorCode: number; debug: Uint8Array }
  | { type: "WINDOW_UPDATE"; streamId: number; increment: number }
  /** §4.1, §5.5: a frame of an unknown type, to be ignored. */
  | { type: "UNKNOWN"; frameType: number; streamId: number; length: number };

/** Writes a frame header at `at` in `out` (§4.1); the reserved bit of the stream id is sent as 0. */
export function writeFrameHeader(
  out: Uint8Array,
  at: number,
  length: number,
  type: number,
  flags: number,
  streamId: number,
): void {
  out[at] = length >>> 16;
  out[at + 1] = length >>> 8;
  out[at + 2] = length;
  out[at + 3] = type;
  out[at + 4] = flags;
  writeUint32(out, at + 5, streamId & MAX_WINDOW);
}

function writeUint32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
}

/** A whole frame of any type: header plus a copy of `payload`. */
export function encodeFrame(
  type: number,
  flags: number,
  streamId: number,
  payload: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + payload.length);
  writeFrameHeader(out, 0, payload.length, type, flags, streamId);
  out.set(payload, FRAME_HEADER_SIZE);
  return out;
}

/** A SETTINGS frame (§6.5) with the given [identifier, value] pairs. */
export function encodeSettings(settings: Array<[number, number]>): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + 6 * settings.length);
  writeFrameHeader(out, 0, 6 * settings.length, SETTINGS, 0, 0);
  let at = FRAME_HEADER_SIZE;
  for (const [id, value] of settings) {
    out[at] = id >>> 8;
    out[at + 1] = id;
    writeUint32(out, at + 2, value);
    at += 6;
  }
  return out;
}

/** The SETTINGS acknowledgement (§6.5.3). */
export function encodeSettingsAck(): Uint8Array {
  return encodeFrame(SETTINGS, FLAG_ACK, 0);
}

/** A PING (§6.7); `data` must be 8 octets. */
export function encodePing(data: Uint8Array, ack: boolean): Uint8Array {
  if (data.length !== 8) throw new RangeError("PING data must be 8 octets");
  return encodeFrame(PING, ack ? FLAG_ACK : 0, 0, data);
}

/** A GOAWAY (§6.8). */
export function encodeGoaway(
  lastStreamId: number,
  errorCode: number,
  debug: Uint8Array = new Uint8Array(0),
): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + 8 + debug.length);
  writeFrameHeader(out, 0, 8 + debug.length, GOAWAY, 0, 0);
  writeUint32(out, FRAME_HEADER_SIZE, lastStreamId & MAX_WINDOW);
  writeUint32(out, FRAME_HEADER_SIZE + 4, errorCode);
  out.set(debug, FRAME_HEADER_SIZE + 8);
  return out;
}

/** A WINDOW_UPDATE (§6.9); stream 0 is the connection window. */
export function encodeWindowUpdate(streamId: number, increment: number): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + 4);
  writeFrameHeader(out, 0, 4, WINDOW_UPDATE, 0, streamId);
  writeUint32(out, FRAME_HEADER_SIZE, increment & MAX_WINDOW);
  return out;
}

/** An RST_STREAM (§6.4). */
export function encodeRstStream(streamId: number, errorCode: number): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE + 4);
  writeFrameHeader(out, 0, 4, RST_STREAM, 0, streamId);
  writeUint32(out, FRAME_HEADER_SIZE, errorCode);
  return out;
}

/** The 9-octet header of a DATA frame carrying `length` octets, unpadded (§6.1); the payload follows it on the wire. */
export function encodeDataHeader(streamId: number, length: number, endStream: boolean): Uint8Array {
  const out = new Uint8Array(FRAME_HEADER_SIZE);
  writeFrameHeader(out, 0, length, DATA, endStream ? FLAG_END_STREAM : 0, streamId);
  return out;
}

/** A whole DATA frame, optionally padded with `padLength` zero octets (§6.1). */
export function encodeData(streamId: number, data: Uint8Array, endStream: boolean, padLength = -1): Uint8Array {
  const flags = (endStream ? FLAG_END_STREAM : 0) | (padLength >= 0 ? FLAG_PADDED : 0);
  return encodeFrame(DATA, flags, streamId, padded(data, padLength));
}

/** The payload with a Pad Length octet in front and `padLength` zeros behind; unchanged when padLength < 0. */
function padded(payload: Uint8Array, padLength: number): Uint8Array {
  if (padLength < 0) return payload;
  const out = new Uint8Array(1 + payload.length + padLength);
  out[0] = padLength;
  out.set(payload, 1);
  return out;
}

/**
 * A header block as HEADERS plus as many CONTINUATION frames as `maxFrameSize` requires
 * (§4.3, §6.10), in one array: a field block is sent contiguously, nothing may interleave.
 */
export function encodeHeaders(
  streamId: number,
  block: Uint8Array,
  endStream: boolean,
  maxFrameSize: number,
): Uint8Array {
  const frames = Math.max(1, Math.ceil(block.length / maxFrameSize));
  const out = new Uint8Array(block.length + frames * FRAME_HEADER_SIZE);
  let at = 0;
  for (let i = 0; i < frames; i++) {
    const from = i * maxFrameSize;
    const to = Math.min(block.length, from + maxFrameSize);
    const last = i === frames - 1;
    const type = i === 0 ? HEADERS : CONTINUATION;
    const flags = (last ? FLAG_END_HEADERS : 0) | (i === 0 && endStream ? FLAG_END_STREAM : 0);
    writeFrameHeader(out, at, to - from, type, flags, streamId);
    out.set(block.subarray(from, to), at + FRAME_HEADER_SIZE);
    at += FRAME_HEADER_SIZE + to - from;
  }
  return out;
}

/** Options for a single HEADERS frame built by hand (specs: padding, priority, no END_HEADERS). */
export interface HeadersFrameOptions {
  endStream?: boolean;
  /** @default true */
  endHeaders?: boolean;
  padLength?: number;
  /** Adds the 5-octet priority fields (§6.2), which receivers ignore (§5.3.2). */
  priority?: boolean;
}

/** One HEADERS frame carrying `fragment` as given, with the chosen flags. */
export function encodeHeadersFrame(streamId: number, fragment: Uint8Array, o: HeadersFrameOptions = {}): Uint8Array {
  const pad = o.padLength ?? -1;
  let payload = fragment;
  if (o.priority) {
    payload = new Uint8Array(5 + fragment.length);
    payload[4] = 15; // weight 16, depends on stream 0
    payload.set(fragment, 5);
  }
  const flags =
    (o.endStream ? FLAG_END_STREAM : 0) |
    (o.endHeaders !== false ? FLAG_END_HEADERS : 0) |
    (pad >= 0 ? FLAG_PADDED : 0) |
    (o.priority ? FLAG_PRIORITY : 0);
  return encodeFrame(HEADERS, flags, streamId, padded(payload, pad));
}
