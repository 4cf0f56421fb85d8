// HTTP/2 client session engine (RFC 9113, RFC 7541): a state machine with bytes in and events
// out, no I/O, no timers. The caller owns the socket: it feeds what it reads to receive() and
// writes what the session hands to `output`.
//
// Output: handler.output(bytes) is called once at the end of each call into the session
// (start, receive, request, sendData, consume, reset, ping, goaway) with every frame that call
// produced, in order. Write them to the socket as they come.
//
// Events, per stream, in order:
//   onInformational(id, status, fields)*   1xx heads (never 101, which HTTP/2 forbids)
//   onHeaders(id, status, fields, end)     the final response head; end: no body follows
//   onData(id, chunk, end)*                body bytes (a view never reused; may be empty when end)
//   onTrailers(id, fields)?                the trailer section; it ends the response
// A stream may instead end with:
//   onStreamReset(id, code, retryable)     the server reset it (RST_STREAM), or a GOAWAY refused
//                                          it (REFUSED_STREAM); retryable: the server never
//                                          processed it (§8.7), so any request may be replayed
//   onStreamError(id, error, code)         its response was malformed: we reset it; error is a
//                                          HansomError `bad_response` naming the RFC code
// Connection events:
//   onSettings(settings)                   the server's SETTINGS were applied (and acknowledged)
//   onGoaway(lastStreamId, code, debug)    the server is going away; streams above
//                                          lastStreamId are reported refused right after
//   onWritable(id)                         a stream's body, left queued by sendData(), has all
//                                          been sent (END_STREAM too, when it was asked for)
//   onPingAck(data)                        the answer to our ping()
//   onError(error, code)                   a connection error: the session sent GOAWAY and is
//                                          closed; error is a HansomError `bad_response`
//
// Flow control: consume(id, n) as the reader takes n body bytes; the session returns the
// credit with WINDOW_UPDATE, batched. sendData() queues what the send windows cannot take
// and returns the bytes queued for the stream: stop writing while that is large and resume on
// onWritable. A stall on a zero window is the caller's recvTimeout: sendBlocked() tells.
import { HansomError } from "../errors.ts";
import { CANCEL, connectionError, errorCode, H2Error, NO_ERROR, PROTOCOL_ERROR } from "./errors.ts";
import type { H2ErrorName } from "./errors.ts";
import { SessionCore } from "./core.ts";
import type { GoawayInfo, SessionHandler } from "./core.ts";
import {
  encodeGoaway,
  encodeHeaders,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeWindowUpdate,
  PREFACE,
} from "./frame.ts";
import type { Frame } from "./frame.ts";
import { prepareRequest } from "./fields.ts";
import { onFrame } from "./inbound.ts";
import { DEFAULT_WINDOW, ourSettings } from "./settings.ts";
import type { PeerSettings, SessionOptions } from "./settings.ts";
import { Stream } from "./stream.ts";
import { RESET } from "./streams.ts";

export type { GoawayInfo, SessionHandler } from "./core.ts";
export type { PeerSettings, SessionOptions } from "./settings.ts";

const MAX_PINGS = 16;
const utf8 = new TextEncoder();

/** One HTTP/2 client connection's protocol state. */
export class ClientSession {
  readonly #c: SessionCore;
  readonly #streams: SessionCore["table"]["map"];
  #started = false;
  #depth = 0;
  #firstBytes = "";
  readonly #onFrame = (f: Frame): void => onFrame(this.#c, f);

  constructor(handler: SessionHandler, options: SessionOptions = {}) {
    this.#c = new SessionCore(handler, options);
    this.#streams = this.#c.table.map;
  }

  /** True once a connection error, destroy() or a throwing handler ended the session. */
  get closed(): boolean {
    return this.#c.closed;
  }

  /** Streams not yet closed. */
  get openStreams(): number {
    return this.#c.table.open;
  }

  /** The server's SETTINGS_MAX_CONCURRENT_STREAMS (Infinity until it sets one). */
  get maxConcurrentStreams(): number {
    return this.#c.peer.maxConcurrentStreams;
  }

  /** No stream will ever open again: closed, GOAWAY either way, or stream ids used up. */
  get draining(): boolean {
    const c = this.#c;
    return c.closed || c.goaway !== null || c.goawaySent || c.table.exhausted;
  }

  /** Whether request() may open a stream now. */
  get canOpenStream(): boolean {
    return this.#cannotOpen() === null;
  }

  /** The server's settings in force. */
  get peerSettings(): Readonly<PeerSettings> {
    return this.#c.peer;
  }

  /** The server acknowledged our SETTINGS (the caller may time this out: SETTINGS_TIMEOUT, §6.5.3). */
  get settingsAcked(): boolean {
    return this.#c.settingsAcked;
  }

  /** The server's GOAWAY, or null. */
  get goawayReceived(): GoawayInfo | null {
    return this.#c.goaway;
  }

  /** The connection send window left for our DATA. */
  get connectionSendWindow(): number {
    return this.#c.send.connWindow;
  }

  /** Body bytes queued for a stream, waiting for window. */
  bufferedAmount(streamId: number): number {
    return this.#streams.get(streamId)?.queued ?? 0;
  }

  /** The send window left for a stream: the smaller of its own and the connection's. */
  sendWindow(streamId: number): number {
    const s = this.#streams.get(streamId);
    return s === undefined ? 0 : Math.min(s.sendWindow, this.#c.send.connWindow);
  }

  /** True while a stream has body bytes or END_STREAM waiting for the server to open a window. */
  sendBlocked(streamId: number): boolean {
    const s = this.#streams.get(streamId);
    return s !== undefined && (s.queued > 0 || s.endQueued);
  }

  /** Sends the connection preface (§3.4): the magic, our SETTINGS, and the connection window. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const c = this.#c;
    this.#depth++;
    c.send.write(PREFACE);
    c.send.write(encodeSettings(ourSettings(c.o)));
    const raise = c.o.connectionWindowSize - DEFAULT_WINDOW;
    if (raise > 0) c.send.write(encodeWindowUpdate(0, raise));
    this.#leave();
  }

  /** Feeds bytes read from the socket. A handler that throws closes the session, and the error propagates. */
  receive(chunk: Uint8Array): void {
    const c = this.#c;
    if (c.closed) return;
    if (this.#depth > 0) throw new TypeError("ClientSession.receive() called from inside a session callback");
    if (this.#firstBytes.length < 5)
      this.#firstBytes += String.fromCharCode(...chunk.subarray(0, 5 - this.#firstBytes.length));
    this.#depth++;
    try {
      c.decoder.push(chunk, this.#onFrame);
    } catch (e) {
      if (!(e instanceof H2Error)) {
        c.closed = true;
        throw e;
      }
      const http1 = !c.gotSettings && this.#firstBytes === "HTTP/";
      c.connectionError(http1 ? connectionError(PROTOCOL_ERROR, "the server answered in HTTP/1.x, not HTTP/2") : e);
    } finally {
      this.#leave();
    }
  }

  /**
   * Opens a stream with a request head; returns its id. Names are lower-cased and pseudo-fields
   * put first; throws HansomError `invalid_header` for fields HTTP/2 refuses (see fields.ts),
   * `invalid_header` also over the server's SETTINGS_MAX_HEADER_LIST_SIZE, `closed` when no stream
   * can be opened (check canOpenStream first).
   */
  request(fields: ReadonlyArray<readonly [string, string]>, endStream: boolean): number {
    const c = this.#c;
    const why = this.#cannotOpen();
    if (why !== null) throw new HansomError("closed", `Cannot open an HTTP/2 stream: ${why}`, { phase: "send" });
    const p = prepareRequest(fields);
    if (p.listSize > c.peer.maxHeaderListSize) {
      const limit = c.peer.maxHeaderListSize;
      throw new HansomError(
        "invalid_header",
        `Request header list of ${p.listSize} bytes is over the server's SETTINGS_MAX_HEADER_LIST_SIZE ${limit}`,
        { phase: "input" },
      );
    }
    this.start();
    this.#depth++;
    const id = c.table.nextId;
    c.send.write(encodeHeaders(id, c.hpackOut.encode(p.fields), endStream, c.peer.maxFrameSize));
    c.table.add(new Stream(id, endStream, c.peer.initialWindowSize, c.o.initialWindowSize, p.method === "HEAD"));
    c.flood.progress();
    this.#leave();
    return id;
  }

  /**
   * Sends request body bytes (kept by reference until sent: do not modify them) and, with
   * endStream, ends the request. Returns the bytes queued for the stream, waiting for window.
   * On a stream already reset or closed, the bytes are dropped and 0 is returned.
   */
  sendData(streamId: number, data: Uint8Array, endStream: boolean): number {
    const s = this.#streams.get(streamId);
    if (s === undefined || s.state === "closed") {
      if (streamId % 2 === 0 || streamId >= this.#c.table.nextId)
        throw new RangeError(`sendData on stream ${streamId}, never opened`);
      return 0;
    }
    if (!s.sending || s.endQueued) throw new TypeError(`sendData on stream ${streamId} after its END_STREAM`);
    if (this.#c.closed) return 0;
    if (data.length > 0) {
      s.queue.push(data);
      s.queued += data.length;
    }
    if (endStream) s.endQueued = true;
    this.#depth++;
    this.#c.flushStream(s);
    this.#leave();
    return s.queued;
  }

  /** The reader took `n` body bytes of a stream: their window credit goes back to the server. */
  consume(streamId: number, n: number): void {
    const c = this.#c;
    const s = this.#streams.get(streamId);
    if (s === undefined || !(n > 0)) return;
    n = Math.min(n, s.unconsumed);
    s.unconsumed -= n;
    this.#depth++;
    c.creditConnection(n);
    if (s.receiving) {
      const inc = s.recv.consume(n);
      if (inc > 0 && !c.closed) c.send.write(encodeWindowUpdate(streamId, inc));
    }
    if (s.state === "closed" && s.unconsumed === 0) this.#streams.delete(streamId);
    this.#leave();
  }

  /** Resets a stream (RST_STREAM, §6.4): its unread body is dropped and its credit returned. */
  reset(streamId: number, code: H2ErrorName = "CANCEL"): void {
    const c = this.#c;
    const s = this.#streams.get(streamId);
    if (s === undefined) return;
    this.#depth++;
    if (s.state !== "closed" && !c.closed) c.send.write(encodeRstStream(streamId, errorCode(code) ?? CANCEL));
    c.closeStream(s, RESET);
    this.#leave();
  }

  /** Sends a PING (§6.7) with 8 octets of data; onPingAck reports the answer. */
  ping(data: Uint8Array = new Uint8Array(8)): void {
    const c = this.#c;
    if (c.closed) return;
    this.start();
    this.#depth++;
    c.send.write(encodePing(data, false));
    c.pings.push(data.slice());
    if (c.pings.length > MAX_PINGS) c.pings.shift();
    this.#leave();
  }

  /** Sends GOAWAY (§6.8): no new streams; those open may finish. The caller closes the socket when they have. */
  goaway(code: H2ErrorName = "NO_ERROR", debug = ""): void {
    const c = this.#c;
    if (c.closed || c.goawaySent) return;
    this.start();
    c.goawaySent = true;
    this.#depth++;
    c.send.write(encodeGoaway(0, errorCode(code) ?? NO_ERROR, utf8.encode(debug)));
    this.#leave();
  }

  /** The socket is gone: the session stops, and produces no more output or events. */
  destroy(): void {
    this.#c.closed = true;
  }

  #cannotOpen(): string | null {
    const c = this.#c;
    if (c.closed) return "the connection is closed";
    if (c.goaway !== null) return "the server sent GOAWAY";
    if (c.goawaySent) return "we sent GOAWAY";
    if (c.table.exhausted) return "stream identifiers are exhausted";
    if (c.table.open >= c.peer.maxConcurrentStreams)
      return `SETTINGS_MAX_CONCURRENT_STREAMS ${c.peer.maxConcurrentStreams} reached`;
    return null;
  }

  /** Leaves a call into the session: at the outermost level, hands out output, then error or writable events. */
  #leave(): void {
    if (--this.#depth > 0) return;
    const c = this.#c;
    for (;;) {
      const out = c.send.take();
      if (out !== null) c.h.output(out);
      const failure = c.failure;
      if (failure !== null) {
        c.failure = null;
        c.h.onError(failure[0], failure[1]);
        return;
      }
      if (c.writable.length === 0 || c.closed) return;
      const ids = c.writable;
      c.writable = [];
      this.#depth++;
      try {
        for (const id of ids) if (c.table.reason(id) !== RESET) c.h.onWritable?.(id);
      } finally {
        this.#depth--;
      }
    }
  }
}
