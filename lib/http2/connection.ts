// One HTTP/2 connection: a RawSocket, one ClientSession, and many exchanges at once, each on
// its own stream. It implements the protocol-neutral HttpConnection: the pool reads
// `capacity` (the streams the server allows, at most maxConcurrent) and gets one release per
// exchange. A failed or cancelled exchange resets only its stream; the connection stays
// reusable. The socket is read all the time (SETTINGS, PING and WINDOW_UPDATE must be seen
// whatever the readers do); a slow reader holds back only its own stream, through flow control.
import { HansomError, abortError, limitError } from "../errors.ts";
import type { HansomErrorCode } from "../errors.ts";
import { markBeforeResponse } from "../exchange.ts";
import type {
  BodySink,
  BodySource,
  DetachedWire,
  ExchangeResult,
  HttpConnection,
  Release,
  RequestSpec,
  ResponseHead,
} from "../exchange.ts";
import type { RawSocket, SocketAddress } from "../runtime/socket.ts";
import { ClientSession } from "./session.ts";
import type { SessionOptions } from "./session.ts";
import { H2Exchange } from "./exchange-state.ts";
import { h2Fields } from "./request-fields.ts";
import { sendBody } from "./upload.ts";
import { timer, unrefTimer } from "../timers.ts";

/** Options of one HTTP/2 connection: the session's, and how many exchanges it offers at once. */
export interface Http2ConnectionOptions extends SessionOptions {
  /** Streams offered to the pool at once, whatever more the server allows. @default 100 */
  maxConcurrent?: number;
}

// The error code of a stream the server reset (RST_STREAM); the HTTP/2 code name is in the message.
const RESET_CODE: HansomErrorCode = "stream_reset";

/** A copy of a connection-wide error for one exchange (each gets its own context added later). */
function copyOf(err: HansomError, phase: "response" | "body"): HansomError {
  return new HansomError(err.code, err.message, { phase: err.phase ?? phase, cause: err.cause ?? err });
}

export class Http2Connection implements HttpConnection {
  readonly key: string;
  readonly protocol = "h2";
  readonly socket: RawSocket;
  served = 0;
  lastUsed: number = Date.now();
  readonly #release: Release;
  readonly #session: ClientSession;
  readonly #maxConcurrent: number;
  /** Exchanges with a stream, by stream id, and those waiting for one. */
  readonly #streams = new Map<number, H2Exchange>();
  #queued: H2Exchange[] = [];
  #onClosedIdle: (() => void) | null = null;
  #dead = false;
  /** While the socket is over its write mark: resolves on drain. */
  #full: Promise<void> | null = null;
  #lastRead = Date.now();
  /** A liveness PING is out (after a stream's recvTimeout). */
  #probing = false;

  constructor(key: string, socket: RawSocket, release: Release, options: Http2ConnectionOptions = {}) {
    this.key = key;
    this.socket = socket;
    this.#release = release;
    const max = options.maxConcurrent ?? 100;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`maxConcurrent must be a positive integer, got ${max}`);
    this.#maxConcurrent = max;
    this.#session = new ClientSession(
      {
        output: (b) => this.#write(b),
        onInformational: (id, status) => {
          const x = this.#streams.get(id);
          x?.recv.touch();
          if (status === 100) x?.gate?.proceed();
        },
        onHeaders: (id, status, fields, end) => this.#onHead(id, status, fields, end),
        onData: (id, chunk, end) => this.#onData(id, chunk, end),
        onTrailers: (id, fields) => {
          const x = this.#streams.get(id);
          if (!x) return;
          x.trailers = fields;
          x.ended = true;
          this.#maybeComplete(x);
        },
        onStreamReset: (id, code, retryable) => this.#onReset(id, code, retryable),
        onStreamError: (id, err) => {
          const x = this.#streams.get(id);
          if (x) this.#end(x, err);
        },
        onGoaway: () => this.#onGoaway(),
        onSettings: () => this.#openQueued(),
        onWritable: (id) => this.#streams.get(id)?.wakeUpload(),
        onError: (err) => this.#fail(err),
      },
      options,
    );
    socket.setHandler({
      data: (c) => this.#onSocketData(c),
      end: () => this.#onSocketEnd(),
      error: (e) => this.#fail(e),
    });
    this.#session.start();
    socket.resume();
  }

  /** Exchanges the server allows at once (SETTINGS_MAX_CONCURRENT_STREAMS), at most maxConcurrent. */
  get capacity(): number {
    return Math.max(1, Math.min(this.#maxConcurrent, this.#session.maxConcurrentStreams));
  }
  get active(): number {
    return this.#streams.size + this.#queued.length;
  }
  /** True once no new exchange can start: gone, or draining after a GOAWAY. */
  get closed(): boolean {
    return this.#dead || this.socket.closed || this.#session.draining;
  }
  get idle(): boolean {
    return !this.closed && this.active === 0;
  }
  get peer(): SocketAddress {
    return this.socket.remote;
  }
  get local(): SocketAddress {
    return this.socket.local;
  }

  watchIdle(onClosed: () => void): void {
    this.#onClosedIdle = onClosed;
    this.socket.unref?.();
  }

  exchange(spec: RequestSpec): Promise<ExchangeResult> {
    if (this.closed) {
      this.#release(this, false);
      // Nothing was sent: a request may go again on another connection.
      return Promise.reject(
        markBeforeResponse(
          new HansomError("closed", "The HTTP/2 connection is closed or going away", { phase: "send" }),
        ),
      );
    }
    if (spec.signal?.aborted) {
      this.#release(this, true);
      return Promise.reject(abortError(spec.signal));
    }
    return new Promise<ExchangeResult>((resolve, reject) => {
      const x = new H2Exchange(spec, { resolve, reject }, (t) => this.#onTimeout(t));
      this.#onClosedIdle = null;
      this.socket.ref?.();
      if (spec.signal) {
        x.onAbort = () => this.#end(x, abortError(spec.signal));
        spec.signal.addEventListener("abort", x.onAbort, { once: true });
      }
      x.recv.start();
      if (this.#session.canOpenStream) this.#open(x);
      else this.#queued.push(x);
    });
  }

  destroy(): void {
    this.#onClosedIdle = null;
    this.#fail(new HansomError("closed", "The connection was closed", { phase: "body" }));
  }

  #write(b: Uint8Array): void {
    if (this.#dead) return;
    if (!this.socket.write(b) && this.#full === null) {
      const clear = () => {
        this.#full = null;
      };
      this.#full = this.socket.drain().then(clear, clear);
    }
  }

  /** Opens the exchange's stream: HEADERS now, the body by the upload loop. */
  #open(x: H2Exchange): void {
    const { spec } = x;
    const body = spec.body;
    const endStream = body === null || (body.length === 0 && !spec.expectContinue);
    try {
      x.streamId = this.#session.request(h2Fields(spec), endStream);
    } catch (e) {
      this.#end(
        x,
        e instanceof HansomError ? e : new HansomError("invalid_header", String(e), { cause: e, phase: "input" }),
      );
      return;
    }
    this.#streams.set(x.streamId, x);
    if (endStream || body === null) {
      x.sendDone = true;
      return;
    }
    const id = x.streamId;
    const upload = spec.onUpload;
    sendBody(body, spec.expectContinue, {
      proceed: () => !x.done && !x.ended && !this.#dead,
      send: (bytes, end) => {
        const queued = this.#session.sendData(id, bytes, end);
        if (end) x.sendDone = true;
        return queued;
      },
      writable: () =>
        new Promise<void>((r) => {
          if (x.done || !this.#session.sendBlocked(id)) r();
          else x.wake = r;
        }),
      drain: () => this.#full,
      awaitContinue: async () => x.head === null && (await x.gate!.wait()) && x.head === null && !x.done,
      progress: (sent, done) => {
        upload?.(sent, done);
        // Upload progress counts as activity: recvTimeout is for a silent peer, not a long body.
        x.recv.touch();
      },
    }).then(undefined, (e: unknown) => {
      if (x.done) return;
      this.#end(
        x,
        e instanceof HansomError
          ? e
          : new HansomError("aborted", `The request body failed: ${(e as Error)?.message ?? e}`, {
              cause: e,
              phase: "send",
            }),
      );
    });
  }

  #openQueued(): void {
    while (this.#queued.length > 0 && this.#session.canOpenStream) this.#open(this.#queued.shift()!);
  }

  #onHead(id: number, status: number, fields: Array<[string, string]>, end: boolean): void {
    const x = this.#streams.get(id);
    if (!x) return;
    x.sawByte = true;
    x.recv.touch();
    x.gate?.refuse(); // RFC 9110 §10.1.1: a final status instead of 100: the body is not sent
    // The exchange's own maxHeaderSize, counted as the HTTP/1.1 head would be (name: value CRLF).
    let size = 12;
    for (const [k, v] of fields) size += k.length + v.length + 4;
    if (size > x.spec.maxHeaderSize) {
      this.#end(x, limitError("bad_response", "response head", x.spec.maxHeaderSize, "maxHeaderSize", "response"));
      return;
    }
    const cl = fields.find(([k]) => k === "content-length");
    const length = cl === undefined ? null : Number(cl[1]);
    const head: ResponseHead = { status, statusText: "", httpVersion: "2", rawHeaders: fields, contentLength: length };
    x.head = head;
    const noBody = x.spec.noBody || status === 204 || status === 304;
    x.bodiless = end || noBody || length === 0;
    if (end) x.ended = true;
    // A bodiless response still waits for END_STREAM, under recvTimeout; a body waits for read().
    x.want = x.bodiless ? "body" : "none";
    const waiter = x.waiter;
    x.waiter = null;
    if (x.ended) this.#end(x, null);
    waiter?.resolve({ head, body: x.bodiless ? null : this.#source(x), empty: !noBody && x.bodiless });
  }

  #onData(id: number, chunk: Uint8Array, end: boolean): void {
    const x = this.#streams.get(id);
    if (!x) {
      this.#session.consume(id, chunk.length);
      return;
    }
    x.sawByte = true;
    x.recv.touch();
    if (end) x.ended = true;
    x.received += chunk.length;
    if (chunk.length > 0) {
      if (x.bodiless) this.#session.consume(id, chunk.length);
      else if (x.want === "body" && x.pending.length === 0) this.#deliver(x, chunk);
      else x.pending.push(chunk);
    }
    if (x.ended) this.#maybeComplete(x);
  }

  /** Hands a chunk to the reader; its window credit goes back as it does (flow control, §5.2). */
  #deliver(x: H2Exchange, chunk: Uint8Array): void {
    this.#session.consume(x.streamId, chunk.length);
    if (!x.sink!.data(chunk) && !x.done) x.want = "none";
  }

  #maybeComplete(x: H2Exchange): void {
    if (!x.done && x.ended && x.pending.length === 0 && (x.bodiless || (x.sink !== null && x.want === "body")))
      this.#end(x, null);
  }

  #onReset(id: number, code: string, retryable: boolean): void {
    const x = this.#streams.get(id);
    if (!x) return;
    // §8.1: RST_STREAM NO_ERROR after a complete response only asks us to stop sending.
    if (code === "NO_ERROR" && x.ended) {
      x.sendDone = true;
      x.wakeUpload();
      return;
    }
    // Servers (node:http2 among them) that answered in full without reading the request end
    // it with RST_STREAM NO_ERROR and no END_STREAM; with every declared byte in, it stands.
    const cl = x.head?.contentLength;
    if (code === "NO_ERROR" && cl !== null && cl !== undefined && x.received === cl) {
      x.ended = true;
      x.sendDone = true;
      x.wakeUpload();
      this.#maybeComplete(x);
      return;
    }
    const err =
      retryable && x.head === null
        ? markBeforeResponse(
            new HansomError("closed", `The server refused the HTTP/2 stream (${code}); the request was not processed`, {
              phase: "response",
            }),
          )
        : new HansomError(RESET_CODE, `The server reset the HTTP/2 stream (${code})`, {
            phase: x.head ? "body" : "response",
          });
    this.#end(x, err);
  }

  #onGoaway(): void {
    // Streams above the last id are refused right after this; those below may finish.
    for (const x of [...this.#queued]) {
      this.#end(
        x,
        markBeforeResponse(
          new HansomError("closed", "The server sent GOAWAY before the request could start", { phase: "send" }),
        ),
      );
    }
    if (this.active === 0) this.#closeDrained();
  }

  #onTimeout(x: H2Exchange): void {
    const ms = x.recv.ms;
    const what = x.head ? "the response body" : "the response";
    this.#end(
      x,
      new HansomError("recv_timeout", `No data received for ${ms} ms while waiting for ${what} (recvTimeout)`, {
        phase: x.head ? "body" : "response",
      }),
    );
    // One slow stream says nothing of the others; a connection that answers no PING is dead.
    if (Date.now() - this.#lastRead >= ms) this.#probe(ms);
  }

  /** Sends a PING; no byte back within `ms` fails the connection (a black hole, not a slow server). */
  #probe(ms: number): void {
    if (this.#probing || this.#dead) return;
    this.#probing = true;
    const sentAt = Date.now();
    this.#session.ping();
    unrefTimer(
      timer(() => {
        this.#probing = false;
        if (this.#lastRead < sentAt)
          this.#fail(
            new HansomError("recv_timeout", `The HTTP/2 connection went silent: no answer to a PING within ${ms} ms`, {
              phase: "response",
            }),
          );
      }, ms),
    );
  }

  /** The body source of exchange `x`; inert once that exchange is over. */
  #source(x: H2Exchange): BodySource {
    return {
      read: (sink: BodySink) => {
        if (x.lateError) return sink.error(x.lateError);
        if (x.done)
          return sink.error(new HansomError("closed", "The response body is no longer available", { phase: "body" }));
        x.sink = sink;
        x.want = "body";
        x.recv.start();
        while (x.pending.length > 0 && x.want === "body" && !x.done) this.#deliver(x, x.pending.shift()!);
        this.#maybeComplete(x);
      },
      cancel: () => {
        if (!x.done)
          this.#end(x, new HansomError("aborted", "The response body was abandoned", { phase: "body" }), true, false);
      },
      detach: (): DetachedWire => {
        throw new HansomError(
          "invalid_option",
          "detach() is not available on HTTP/2: the connection carries other streams",
          { phase: "body" },
        );
      },
    };
  }

  /**
   * Ends an exchange, once: its stream is reset unless both sides finished, the connection is
   * released for it, then the waiter or reader hears the outcome.
   */
  #end(x: H2Exchange, err: HansomError | null, reusable = true, notify = true): void {
    if (x.done) return;
    x.done = true;
    x.want = "none";
    x.recv.stop();
    x.gate?.refuse();
    x.wakeUpload();
    if (x.onAbort) x.spec.signal?.removeEventListener("abort", x.onAbort);
    if (x.streamId !== 0) {
      this.#streams.delete(x.streamId);
      if (err !== null || !x.sendDone || !x.ended) this.#session.reset(x.streamId, "CANCEL");
    } else {
      const at = this.#queued.indexOf(x);
      if (at >= 0) this.#queued.splice(at, 1);
    }
    x.pending = [];
    if (err === null) this.served++;
    this.lastUsed = Date.now();
    const { sink, waiter } = x;
    x.sink = x.waiter = null;
    this.#release(this, reusable && !this.#dead);
    if (!this.#dead) {
      this.#openQueued();
      if (this.#session.draining && this.active === 0) this.#closeDrained();
    }
    if (err === null) sink?.end(x.trailers);
    else if (waiter) waiter.reject(err);
    else if (notify && sink) sink.error(err);
    else if (notify) x.lateError = err;
  }

  #onSocketData(chunk: Uint8Array): void {
    this.#lastRead = Date.now();
    try {
      this.#session.receive(chunk);
    } catch (e) {
      this.#fail(
        e instanceof HansomError
          ? e
          : new HansomError("bad_response", `Reading the HTTP/2 response failed: ${(e as Error)?.message ?? e}`, {
              cause: e,
              phase: "response",
            }),
      );
    }
  }

  #onSocketEnd(): void {
    this.#fail(new HansomError("closed", "The server closed the HTTP/2 connection", { phase: "response" }));
  }

  /** A draining connection with nothing left in flight closes its socket. */
  #closeDrained(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#session.destroy();
    this.socket.destroy();
    const cb = this.#onClosedIdle;
    this.#onClosedIdle = null;
    cb?.();
  }

  /** The connection is gone: every exchange fails with (a copy of) `err`. */
  #fail(err: HansomError): void {
    if (this.#dead) return;
    const all = [...this.#streams.values(), ...this.#queued];
    this.#closeDrained();
    for (const x of all) {
      const e = copyOf(err, x.head ? "body" : "response");
      // A request that saw no answer on a connection that served before: the stale-socket race.
      this.#end(x, !x.sawByte && this.served > 0 ? markBeforeResponse(e) : e, false);
    }
  }
}
