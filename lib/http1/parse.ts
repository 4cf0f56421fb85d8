// Incremental HTTP/1.0 and 1.1 response parser (RFC 9112): bytes in, events out, no I/O.
//
// Events for one message, in order:
//   onInterim(status, fields)*  1xx other than 101 (RFC 9110 §15.2); parsing goes on
//   onHead(head)                the final status line and header section
//   onBody(chunk)*              body bytes: subarray views of the fed chunk, never copies
//   onTrailers(fields)?         a non-empty trailer section of a chunked body (§7.1.2)
//   onComplete()                the message ended; state is "done"
// execute() returns right after onHead and right after onComplete with the count of bytes
// consumed, so the caller owns the unread tail: body bytes it may hand to a detaching user,
// or the next pipelined response. The body framing is chosen once, when the head ends (§6.3).
// A head (or trailer section) split across chunks is the only thing ever buffered. This file
// finds the blocks and chooses the framing; fields.ts decodes and splits the field lines.
import { HansomError, limitError } from "../errors.ts";
import type { BodyFraming, Http1Head, ParserHandler, ParserOptions, ParserState } from "./parse-types.ts";
import { bad, CLOSE, isCtl, KEEP_ALIVE, lastElement, latin1, parseFields, parseLength } from "./fields.ts";

export type { BodyFraming, Http1Head, ParserHandler, ParserOptions, ParserState } from "./parse-types.ts";

// Internal states; ParserState is derived from them. Chunked bodies go SIZE (the chunk-size
// line), DATA, DATA_END (the CRLF after data), back to SIZE, and TRAILERS after the last chunk.
const S_WAIT = 0,
  S_STATUS = 1,
  S_HEADERS = 2,
  S_LENGTH = 3,
  S_CLOSE = 4;
const S_SIZE = 5,
  S_DATA = 6,
  S_DATA_END = 7,
  S_TRAILERS = 8,
  S_DONE = 9;
const PUBLIC: ParserState[] = ["waiting_response", "on_status", "on_headers"];

// Hex digit value by byte, 255 = not a hex digit.
const HEX = new Uint8Array(256).fill(255);
for (let i = 0; i < 10; i++) HEX[0x30 + i] = i;
for (let i = 0; i < 6; i++) HEX[0x41 + i] = HEX[0x61 + i] = 10 + i;
// Largest chunk size that can take one more hex digit and stay <= 2^53 - 1.
const MAX_SIZE_BEFORE_DIGIT = Math.floor((Number.MAX_SAFE_INTEGER - 15) / 16);
// A chunk-size line with its extensions, at most (CVE-2024-22019: unbounded chunk-ext lets a
// server keep a client busy forever; llhttp and Node bound it too).
const MAX_SIZE_LINE = 4096;

/** Incremental response parser; one instance per connection, reset() per response. */
export class ResponseParser {
  #handler: ParserHandler;
  #maxSize: number;
  #maxHeaders: number;
  #st = S_WAIT;
  #noBody = false;
  #seen = 0;
  #error: unknown = null;
  // Body decoders: bytes left (length body or chunk), the declared length, chunk-size line.
  #remaining = 0;
  #length = 0;
  #size = 0;
  #digits = 0;
  #inExt = false;
  #cr = false;
  #lineBytes = 0;
  // Head and trailer blocks: bytes kept across chunks and the line being scanned.
  #blk = new Uint8Array(0);
  #blkLen = 0;
  #lineLen = 0;
  #lastCR = false;

  constructor(handler: ParserHandler, opts: ParserOptions = {}) {
    this.#handler = handler;
    this.#maxSize = opts.maxHeaderSize ?? 65536;
    this.#maxHeaders = opts.maxHeaders ?? 1000;
    if (!(this.#maxSize > 0)) throw new RangeError("maxHeaderSize must be a positive number");
    if (!(this.#maxHeaders >= 0)) throw new RangeError("maxHeaders must be a non-negative number");
  }

  /** Where the parser is in the current message. */
  get state(): ParserState {
    const st = this.#st;
    return st <= S_HEADERS ? PUBLIC[st]! : st === S_DONE ? "done" : "on_body";
  }

  /** Bytes of the current message consumed so far (0: nothing arrived since reset()). */
  get bytesSeen(): number {
    return this.#seen;
  }

  /**
   * Bytes of an unfinished head or trailer section, consumed but not parsed: with the unfed
   * tail, the raw wire bytes for a caller that detaches mid-head. Valid until the next execute().
   */
  get pending(): Uint8Array {
    return this.#blk.subarray(0, this.#blkLen);
  }

  /**
   * Starts a message. noBody: a response to HEAD (or a CONNECT 2xx), bodiless whatever its
   * headers say. maxHeaderSize: this message's head limit (each request may set its own).
   */
  reset(noBody: boolean, maxHeaderSize: number = this.#maxSize): void {
    if (!(maxHeaderSize > 0)) throw new RangeError("maxHeaderSize must be a positive number");
    this.#st = S_WAIT;
    this.#noBody = noBody;
    this.#maxSize = maxHeaderSize;
    this.#seen = this.#blkLen = this.#lineLen = this.#size = this.#digits = this.#lineBytes = 0;
    this.#lastCR = this.#inExt = this.#cr = false;
  }

  /**
   * Feeds bytes; returns how many of `chunk` were consumed: fewer than all right after onHead
   * and right after onComplete (the rest is the caller's), all of them otherwise. Throws
   * HansomError `bad_response` on a protocol violation; after any throw (a handler's too) the
   * parser is unusable and rethrows it.
   */
  execute(chunk: Uint8Array): number {
    if (this.#error !== null) throw this.#error;
    if (this.#st === S_DONE) {
      if (chunk.length === 0) return 0;
      throw new TypeError("ResponseParser.execute() after the message completed: call reset() first");
    }
    try {
      const n = this.#run(chunk);
      this.#seen += n;
      return n;
    } catch (e) {
      this.#error = e;
      throw e;
    }
  }

  /**
   * The peer closed (EOF): completes a close-delimited body; throws HansomError `closed` if
   * any other message is in progress, or if nothing arrived at all ("before any response byte").
   */
  finish(): void {
    if (this.#error !== null) throw this.#error;
    const st = this.#st;
    if (st === S_DONE) return;
    if (st === S_CLOSE) {
      this.#complete(0);
      return;
    }
    const message =
      st === S_WAIT
        ? this.#seen === 0
          ? "before any response byte"
          : "before the final response's status line"
        : st <= S_HEADERS
          ? "in the middle of the response head"
          : st === S_LENGTH
            ? `after ${this.#length - this.#remaining} of ${this.#length} body bytes`
            : "before the end of a chunked body";
    this.#error = new HansomError("closed", `Connection closed ${message}`, {
      phase: st >= S_LENGTH ? "body" : "response",
    });
    throw this.#error;
  }

  #run(chunk: Uint8Array): number {
    const len = chunk.length;
    let off = 0;
    while (off < len) {
      switch (this.#st) {
        case S_WAIT: {
          // Robustness (RFC 9112 §2.2, as llhttp does): skip empty lines before a status line.
          while (chunk[off] === 13 || chunk[off] === 10) if (++off === len) return len;
          this.#st = S_STATUS;
          break;
        }
        case S_STATUS:
        case S_HEADERS: {
          const end = this.#scan(chunk, off);
          if (end < 0) return len;
          const block = this.#take(chunk, off, end);
          off = end;
          if (this.#head(block)) return off; // after onHead (and onComplete when bodiless)
          break; // an interim response: the next status line follows
        }
        case S_LENGTH:
        case S_DATA: {
          const n = Math.min(this.#remaining, len - off);
          this.#handler.onBody(chunk.subarray(off, off + n));
          off += n;
          if ((this.#remaining -= n) > 0) break;
          if (this.#st === S_LENGTH) return this.#complete(off);
          this.#st = S_DATA_END;
          break;
        }
        case S_CLOSE:
          this.#handler.onBody(off === 0 ? chunk : chunk.subarray(off));
          return len;
        case S_SIZE: {
          // §7.1: chunk-size = 1*HEXDIG [ ";" chunk-ext ] CRLF: no sign, "0x" or whitespace.
          // chunk-ext is ignored (§7.1.1) but may hold no controls.
          const c = chunk[off++]!;
          const h = HEX[c]!;
          if (++this.#lineBytes > MAX_SIZE_LINE) throw bad(`chunk size line longer than ${MAX_SIZE_LINE} bytes`);
          if (this.#cr) {
            if (c !== 10) throw bad("chunk size line not ended by CRLF");
            this.#sizeLineDone();
          } else if (h !== 255 && !this.#inExt) {
            if (this.#size > MAX_SIZE_BEFORE_DIGIT) throw bad("chunk size too large");
            this.#size = this.#size * 16 + h;
            this.#digits++;
          } else if (this.#digits === 0) {
            throw bad("invalid chunk size");
          } else if (c === 13) {
            this.#cr = true;
          } else if (c === 10) {
            this.#sizeLineDone();
          } else if (this.#inExt || c === 59) {
            if (isCtl(c)) throw bad("invalid character in a chunk extension");
            this.#inExt = true;
          } else {
            throw bad("invalid chunk size");
          }
          break;
        }
        case S_DATA_END: {
          // §7.1: chunk data is followed by CRLF (a bare LF is tolerated, anything else is not).
          const c = chunk[off++];
          if (c === 10) {
            this.#st = S_SIZE;
            this.#cr = false;
          } else if (c === 13 && !this.#cr) {
            this.#cr = true;
          } else {
            throw bad("missing CRLF after chunk data");
          }
          break;
        }
        case S_TRAILERS: {
          const end = this.#scan(chunk, off);
          if (end < 0) return len;
          const block = this.#take(chunk, off, end);
          // §7.1.2: the trailer section, usually empty ("0\r\n\r\n").
          if (block.length > 2) {
            const fields = parseFields(latin1(block), block, 0, this.#maxHeaders);
            if (fields.length > 0) this.#handler.onTrailers?.(fields);
          }
          return this.#complete(end);
        }
        default:
          return off; // S_DONE, reached only if a handler called finish()
      }
    }
    return len;
  }

  #complete(off: number): number {
    this.#st = S_DONE;
    this.#handler.onComplete();
    return off;
  }

  #sizeLineDone(): void {
    this.#st = this.#size === 0 ? S_TRAILERS : S_DATA;
    this.#remaining = this.#size;
    this.#size = this.#digits = this.#blkLen = this.#lineLen = this.#lineBytes = 0;
    this.#inExt = this.#cr = this.#lastCR = false;
  }

  /**
   * Looks for the empty line that ends a head or trailer block. Returns the index just past
   * it, or -1 when the chunk ran out first (its bytes are then kept in the block buffer).
   * Lines may end in CRLF or a bare LF (lenient, as most clients are).
   */
  #scan(chunk: Uint8Array, off: number): number {
    const len = chunk.length;
    let i = off;
    // §2.2: a bare CR is invalid; caught here too so a head that never sends its LF fails now.
    if (this.#lastCR && off < len && chunk[off] !== 10) throw bad("bare CR in the response head");
    for (;;) {
      const lf = chunk.indexOf(10, i);
      if (lf < 0) {
        for (let k = i; k < len - 1; k++)
          if (chunk[k] === 13 && chunk[k + 1] !== 10) throw bad("bare CR in the response head");
        if (i < len) {
          this.#lineLen += len - i;
          this.#lastCR = chunk[len - 1] === 13;
        }
        if (this.#blkLen + (len - off) > this.#maxSize) throw this.#tooLarge();
        this.#keep(chunk, off, len);
        return -1;
      }
      // Empty: no byte before the LF, or only a CR (maybe the last byte of an earlier chunk).
      const lineLen = this.#lineLen + (lf - i);
      const empty = lineLen === 0 || (lineLen === 1 && (lf > i ? chunk[lf - 1] === 13 : this.#lastCR));
      this.#lineLen = 0;
      this.#lastCR = false;
      i = lf + 1;
      if (this.#st === S_STATUS) this.#st = S_HEADERS;
      if (empty) {
        if (this.#blkLen + (i - off) > this.#maxSize) throw this.#tooLarge();
        return i;
      }
    }
  }

  #tooLarge(): HansomError {
    const what = this.#st === S_TRAILERS ? "trailer section" : "response head";
    return limitError("bad_response", what, this.#maxSize, "maxHeaderSize", "response");
  }

  /** The whole block: a view of the chunk when it arrived in one piece, else the buffer. */
  #take(chunk: Uint8Array, off: number, end: number): Uint8Array {
    if (this.#blkLen === 0) return chunk.subarray(off, end);
    this.#keep(chunk, off, end);
    const block = this.#blk.subarray(0, this.#blkLen);
    this.#blkLen = 0; // parsed into strings before the buffer is written again
    return block;
  }

  #keep(chunk: Uint8Array, from: number, to: number): void {
    const need = this.#blkLen + (to - from);
    if (need > this.#blk.length) {
      const grown = new Uint8Array(Math.max(need, this.#blk.length * 2, 1024));
      grown.set(this.#blk.subarray(0, this.#blkLen));
      this.#blk = grown;
    }
    this.#blk.set(chunk.subarray(from, to), this.#blkLen);
    this.#blkLen = need;
  }

  /** Parses a head block; returns false for an interim response, true once onHead was called. */
  #head(block: Uint8Array): boolean {
    const s = latin1(block);
    const lf = s.indexOf("\n");
    const e = lf > 0 && block[lf - 1] === 13 ? lf - 1 : lf;
    // §4: status-line = HTTP-version SP 3DIGIT SP [ reason-phrase ]. The SP before an empty
    // reason is often left out ("HTTP/1.1 200"), so both forms are accepted. RFC 9110 §2.5: a
    // higher minor version (HTTP/1.2) is read as the highest we speak, 1.1.
    const minor = block[7]!;
    const d0 = block[9]! - 48,
      d1 = block[10]! - 48,
      d2 = block[11]! - 48;
    if (
      e < 12 ||
      !s.startsWith("HTTP/1.") ||
      !(minor >= 48 && minor <= 57) ||
      block[8] !== 32 ||
      !(d0 >= 1 && d0 <= 9 && d1 >= 0 && d1 <= 9 && d2 >= 0 && d2 <= 9) ||
      (e > 12 && block[12] !== 32)
    ) {
      throw bad(`bad status line ${JSON.stringify(s.slice(0, Math.min(e, 40)))}`);
    }
    for (let j = 13; j < e; j++) if (isCtl(block[j]!)) throw bad("invalid character in the reason phrase");
    const status = d0 * 100 + d1 * 10 + d2;
    const fields = parseFields(s, block, lf + 1, this.#maxHeaders);
    if (status < 200 && status !== 101) {
      this.#st = S_WAIT;
      this.#handler.onInterim?.(status, fields);
      return false;
    }

    // Inline, not a helper in fields.ts: V8 would inline that into #head and, out of inlining
    // budget, stop inlining TextDecoder.decode here (measured ~3% slower on small heads).
    let length = -1;
    let hasTE = false;
    let chunked = false;
    let close = false;
    let keepAlive = false;
    for (let k = 0; k < fields.length; k++) {
      const [name, value] = fields[k]!;
      const l = name.length; // only names of a matching length are lowercased
      if (l === 14 && name.toLowerCase() === "content-length") {
        length = parseLength(value, length);
      } else if (l === 17 && name.toLowerCase() === "transfer-encoding") {
        hasTE = true;
        // §6.3: what counts is whether chunked is the final coding (across all TE lines).
        const v = value.toLowerCase();
        const coding = v === "chunked" ? v : lastElement(v);
        if (coding !== "") chunked = coding === "chunked";
      } else if (l === 10 && name.toLowerCase() === "connection") {
        const v = value.toLowerCase();
        if (v === "close" || (v.length > 5 && CLOSE.test(v))) close = true;
        if (v === "keep-alive" || (v.length > 10 && KEEP_ALIVE.test(v))) keepAlive = true;
      }
    }
    // §6.3 item 3: both is a request smuggling signature; a client has no safe reading of it.
    if (hasTE && length >= 0) throw bad("both Content-Length and Transfer-Encoding");

    const http10 = minor === 48;
    let framing: BodyFraming;
    if (this.#noBody || status === 204 || status === 304 || status === 101) framing = "none";
    // §6.3 item 4 would read a body whose final coding is not chunked until close; a client
    // cannot tell such a body from a smuggled one on a reused connection, so it refuses it.
    else if (hasTE && !chunked) throw bad("Transfer-Encoding whose final coding is not chunked");
    else if (hasTE) framing = "chunked";
    else if (length >= 0) framing = "length";
    else framing = "close"; // §6.3 item 8
    const head: Http1Head = {
      status,
      statusText: e > 12 ? s.slice(13, e) : "",
      httpVersion: http10 ? "1.0" : "1.1",
      rawHeaders: fields,
      framing,
      contentLength: framing === "length" ? length : null,
      // §9.3: 1.1 persists unless "close", 1.0 only with "keep-alive"; §6.1: TE in a 1.0
      // message means close after it. 101 hands the connection to another protocol.
      keepAlive: framing !== "close" && status !== 101 && !close && (http10 ? keepAlive && !hasTE : true),
    };
    this.#st = framing === "chunked" ? S_SIZE : framing === "close" ? S_CLOSE : S_LENGTH;
    this.#remaining = this.#length = framing === "length" ? length : 0;
    this.#cr = this.#inExt = false;
    this.#lineBytes = 0;
    this.#handler.onHead(head);
    if (this.#st === S_LENGTH && this.#remaining === 0) this.#complete(0);
    return true;
  }
}
