// One HTTP/1.1 connection: a RawSocket, one parser, and one exchange at a time. It owns the
// keep-alive rule (see #complete) and is the body source a Response reads from. The pool never
// touches bytes; it gets the connection back through Release, told whether it is reusable.
import { HansomError, abortError } from "../errors.ts";
import type { RawSocket, SocketAddress } from "../runtime/socket.ts";
import { ResponseParser } from "./parse.ts";
import type { ParserState, ResponseHead } from "./parse.ts";
import { ContinueGate, sendRequest } from "./send.ts";
import type { BodySink, BodySource, ExchangeSpec } from "./exchange.ts";
import { RecvTimer } from "./recv-timer.ts";
import { RawQueue } from "./raw-queue.ts";

export type Release = (conn: Http1Connection, reusable: boolean) => void;

/** Raw bytes held while nobody reads the body, before the socket is paused. */
const PENDING_HWM = 64 * 1024;

type Want = "head" | "body" | "none";

export class Http1Connection implements BodySource {
  readonly key: string;
  readonly socket: RawSocket;
  /** Requests completed on this socket; > 0 means the next one is on a reused socket. */
  served = 0;
  #exchangeId = 0;
  lastUsed: number = Date.now();
  #release: Release;
  #parser: ResponseParser;
  #state: "idle" | "active" | "closed" = "idle";
  #want: Want = "none";
  #pending = new RawQueue();
  #sink: BodySink | null = null;
  #head: ResponseHead | null = null;
  #trailers: Array<[string, string]> | null = null;
  #headWaiter: { resolve(h: ResponseHead): void; reject(e: HansomError): void } | null = null;
  #continue = new ContinueGate();
  #sawByte = false;
  #sendDone = false;
  #completed = false;
  #recv = new RecvTimer(
    () => this.#state === "active" && this.#want !== "none",
    () => this.#onTimeout(),
  );
  #eof = false;
  #upgrade = false;
  #signal: AbortSignal | undefined;
  #onClosedIdle: (() => void) | null = null;

  constructor(key: string, socket: RawSocket, release: Release, opts: { maxHeaderSize?: number } = {}) {
    this.key = key;
    this.socket = socket;
    this.#release = release;
    this.#parser = new ResponseParser(
      {
        onInterim: (status) => {
          if (status === 100) this.#continue.proceed();
        },
        onHead: (h) => {
          this.#head = h;
        },
        onBody: (chunk) => {
          if (this.#sink && !this.#sink.data(chunk)) this.#want = "none";
        },
        onTrailers: (t) => {
          this.#trailers = t;
        },
        onComplete: () => {
          this.#completed = true;
        },
      },
      { maxHeaderSize: opts.maxHeaderSize },
    );
    socket.setHandler({
      data: (c) => this.#onData(c),
      end: () => this.#onEnd(),
      error: (e) => this.#fail(e),
    });
  }

  get closed(): boolean {
    return this.#state === "closed" || this.socket.closed;
  }
  get idle(): boolean {
    return this.#state === "idle" && !this.socket.closed;
  }
  /** True when the current exchange failed before any response byte (safe to retry if idempotent). */
  get failedBeforeResponse(): boolean {
    return !this.#sawByte;
  }
  get peer(): SocketAddress {
    return this.socket.remote;
  }
  get local(): SocketAddress {
    return this.socket.local;
  }

  /** Called by the pool when the connection goes idle: watch for the server closing it. */
  watchIdle(onClosed: () => void): void {
    this.#onClosedIdle = onClosed;
    this.socket.unref?.();
    this.socket.resume();
  }

  /** Sends a request and resolves with the response head. */
  exchange(spec: ExchangeSpec): Promise<ResponseHead> {
    if (this.#state !== "idle" || this.socket.closed) {
      return Promise.reject(new HansomError("closed", "The connection is closed", { phase: "send" }));
    }
    this.#state = "active";
    this.#exchangeId++;
    this.#onClosedIdle = null;
    this.socket.ref?.();
    this.#parser.reset(spec.noBody);
    this.#head = null;
    this.#trailers = null;
    this.#sink = null;
    this.#sawByte = false;
    this.#sendDone = false;
    this.#completed = false;
    this.#eof = false;
    this.#lateError = null;
    this.#recv.ms = spec.recvTimeout;
    this.#upgrade = spec.upgrade;
    this.#signal = spec.signal;
    if (spec.signal) {
      if (spec.signal.aborted) {
        this.#state = "idle";
        return Promise.reject(abortError(spec.signal));
      }
      spec.signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    const head = new Promise<ResponseHead>((resolve, reject) => {
      this.#headWaiter = { resolve, reject };
    });
    this.#setWant("head");
    this.#send(spec).catch((e: unknown) => {
      // A send failure after the head arrived is the server cutting the upload short:
      // the response stands, the connection does not (#sendDone stays false).
      if (this.#head) return;
      this.#fail(e instanceof HansomError ? e : new HansomError("aborted", `The request body failed: ${(e as Error)?.message ?? e}`, { cause: e, phase: "send" }));
    });
    return head;
  }

  async #send(spec: ExchangeSpec): Promise<void> {
    const upload = spec.onUpload;
    this.#sendDone = await sendRequest(this.socket, spec, {
      proceed: () => this.#state === "active" && this.#head === null,
      // A final status may be in already (no wait then), or arrive during the wait.
      awaitContinue: async () => this.#head === null && (await this.#continue.wait()) && this.#head === null && this.#state === "active",
      progress: (sent, done) => {
        upload?.(sent, done);
        // Upload progress counts as activity: recvTimeout is for a silent peer, not a long body.
        this.#recv.touch();
      },
    });
  }


  #setWant(w: Want): void {
    this.#want = w;
    if (w === "none") {
      if (this.#pending.bytes >= PENDING_HWM) this.socket.pause();
      return;
    }
    this.#recv.start();
    this.socket.resume();
  }

  #onTimeout(): void {
    const what = this.#head ? "the response body" : "the response";
    this.#fail(new HansomError("recv_timeout", `No data received for ${this.#recv.ms} ms while waiting for ${what} (recvTimeout)`, { phase: this.#head ? "body" : "response" }));
  }

  #onAbort = (): void => {
    this.#fail(abortError(this.#signal));
  };

  #onData(chunk: Uint8Array): void {
    if (this.#state !== "active") {
      // Bytes on an idle connection are a protocol error; the server is confused.
      this.#destroyIdle();
      return;
    }
    this.#sawByte = true;
    if (this.#want === "none" || !this.#pending.empty) {
      this.#pending.push(chunk);
      if (this.#want === "none") {
        if (this.#pending.bytes >= PENDING_HWM) this.socket.pause();
        return;
      }
      this.#pump();
      return;
    }
    this.#recv.touch();
    this.#feed(chunk);
  }

  /** Parses buffered raw bytes while someone wants them. */
  #pump(): void {
    while (this.#want !== "none" && !this.#pending.empty && this.#state === "active") {
      const chunk = this.#pending.shift()!;
      this.#feed(chunk);
    }
    if (this.#want === "none" || this.#state !== "active") return;
    if (this.#eof) this.#finishEof();
    else this.socket.resume();
  }

  #feed(chunk: Uint8Array): void {
    let off = 0;
    try {
      while (this.#state === "active") {
        const rest = off === 0 ? chunk : chunk.subarray(off);
        const hadHead = this.#head !== null;
        off += this.#parser.execute(rest);
        // A sink may have cancelled the exchange from inside onBody.
        if (this.#state !== "active") return;
        if (!hadHead && this.#head !== null) {
          if (off < chunk.byteLength) this.#pending.unshift(chunk.subarray(off));
          this.#onHeadReady(this.#head);
          return;
        }
        if (this.#completed) {
          if (off < chunk.byteLength) this.#extra = true;
          this.#complete();
          return;
        }
        if (off >= chunk.byteLength || this.#want === "none") {
          if (off < chunk.byteLength) this.#pending.unshift(chunk.subarray(off));
          return;
        }
      }
    } catch (e) {
      this.#fail(e instanceof HansomError ? e : new HansomError("bad_response", String(e), { cause: e, phase: "response" }));
    }
  }
  #extra = false;

  #onHeadReady(h: ResponseHead): void {
    this.#continue.refuse();
    this.#setWant("none");
    if (h.status === 101 && !this.#upgrade) {
      // RFC 9110 §15.2.2: a server must not switch to a protocol the client did not ask for.
      this.#fail(new HansomError("bad_response", "Invalid response: 101 Switching Protocols to a request that sent no Upgrade header", { phase: "response" }));
      return;
    }
    const w = this.#headWaiter;
    this.#headWaiter = null;
    if (h.status === 101) {
      // Switching Protocols: the socket now speaks something else. It stays checked out
      // until the caller detaches it or closes the response.
      w?.resolve(h);
      return;
    }
    if (h.framing === "none" || this.#completed || h.contentLength === 0) {
      // No body: the exchange is over as soon as the head is in.
      this.#completed = true;
      if (!this.#pending.empty) this.#extra = true;
      this.#complete();
    }
    w?.resolve(h);
  }

  #onEnd(): void {
    if (this.#state === "idle") {
      this.#destroyIdle();
      return;
    }
    if (this.#state !== "active") return;
    this.#eof = true;
    // Buffered bytes come before the EOF: it is acted on once a reader has taken them.
    if (this.#want === "none") return;
    if (!this.#pending.empty) this.#pump();
    else this.#finishEof();
  }

  #finishEof(): void {
    try {
      this.#parser.finish();
      if (this.#completed) this.#complete();
      else this.#fail(new HansomError("closed", "The server closed the connection", { phase: "response" }));
    } catch (e) {
      this.#fail(e as HansomError);
    }
  }

  /** The body source of the current exchange; inert once that exchange is over. */
  bodySource(): BodySource {
    const id = this.#exchangeId;
    const live = (): boolean => id === this.#exchangeId && this.#state !== "idle";
    return {
      read: (sink) => {
        if (live()) this.read(sink);
        else sink.error(new HansomError("closed", "The response body is no longer available", { phase: "body" }));
      },
      cancel: () => {
        if (live()) this.cancel();
      },
      detach: () => {
        if (!live() || this.#state !== "active") throw new HansomError("closed", "The connection was already released or closed; detach() must come before the body is fully read", { phase: "body" });
        return this.detach();
      },
    };
  }

  read(sink: BodySink): void {
    if (this.#lateError) {
      sink.error(this.#lateError);
      return;
    }
    if (this.#state !== "active") return;
    this.#sink = sink;
    if (this.#eof) {
      this.#want = "body";
      this.#pump();
      return;
    }
    this.#setWant("body");
    if (!this.#pending.empty) this.#pump();
  }

  cancel(): void {
    if (this.#state === "active") this.#fail(new HansomError("aborted", "The response body was abandoned", { phase: "body" }), false);
  }

  detach(): { state: ParserState; socket: RawSocket; buffer: Uint8Array } {
    const state = this.#parser.state;
    const buffer = this.#pending.take();
    this.#cleanup();
    this.#state = "closed";
    this.#detached = true;
    this.socket.pause();
    this.#release(this, false);
    return { state, socket: this.socket, buffer };
  }

  /** Marks the exchange done and gives the connection back before telling the reader. */
  #complete(): void {
    const sink = this.#sink;
    const reusable = this.#head !== null && this.#head.keepAlive && this.#sendDone && !this.#extra && !this.socket.closed;
    this.#cleanup();
    this.served++;
    this.lastUsed = Date.now();
    if (reusable) {
      // Left reading: an idle socket must notice the server closing it (see watchIdle).
      this.#state = "idle";
    } else {
      this.#state = "closed";
      this.socket.destroy();
    }
    this.#release(this, reusable);
    sink?.end(this.#trailers);
  }

  #cleanup(): void {
    this.#recv.stop();
    this.#want = "none";
    this.#sink = null;
    this.#extra = false;
    this.#continue.refuse();
    this.#signal?.removeEventListener("abort", this.#onAbort);
    this.#signal = undefined;
  }

  #fail(err: HansomError, notifySink = true): void {
    if (this.#state === "closed") return;
    // An idle socket that fails is not checked out: it leaves the pool as a closed idle one.
    if (this.#state === "idle") return this.#destroyIdle();
    const wasActive = this.#state === "active";
    const sink = this.#sink;
    const head = this.#headWaiter;
    this.#headWaiter = null;
    this.#continue.refuse();
    this.#cleanup();
    this.#state = "closed";
    this.socket.destroy();
    this.#release(this, false);
    if (!wasActive) return;
    if (head) head.reject(err);
    else if (notifySink && sink) sink.error(err);
    else if (notifySink) this.#lateError = err;
  }
  /** An error that struck before anyone started reading the body; read() reports it. */
  #lateError: HansomError | null = null;
  #destroyIdle(): void {
    this.#state = "closed";
    this.socket.destroy();
    const cb = this.#onClosedIdle;
    this.#onClosedIdle = null;
    cb?.();
  }

  /** The socket was handed to the caller: nothing here may close it any more. */
  #detached = false;

  /** Drops the connection (pool close, idle eviction). */
  destroy(): void {
    if (this.#detached) return;
    if (this.#state === "active") this.#fail(new HansomError("closed", "The connection was closed", { phase: "body" }));
    else {
      this.#state = "closed";
      this.#onClosedIdle = null;
      this.socket.destroy();
    }
  }
}
