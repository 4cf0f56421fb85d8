// What a stream's response may receive next (RFC 9113 §8.1): header sections and DATA are
// checked against the stream's progress — informational heads, one final head, a body within
// its content-length, trailers that end it — and turned into the event to report. A
// malformed response is a stream error of type PROTOCOL_ERROR (§8.1.1).
import { PROTOCOL_ERROR, streamError } from "./errors.ts";
import type { H2Error } from "./errors.ts";
import { checkResponse, checkTrailers } from "./fields.ts";
import { AWAIT_HEAD, IN_BODY } from "./stream.ts";
import type { Stream } from "./stream.ts";

/** A header section's meaning for the stream. */
export type HeadEvent =
  | { kind: "informational"; status: number; fields: Array<[string, string]> }
  | { kind: "head"; status: number; fields: Array<[string, string]> }
  | { kind: "trailers"; fields: Array<[string, string]> };

function malformed(s: Stream, why: string): H2Error {
  return streamError(s.id, PROTOCOL_ERROR, `malformed response: ${why}`);
}

/** Accepts a decoded header section on a stream still receiving; throws a stream error when malformed. */
export function acceptFields(s: Stream, decoded: Array<[string, string]>, endStream: boolean): HeadEvent {
  if (s.response === AWAIT_HEAD) {
    const r = checkResponse(s.id, decoded);
    if (r.status < 200) {
      // §8.1: informational heads never end a stream; §8.6: no 101 on HTTP/2.
      if (r.status === 101) throw malformed(s, "101 Switching Protocols is not allowed on HTTP/2");
      if (endStream) throw malformed(s, `${r.status} informational head with END_STREAM`);
      return { kind: "informational", status: r.status, fields: r.fields };
    }
    s.response = IN_BODY;
    if (r.status === 204 || r.status === 304) s.noBody = true;
    s.contentLength = s.noBody ? -1 : r.contentLength;
    if (endStream && s.contentLength > 0) throw malformed(s, `no body for content-length ${s.contentLength}`);
    return { kind: "head", status: r.status, fields: r.fields };
  }
  // §8.1: a second field section is the trailer section, and it ends the stream.
  if (!endStream) throw malformed(s, "trailers without END_STREAM");
  const fields = checkTrailers(s.id, decoded);
  if (s.contentLength >= 0 && s.received !== s.contentLength) {
    throw malformed(s, `${s.received} body bytes for content-length ${s.contentLength}`);
  }
  return { kind: "trailers", fields };
}

/** Accepts `len` body bytes on a stream still receiving; returns null, or the stream error for a malformed body. */
export function checkData(s: Stream, len: number, endStream: boolean): H2Error | null {
  if (s.response === AWAIT_HEAD) return malformed(s, "DATA before the response head");
  if (len > 0 && s.noBody) return malformed(s, "DATA in a response without a body (HEAD, 204 or 304)");
  s.received += len;
  const cl = s.contentLength;
  if (cl >= 0 && (s.received > cl || (endStream && s.received !== cl))) {
    return malformed(s, `${s.received}${endStream ? "" : " or more"} body bytes for content-length ${cl}`);
  }
  return null;
}
