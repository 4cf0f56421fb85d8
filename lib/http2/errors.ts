// HTTP/2 error codes (RFC 9113 §7) and the two error kinds of §5.4: a connection error ends
// the whole connection with GOAWAY, a stream error resets one stream with RST_STREAM.
// H2Error is internal to lib/http2: the session turns it into a HansomError for its caller.
import { HansomError } from "../errors.ts";

/** RFC 9113 §7 error code names, indexed by code. */
const NAMES = [
  "NO_ERROR",
  "PROTOCOL_ERROR",
  "INTERNAL_ERROR",
  "FLOW_CONTROL_ERROR",
  "SETTINGS_TIMEOUT",
  "STREAM_CLOSED",
  "FRAME_SIZE_ERROR",
  "REFUSED_STREAM",
  "CANCEL",
  "COMPRESSION_ERROR",
  "CONNECT_ERROR",
  "ENHANCE_YOUR_CALM",
  "INADEQUATE_SECURITY",
  "HTTP_1_1_REQUIRED",
] as const;

/** An RFC 9113 §7 error code name. */
export type H2ErrorName = (typeof NAMES)[number];

export const NO_ERROR = 0x0;
export const PROTOCOL_ERROR = 0x1;
export const INTERNAL_ERROR = 0x2;
export const FLOW_CONTROL_ERROR = 0x3;
export const STREAM_CLOSED = 0x5;
export const FRAME_SIZE_ERROR = 0x6;
export const REFUSED_STREAM = 0x7;
export const CANCEL = 0x8;
export const COMPRESSION_ERROR = 0x9;
export const ENHANCE_YOUR_CALM = 0xb;

/** The name of an error code; §7: unknown codes are not errors, they read as "UNKNOWN_0x..". */
export function errorName(code: number): string {
  return NAMES[code] ?? `UNKNOWN_0x${code.toString(16)}`;
}

/** The code of an error name, or undefined for a name that is not in §7. */
export function errorCode(name: string): number | undefined {
  const i = (NAMES as readonly string[]).indexOf(name);
  return i < 0 ? undefined : i;
}

/** A protocol violation found while decoding: a connection error, or a stream error when streamId is set. */
export class H2Error extends Error {
  readonly code: number;
  /** The stream to reset (§5.4.2); 0 for a connection error (§5.4.1). */
  readonly streamId: number;

  constructor(code: number, message: string, streamId = 0) {
    super(message);
    this.name = "H2Error";
    this.code = code;
    this.streamId = streamId;
  }
}

/** A connection error (§5.4.1) with the given code. */
export function connectionError(code: number, message: string): H2Error {
  return new H2Error(code, message);
}

/** A stream error (§5.4.2) with the given code. */
export function streamError(streamId: number, code: number, message: string): H2Error {
  return new H2Error(code, message, streamId);
}

/** The HansomError a caller sees for a server's protocol violation: `bad_response`, code name in the message. */
export function toHansomError(e: H2Error): HansomError {
  const where = e.streamId === 0 ? "" : ` on stream ${e.streamId}`;
  return new HansomError("bad_response", `Invalid HTTP/2 response${where}: ${e.message} (${errorName(e.code)})`, {
    phase: "response",
    cause: e,
  });
}
