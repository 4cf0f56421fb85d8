// The HTTP/1 response parser's types (parse.ts): the head it hands over with the framing it
// chose, the events it calls, and its limits.
import type { ResponseHead, WireState } from "../exchange.ts";

/** How the body of a response is delimited (RFC 9112 §6.3). */
export type BodyFraming = "none" | "length" | "chunked" | "close";
/** Where the parser is within the current message (hackney's states). */
export type ParserState = WireState;

/** A final response's status line and header section, with the HTTP/1 framing it chose. */
export interface Http1Head extends ResponseHead {
  httpVersion: "1.0" | "1.1";
  /** Wire order and case; values trimmed of OWS, bytes decoded as Latin-1. */
  rawHeaders: Array<[string, string]>;
  framing: BodyFraming;
  /** The body length when framing is "length", else null. */
  contentLength: number | null;
  /** Whether the connection can carry another request after this message (§9.3). */
  keepAlive: boolean;
}

/** Receives the parser's events. */
export interface ParserHandler {
  /** A 1xx interim response (100, 103...), except 101 which is final. */
  onInterim?(status: number, rawHeaders: Array<[string, string]>): void;
  onHead(head: Http1Head): void;
  /** Body bytes: a view of the fed chunk, valid as long as the caller keeps that chunk. */
  onBody(chunk: Uint8Array): void;
  onTrailers?(rawHeaders: Array<[string, string]>): void;
  onComplete(): void;
}

/** Limits, hackney's max_header_size and friends. */
export interface ParserOptions {
  /** Bytes of status line plus header section (and of a trailer section). @default 65536 */
  maxHeaderSize?: number;
  /** Field lines in a header (or trailer) section. @default 1000 */
  maxHeaders?: number;
}
