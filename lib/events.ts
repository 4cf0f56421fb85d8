// Async modes (hackney's async, {async, once}, stream_to): a response as a sequence of events.
// "once" reads nothing ahead: each next() fetches one event. `true` reads ahead a little,
// until pause(). Either way a paused stream stops reading the socket.
import { HansomError } from "./errors.ts";
import type { Response } from "./response.ts";

/** One event of an asynchronous response (hackney's async messages). */
export type ResponseEvent =
  | { type: "status"; status: number; statusText: string }
  | { type: "headers"; headers: Array<[string, string]> }
  | { type: "redirect"; url: string; headers: Array<[string, string]> }
  | { type: "see_other"; url: string; headers: Array<[string, string]> }
  | { type: "data"; chunk: Uint8Array<ArrayBuffer> }
  | { type: "done" }
  | { type: "error"; error: HansomError };

/** Redirect events reported while the request runs. */
export type RedirectEvent = Extract<ResponseEvent, { type: "redirect" | "see_other" }>;

/** Starts the request; reports followed redirects through onRedirect. */
export type Starter = (onRedirect: (ev: RedirectEvent) => void) => Promise<Response>;

/** Events read ahead in `async: true` mode before reading pauses by itself. */
const READ_AHEAD = 16;
/** ...and at most this many bytes of data events, whatever size the runtime's chunks are. */
const READ_AHEAD_BYTES = 256 * 1024;

/**
 * A response delivered as events (hackney's {async, ...} request reference), what request() resolves to with
 * `async` or `streamTo`: `redirect`/`see_other` for each redirect followed, then `status`, `headers`, `data`
 * chunks, and last `done` or `error` (a failure is an event carrying its HansomError, not a rejection). With
 * `async: true` it reads ahead a little; with `async: "once"` each next() reads one event.
 * @example
 * import { get } from "hansom";
 * const stream = await get("http://127.0.0.1:8080/events", { async: true });
 * for await (const ev of stream) {
 *   if (ev.type === "status") console.log("status", ev.status);
 *   else if (ev.type === "data") console.log(ev.chunk.byteLength, "bytes");
 *   else if (ev.type === "error") console.error(ev.error.code);
 * }
 */
export class AsyncStream implements AsyncIterable<ResponseEvent> {
  readonly mode: true | "once";
  #queue: ResponseEvent[] = [];
  #queuedBytes = 0;
  #waiters: Array<() => void> = [];
  #res: Response | null = null;
  #resPromise: Promise<Response>;
  #body: AsyncIterator<Uint8Array<ArrayBuffer>> | null = null;
  #prefix: Uint8Array<ArrayBuffer>[] = [];
  #ended = false;
  #stopped = false;
  #paused = false;
  #pumping = false;
  /** A body error that arrived after stopAsync() began: the continued Response reports it. */
  #stopError: HansomError | null = null;

  /** Not for callers: request() with `async` or `streamTo` makes AsyncStreams. */
  constructor(...internal: never);
  /** @internal */
  constructor(start: Starter, mode: true | "once");
  constructor(start: Starter, mode: true | "once") {
    this.mode = mode;
    this.#resPromise = start((ev) => this.#push(ev));
    this.#resPromise.then(
      (res) => {
        this.#res = res;
        this.#push({ type: "status", status: res.status, statusText: res.statusText });
        this.#push({ type: "headers", headers: res.rawHeaders });
        if (!res.body) this.#finish({ type: "done" });
        else this.#body = res[Symbol.asyncIterator]();
        this.#pump();
      },
      (e: unknown) => this.#finish({ type: "error", error: asHansom(e) }),
    );
    // The rejection is delivered as an event; keep it from being reported as unhandled.
    this.#resPromise.catch(() => {});
  }

  /**
   * Iterates the events with `for await`, ending after `done` or `error`; leaving the loop early drops the
   * connection.
   * @example
   * const stream = await get("http://127.0.0.1:8080/", { async: "once" });
   * for await (const ev of stream) if (ev.type === "headers") break; // the body is not read
   */
  [Symbol.asyncIterator](): AsyncIterator<ResponseEvent> {
    return {
      next: () => this.next(),
      return: async () => {
        await this.#abandon();
        return { value: undefined, done: true };
      },
    };
  }

  /**
   * Resolves to the next event (hackney:stream_next), waiting for it if none is queued; in "once" mode this
   * is what reads the next one from the socket. After `done` or `error` it resolves `{ done: true }`; it never
   * rejects for a failed request (that is the `error` event).
   * @example
   * const stream = await get("http://127.0.0.1:8080/", { async: "once" });
   * const first = await stream.next();
   * if (!first.done && first.value.type === "status") console.log(first.value.status);
   */
  async next(): Promise<IteratorResult<ResponseEvent>> {
    for (;;) {
      const ev = this.#queue.shift();
      if (ev) {
        if (ev.type === "data") this.#queuedBytes -= ev.chunk.byteLength;
        this.#pump();
        return { value: ev, done: false };
      }
      if (this.#ended || this.#stopped) return { value: undefined, done: true };
      this.#pump(true);
      await new Promise<void>((r) => this.#waiters.push(r));
    }
  }

  /**
   * Stops reading the socket until resume() (hackney:pause_stream); events already queued are still
   * delivered, then next() waits.
   * @example
   * const stream = await get("http://127.0.0.1:8080/big", { async: true });
   * stream.pause();
   * setTimeout(() => stream.resume(), 1000); // the server is held back by TCP meanwhile
   */
  pause(): void {
    this.#paused = true;
  }

  /**
   * Restarts reading the socket after pause() (hackney:resume_stream).
   * @example
   * const stream = await get("http://127.0.0.1:8080/big", { async: true });
   * stream.pause();
   * await new Promise((r) => setTimeout(r, 100));
   * stream.resume();
   */
  resume(): void {
    this.#paused = false;
    this.#pump();
  }

  /**
   * Ends event delivery (hackney:stop_async) and resolves to a Response whose body is the part not yet
   * delivered as events (queued chunks included); a body that failed fails that Response's read with the same
   * error. Rejects with the request's HansomError when it failed before the headers.
   * @example
   * const stream = await get("http://127.0.0.1:8080/", { async: true });
   * await stream.next(); // the status event
   * const res = await stream.stopAsync();
   * console.log(res.status, await res.text());
   */
  async stopAsync(): Promise<Response> {
    this.#stopped = true;
    const res = await this.#resPromise;
    // Wait for an in-flight read so no chunk is lost between the events and the Response.
    while (this.#pumping) await new Promise((r) => setTimeout(r, 0));
    const pending: Uint8Array<ArrayBuffer>[] = [...this.#prefix];
    let failed = this.#stopError;
    for (const ev of this.#queue) {
      if (ev.type === "data") pending.push(ev.chunk);
      else if (ev.type === "error") failed = ev.error;
    }
    this.#queue = [];
    this.#queuedBytes = 0;
    const ended = this.#ended;
    this.#wake();
    // A body that failed (cut short, past maxBody) must fail through the Response too, after
    // the bytes that did arrive: never read as a shorter body that looks complete.
    const rest: AsyncIterator<Uint8Array<ArrayBuffer>> | null = failed
      ? { next: () => Promise.reject(failed) }
      : ended
        ? null
        : this.#body;
    return res.continued(pending, rest);
  }

  #push(ev: ResponseEvent): void {
    if (this.#stopped) {
      if (ev.type === "data") this.#prefix.push(ev.chunk);
      else if (ev.type === "error") this.#stopError = ev.error;
      return;
    }
    if (ev.type === "data") this.#queuedBytes += ev.chunk.byteLength;
    this.#queue.push(ev);
    this.#wake();
  }

  #finish(ev: ResponseEvent): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#push(ev);
  }

  #wake(): void {
    // Every waiting next() looks again: overlapping calls each get an event or the end.
    const ws = this.#waiters;
    this.#waiters = [];
    for (const w of ws) w();
  }

  /** Reads body chunks into events while allowed. `demand`: a consumer is waiting. */
  #pump(demand = false): void {
    if (this.#pumping || this.#ended || this.#stopped || !this.#body || this.#paused) return;
    const room =
      this.mode === "once"
        ? demand && this.#queue.length === 0
        : this.#queue.length < READ_AHEAD && this.#queuedBytes < READ_AHEAD_BYTES;
    if (!room) return;
    this.#pumping = true;
    const body = this.#body;
    body.next().then(
      (r) => {
        this.#pumping = false;
        if (r.done) this.#finish({ type: "done" });
        else this.#push({ type: "data", chunk: r.value });
        if (this.mode === true) this.#pump();
      },
      (e: unknown) => {
        this.#pumping = false;
        this.#finish({ type: "error", error: asHansom(e) });
      },
    );
  }

  async #abandon(): Promise<void> {
    this.#stopped = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    if (!this.#ended) {
      this.#ended = true;
      const res = this.#res ?? (await this.#resPromise.catch(() => null));
      await res?.close();
    }
  }

  /** @internal pumps every event into a WritableStream, honouring its backpressure. */
  async pipeTo(dest: WritableStream<ResponseEvent>): Promise<void> {
    const w = dest.getWriter();
    try {
      for (;;) {
        const r = await this.next();
        if (r.done) break;
        await w.ready;
        if (r.value.type === "error") {
          // The error event is written, then the stream is aborted with it, as streamTo promises.
          await w.write(r.value).catch(() => {});
          await w.abort(r.value.error).catch(() => {});
          return;
        }
        await w.write(r.value);
        if (r.value.type === "done") break;
      }
      await w.close();
    } catch (e) {
      await this.#abandon();
      await w.abort(e).catch(() => {});
    } finally {
      try {
        w.releaseLock();
      } catch {
        // the lock may already be gone with an aborted stream
      }
    }
  }
}

function asHansom(e: unknown): HansomError {
  return e instanceof HansomError ? e : new HansomError("closed", String((e as Error)?.message ?? e), { cause: e });
}
