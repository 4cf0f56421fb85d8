// The state of one exchange on an HTTP/2 connection: its stream, the waiter for the head, the
// body bytes received and not yet taken by the reader, and the upload's wait for window.
// Dropped whole when the exchange ends: nothing of one exchange leaks into another.
import type { HansomError } from "../errors.ts";
import type { BodySink, ExchangeResult, RequestSpec, ResponseHead } from "../exchange.ts";
import { RecvTimer } from "../http1/recv-timer.ts";
import { ContinueGate } from "../http1/send.ts";

/** What the exchange waits for: the head, body bytes for a reader, or nothing (a paused reader). */
export type H2Want = "head" | "body" | "none";

export class H2Exchange {
  readonly spec: RequestSpec;
  /** 0 until the stream opens (it may wait for SETTINGS_MAX_CONCURRENT_STREAMS room). */
  streamId = 0;
  want: H2Want = "head";
  /** Settles exchange() once: a head (resolve) or a failure before it (reject). */
  waiter: { resolve(r: ExchangeResult): void; reject(e: HansomError): void } | null;
  head: ResponseHead | null = null;
  sink: BodySink | null = null;
  /** Body chunks received and not yet handed to the reader: flow-control credit not yet returned. */
  pending: Uint8Array[] = [];
  trailers: Array<[string, string]> | null = null;
  /** The server's END_STREAM arrived. */
  ended = false;
  /** Body bytes received on the stream (to honour a NO_ERROR reset after a complete body). */
  received = 0;
  /** The response has no body to read (HEAD, 204, 304, END_STREAM on the head, content-length 0). */
  bodiless = false;
  /** The whole request went out (END_STREAM sent). */
  sendDone = false;
  /** A response byte (any frame for the stream) arrived. */
  sawByte = false;
  /** The exchange is over and the connection released for it. */
  done = false;
  /** An error that struck before anyone started reading the body; read() reports it. */
  lateError: HansomError | null = null;
  /** Wakes an upload waiting for window or for the exchange to end. */
  wake: (() => void) | null = null;
  /** The wait for 100 Continue (Expect: 100-continue), else null. */
  readonly gate: ContinueGate | null;
  /** The signal's abort listener, removed when the exchange ends. */
  onAbort: (() => void) | null = null;
  readonly recv: RecvTimer;

  constructor(spec: RequestSpec, waiter: H2Exchange["waiter"], onTimeout: (x: H2Exchange) => void) {
    this.spec = spec;
    this.waiter = waiter;
    this.recv = new RecvTimer(
      () => !this.done && this.want !== "none",
      () => onTimeout(this),
    );
    this.recv.ms = spec.recvTimeout;
    this.gate = spec.expectContinue ? new ContinueGate() : null;
  }

  /** Resolves an upload's wait, if one is pending. */
  wakeUpload(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
