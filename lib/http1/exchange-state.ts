// The state of one HTTP/1.1 exchange, created only once the request may start (the connection
// is idle and the signal has not aborted), so no early exit can leave half of it set. When the
// exchange ends the object is dropped whole: nothing of one exchange leaks into the next.
import type { HansomError } from "../errors.ts";
import type { BodySink, ExchangeResult, RequestSpec } from "../exchange.ts";
import type { Http1Head } from "./parse.ts";

/** What the connection waits for: a head, body bytes for a reader, or nothing. */
export type Want = "head" | "body" | "none";

export class Exchange {
  /** Identifies this exchange, so a body source outliving it goes inert. */
  readonly id: number;
  readonly spec: RequestSpec;
  want: Want = "head";
  head: Http1Head | null = null;
  trailers: Array<[string, string]> | null = null;
  sink: BodySink | null = null;
  /** Settles the exchange() promise once: a head (resolve) or a failure before it (reject). */
  waiter: { resolve(r: ExchangeResult): void; reject(e: HansomError): void } | null;
  /** A response byte arrived (a failure before that is the stale keep-alive race). */
  sawByte = false;
  /** The whole request went out. */
  sendDone = false;
  /** The parser finished the message. */
  completed = false;
  /** The server closed its side; acted on once buffered bytes are read. */
  eof = false;
  /** Bytes followed the end of the response: the server is out of step (no pipelining here). */
  extra = false;
  /** An error that struck before anyone started reading the body; read() reports it. */
  lateError: HansomError | null = null;

  constructor(id: number, spec: RequestSpec, waiter: Exchange["waiter"]) {
    this.id = id;
    this.spec = spec;
    this.waiter = waiter;
  }

  /**
   * Why the connection cannot carry another request after this exchange, or null when it can.
   * Each reason is one rule; the pool only sees the verdict.
   */
  reuseBlocker(socketClosed: boolean): string | null {
    const h = this.head;
    if (h === null) return "no response head";
    // RFC 9112 §9.3: Connection: close, HTTP/1.0 without keep-alive, a close-delimited body (§6.3).
    if (!h.keepAlive) return "the response ends the connection (RFC 9112 §9.3)";
    // RFC 9112 §9.3 and §9.6: we said Connection: close (pool: false), so the server will close.
    if (this.spec.lastRequest) return "the request sent Connection: close (RFC 9112 §9.6)";
    // RFC 9110 §15.5.14 / RFC 9112 §9.3: a server that answered before the body was all sent
    // may still be reading it; the next request's bytes would land inside that body.
    if (!this.sendDone) return "the request body was not fully sent";
    // RFC 9112 §6.3: bytes past the end of the message mean framing is out of step (smuggling).
    if (this.extra) return "bytes followed the end of the response";
    if (socketClosed) return "the socket closed";
    return null;
  }
}
