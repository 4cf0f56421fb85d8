// One HTTP/1.1 connection: a RawSocket, one parser, and one exchange at a time (capacity 1).
// It implements the protocol-neutral HttpConnection, owns the keep-alive rule (Exchange's
// reuseBlocker) and is the body source a Response reads from. The pool never touches bytes;
// it gets the connection back through Release, told whether it is reusable.
import { HansomError, abortError } from "../errors.ts";
import { markBeforeResponse } from "../exchange.ts";
import type {
  BodySink,
  BodySource,
  DetachedWire,
  ExchangeResult,
  HttpConnection,
  Release,
  RequestSpec,
} from "../exchange.ts";
import type { RawSocket, SocketAddress } from "../runtime/socket.ts";
import { ResponseParser } from "./parse.ts";
import type { Http1Head } from "./parse.ts";
import { ContinueGate, sendRequest } from "./send.ts";
import { http1Head } from "./request-head.ts";
import { Exchange } from "./exchange-state.ts";
import type { Want } from "./exchange-state.ts";
import { RecvTimer } from "./recv-timer.ts";
import { RawQueue } from "./raw-queue.ts";

/** Raw bytes held while nobody reads the body, before the socket is paused. */
const PENDING_HWM = 64 * 1024;

export class Http1Connection implements HttpConnection, BodySource {
  readonly key: string;
  readonly protocol = "http/1.1";
  readonly capacity = 1;
  readonly socket: RawSocket;
  served = 0;
  lastUsed: number = Date.now();
  #release: Release;
  #parser: ResponseParser;
  #state: "idle" | "active" | "closed" = "idle";
  /** The exchange in flight; null while idle or closed. */
  #x: Exchange | null = null;
  #lastId = 0;
  /** Raw bytes read and not yet parsed (held while nobody wants them). */
  #pending = new RawQueue();
  #continue = new ContinueGate();
  #recv = new RecvTimer(
    () => this.#state === "active" && this.#x !== null && this.#x.want !== "none",
    () => this.#onTimeout(),
  );
  #onClosedIdle: (() => void) | null = null;
  /** The socket was handed to the caller: nothing here may close it any more. */
  #detached = false;

  constructor(key: string, socket: RawSocket, release: Release) {
    this.key = key;
    this.socket = socket;
    this.#release = release;
    // A sink may end the exchange from inside onBody (maxBody): later events find no #x.
    this.#parser = new ResponseParser({
      onInterim: (status) => {
        if (status === 100) this.#continue.proceed();
      },
      onHead: (h) => {
        if (this.#x) this.#x.head = h;
      },
      onBody: (chunk) => {
        const x = this.#x;
        if (x?.sink && !x.sink.data(chunk)) x.want = "none";
      },
      onTrailers: (t) => {
        if (this.#x) this.#x.trailers = t;
      },
      onComplete: () => {
        if (this.#x) this.#x.completed = true;
      },
    });
    socket.setHandler({
      data: (c) => this.#onData(c),
      end: () => this.#onEnd(),
      error: (e) => this.#fail(e),
    });
  }

  get active(): number {
    return this.#state === "active" ? 1 : 0;
  }
  get closed(): boolean {
    return this.#state === "closed" || this.socket.closed;
  }
  get idle(): boolean {
    return this.#state === "idle" && !this.socket.closed;
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
    this.socket.resume();
  }

  exchange(spec: RequestSpec): Promise<ExchangeResult> {
    if (this.#state !== "idle" || this.socket.closed) {
      // Handed out as it closed: give the slot back, and say nothing was sent (a retry is safe).
      if (this.#state !== "active") this.#release(this, false);
      return Promise.reject(
        markBeforeResponse(new HansomError("closed", "The connection is closed", { phase: "send" })),
      );
    }
    if (spec.signal?.aborted) {
      // Nothing was sent: the connection goes back as it came, still good for the next request.
      this.#release(this, true);
      return Promise.reject(abortError(spec.signal));
    }
    let head: Uint8Array;
    try {
      head = http1Head(spec);
    } catch (e) {
      this.#release(this, true);
      return Promise.reject(e);
    }
    return new Promise<ExchangeResult>((resolve, reject) => {
      const x = new Exchange(++this.#lastId, spec, { resolve, reject });
      this.#x = x;
      this.#state = "active";
      this.#onClosedIdle = null;
      this.socket.ref?.();
      this.#parser.reset(spec.noBody, spec.maxHeaderSize);
      this.#recv.ms = spec.recvTimeout;
      spec.signal?.addEventListener("abort", this.#onAbort, { once: true });
      // The head is written (synchronously, inside #send) before reading resumes: bytes a
      // runtime held for a resumed socket must not be read as the answer to an unsent request.
      const sent = this.#send(x, head);
      this.#setWant("head");
      sent.catch((e: unknown) => {
        // A send failure after the head arrived is the server cutting the upload short:
        // the response stands, the connection does not (sendDone stays false).
        if (x.head || this.#x !== x) return;
        // A write the peer refused (reset, closed) while the socket still reads: the answer to
        // it (an early 413) may be on its way; the read side ends the exchange, within recvTimeout.
        if (e instanceof HansomError && (e.code === "econnreset" || e.code === "closed") && !this.socket.closed) return;
        this.#fail(
          e instanceof HansomError
            ? e
            : new HansomError("aborted", `The request body failed: ${(e as Error)?.message ?? e}`, {
                cause: e,
                phase: "send",
              }),
        );
      });
    });
  }

  async #send(x: Exchange, head: Uint8Array): Promise<void> {
    const upload = x.spec.onUpload;
    x.sendDone = await sendRequest(this.socket, head, x.spec, {
      proceed: () => this.#x === x && x.head === null,
      // A final status may be in already (no wait then), or arrive during the wait.
      awaitContinue: async () => x.head === null && (await this.#continue.wait()) && x.head === null && this.#x === x,
      progress: (sent, done) => {
        upload?.(sent, done);
        // Upload progress counts as activity: recvTimeout is for a silent peer, not a long body.
        this.#recv.touch();
      },
    });
  }

  #setWant(w: Want): void {
    const x = this.#x;
    if (x) x.want = w;
    if (w === "none") {
      if (this.#pending.bytes >= PENDING_HWM) this.socket.pause();
      return;
    }
    this.#recv.start();
    this.socket.resume();
  }

  #onTimeout(): void {
    const what = this.#x?.head ? "the response body" : "the response";
    this.#fail(
      new HansomError(
        "recv_timeout",
        `No data received for ${this.#recv.ms} ms while waiting for ${what} (recvTimeout)`,
        { phase: this.#x?.head ? "body" : "response" },
      ),
    );
  }

  #onAbort = (): void => {
    this.#fail(abortError(this.#x?.spec.signal));
  };

  #onData(chunk: Uint8Array): void {
    const x = this.#x;
    if (this.#state !== "active" || !x) {
      // Bytes on an idle connection are a protocol error: they must not become the next response.
      this.#destroyIdle();
      return;
    }
    x.sawByte = true;
    if (x.want === "none" || !this.#pending.empty) {
      this.#pending.push(chunk);
      if (x.want === "none") {
        if (this.#pending.bytes >= PENDING_HWM) this.socket.pause();
        return;
      }
      this.#pump();
      return;
    }
    this.#recv.touch();
    this.#feed(x, chunk);
  }

  /** Parses buffered raw bytes while someone wants them. */
  #pump(): void {
    const x = this.#x;
    while (x && this.#x === x && x.want !== "none" && !this.#pending.empty) this.#feed(x, this.#pending.shift()!);
    if (!x || this.#x !== x || x.want === "none") return;
    if (x.eof) this.#finishEof(x);
    else this.socket.resume();
  }

  #feed(x: Exchange, chunk: Uint8Array): void {
    let off = 0;
    try {
      while (this.#x === x) {
        const rest = off === 0 ? chunk : chunk.subarray(off);
        const hadHead = x.head !== null;
        off += this.#parser.execute(rest);
        // A sink may have cancelled the exchange from inside onBody.
        if (this.#x !== x) return;
        if (!hadHead && x.head !== null) {
          if (off < chunk.byteLength) this.#pending.unshift(chunk.subarray(off));
          this.#onHeadReady(x, x.head);
          return;
        }
        if (x.completed) {
          if (off < chunk.byteLength) x.extra = true;
          this.#complete(x);
          return;
        }
        if (off >= chunk.byteLength || x.want === "none") {
          if (off < chunk.byteLength) this.#pending.unshift(chunk.subarray(off));
          return;
        }
      }
    } catch (e) {
      this.#fail(
        e instanceof HansomError ? e : new HansomError("bad_response", String(e), { cause: e, phase: "response" }),
      );
    }
  }

  #onHeadReady(x: Exchange, h: Http1Head): void {
    this.#continue.refuse();
    this.#setWant("none");
    if (h.status === 101 && !x.spec.upgrade) {
      // RFC 9110 §15.2.2: a server must not switch to a protocol the client did not ask for.
      this.#fail(
        new HansomError(
          "bad_response",
          "Invalid response: 101 Switching Protocols to a request that sent no Upgrade header",
          { phase: "response" },
        ),
      );
      return;
    }
    const w = x.waiter;
    x.waiter = null;
    // 101: the socket now speaks another protocol; it stays checked out until the caller
    // detaches it or closes the response.
    const source =
      h.status === 101 ? this.#source(x) : h.framing === "none" || h.contentLength === 0 ? null : this.#source(x);
    const empty = h.framing !== "none" && h.contentLength === 0;
    if (h.status !== 101 && (h.framing === "none" || x.completed || h.contentLength === 0)) {
      // No body: the exchange is over as soon as the head is in.
      x.completed = true;
      if (!this.#pending.empty) x.extra = true;
      this.#complete(x);
    }
    w?.resolve({ head: h, body: source, empty });
  }

  #onEnd(): void {
    const x = this.#x;
    if (this.#state === "idle") {
      this.#destroyIdle();
      return;
    }
    if (this.#state !== "active" || !x) return;
    x.eof = true;
    // Buffered bytes come before the EOF: it is acted on once a reader has taken them.
    if (x.want === "none") return;
    if (!this.#pending.empty) this.#pump();
    else this.#finishEof(x);
  }

  #finishEof(x: Exchange): void {
    try {
      this.#parser.finish();
      if (x.completed) this.#complete(x);
      else this.#fail(new HansomError("closed", "The server closed the connection", { phase: "response" }));
    } catch (e) {
      this.#fail(e as HansomError);
    }
  }

  /** The body source of exchange `x`; inert once that exchange is over. */
  #source(x: Exchange): BodySource {
    const live = (): boolean => this.#x === x;
    return {
      read: (sink) => {
        if (live() || x.lateError) this.read(sink, x);
        else sink.error(new HansomError("closed", "The response body is no longer available", { phase: "body" }));
      },
      cancel: () => {
        if (live()) this.cancel();
      },
      detach: () => {
        if (!live())
          throw new HansomError(
            "closed",
            "The connection was already released or closed; detach() must come before the body is fully read",
            { phase: "body" },
          );
        return this.detach();
      },
    };
  }

  read(sink: BodySink, x: Exchange | null = this.#x): void {
    if (x?.lateError) {
      sink.error(x.lateError);
      return;
    }
    if (this.#state !== "active" || !x || this.#x !== x) return;
    x.sink = sink;
    if (x.eof) {
      x.want = "body";
      this.#pump();
      return;
    }
    this.#setWant("body");
    if (!this.#pending.empty) this.#pump();
  }

  cancel(): void {
    if (this.#state === "active")
      this.#fail(new HansomError("aborted", "The response body was abandoned", { phase: "body" }), false);
  }

  detach(): DetachedWire {
    const state = this.#parser.state;
    const buffer = this.#pending.take();
    this.#end();
    this.#state = "closed";
    this.#detached = true;
    this.socket.pause();
    this.#release(this, false);
    return { state, socket: this.socket, buffer };
  }

  /** Marks the exchange done and gives the connection back before telling the reader. */
  #complete(x: Exchange): void {
    const sink = x.sink;
    const reusable = x.reuseBlocker(this.socket.closed) === null;
    this.#end();
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
    sink?.end(x.trailers);
  }

  /** Ends the exchange in flight: timers, the abort listener and the 100-continue wait. */
  #end(): void {
    const x = this.#x;
    this.#recv.stop();
    this.#continue.refuse();
    if (!x) return;
    x.want = "none";
    x.sink = null;
    x.spec.signal?.removeEventListener("abort", this.#onAbort);
    this.#x = null;
  }

  #fail(err: HansomError, notifySink = true): void {
    if (this.#state === "closed") return;
    // An idle socket that fails is not checked out: it leaves the pool as a closed idle one.
    if (this.#state === "idle") return this.#destroyIdle();
    const x = this.#x;
    const sink = x?.sink ?? null;
    const waiter = x?.waiter ?? null;
    if (x) x.waiter = null;
    this.#end();
    this.#state = "closed";
    this.socket.destroy();
    this.#release(this, false);
    if (!x) return;
    if (waiter) waiter.reject(x.sawByte || this.served === 0 ? err : markBeforeResponse(err));
    else if (notifySink && sink) sink.error(err);
    else if (notifySink) x.lateError = err;
  }

  #destroyIdle(): void {
    this.#state = "closed";
    this.socket.destroy();
    const cb = this.#onClosedIdle;
    this.#onClosedIdle = null;
    cb?.();
  }

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
