// Response: status and headers at once, the body read once by whichever way the caller picks.
import { HansomError } from "./errors.ts";
import type { BodySource, HttpVersion, ResponseHead } from "./exchange.ts";
import type { SocketAddress } from "./runtime/socket.ts";
import { BodyChannel } from "./response-body.ts";
import { EMPTY, concatBytes } from "./bytes.ts";
import type { BodyLimits } from "./response-body.ts";
import { detachedSocket } from "./detached.ts";
import type { DetachedSocket } from "./detached.ts";
import { MultipartDecoder, boundaryFromContentType } from "./multipart/decode.ts";
import type { ReceivePartEvent } from "./multipart/decode.ts";

/** One redirect that was followed. */
export interface RedirectRecord {
  status: number;
  /** The absolute URL it pointed to. */
  url: string;
  headers: Array<[string, string]>;
}

/** hackney:request_info. Timings are milliseconds from the start of the request. */
export interface RequestInfo {
  method: string;
  url: string;
  httpVersion: HttpVersion;
  status: number;
  peer: SocketAddress;
  local: SocketAddress;
  reused: boolean;
  redirects: number;
  timings: { connect?: number; firstByte?: number; total?: number };
}

/** What `detach()` hands back (hackney cancel_request). */
export interface Detached {
  state: "waiting_response" | "on_status" | "on_headers" | "on_body";
  socket: DetachedSocket;
  /** Bytes read from the socket but not parsed: raw wire bytes. */
  buffer: Uint8Array;
}

/** Options of the whole-body readers. */
export interface ReadOptions {
  /** More bytes than this is `body_too_large`. */
  maxLength?: number;
}

/** @internal how request.ts builds a Response. */
export interface ResponseInit {
  head: ResponseHead;
  source: BodySource | null;
  url: string;
  redirects: RedirectRecord[];
  info: RequestInfo;
  limits: BodyLimits;
  startedAt: number;
  /** A body that is there but empty (Content-Length: 0): a stream, not null. */
  empty?: boolean;
}

const utf8 = new TextDecoder();

// A Response dropped without being read must not hold its socket: cancel its exchange.
const abandoned = new FinalizationRegistry<BodySource>((source) => source.cancel());

/** An HTTP response whose body has not been read yet. */
export class Response implements AsyncIterable<Uint8Array> {
  readonly status: number;
  readonly statusText: string;
  readonly httpVersion: HttpVersion;
  readonly rawHeaders: Array<[string, string]>;
  readonly url: string;
  readonly redirects: RedirectRecord[];
  readonly peer: SocketAddress;
  readonly local: SocketAddress;
  #source: BodySource | null;
  #limits: BodyLimits;
  #info: RequestInfo;
  #startedAt: number;
  #used = false;
  #buffered: Uint8Array | null = null;
  #channel: BodyChannel | null = null;
  #stream: ReadableStream<Uint8Array> | null | undefined;
  #multipart: MultipartDecoder | null = null;
  /** A body that continues elsewhere (stopAsync): chunks already read, then the rest. */
  #alt: AsyncIterator<Uint8Array> | null = null;
  #init: ResponseInit;
  /** HEAD, 1xx, 204, 304: `body` is null. */
  #noBody: boolean;

  /** @internal */
  constructor(init: ResponseInit) {
    const h = init.head;
    this.#init = init;
    this.status = h.status;
    this.statusText = h.statusText;
    this.httpVersion = h.httpVersion;
    this.rawHeaders = h.rawHeaders;
    this.url = init.url;
    this.redirects = init.redirects;
    this.#info = init.info;
    this.peer = init.info.peer;
    this.local = init.info.local;
    this.#source = init.source;
    if (init.empty) this.#buffered = EMPTY;
    this.#noBody = !init.source && !init.empty;
    this.#startedAt = init.startedAt;
    this.#limits = { ...init.limits, onEnd: () => (this.#info.timings.total = Date.now() - this.#startedAt) };
    if (init.source) abandoned.register(this, init.source, this);
    else this.#info.timings.total = Date.now() - init.startedAt;
  }

  #headers: Headers | null = null;

  /** The headers as WHATWG Headers (built on first use; rawHeaders keeps wire order and case). */
  get headers(): Headers {
    if (this.#headers) return this.#headers;
    const h = new Headers();
    for (const [k, v] of this.rawHeaders) {
      try {
        h.append(k, v);
      } catch {
        // A value Headers refuses stays available in rawHeaders.
      }
    }
    return (this.#headers = h);
  }

  /** Trailer fields of a chunked body, once it has been read. */
  get trailers(): Array<[string, string]> | null {
    return this.#channel?.trailers ?? null;
  }

  /** The body as a Web stream; null when the response has none (HEAD, 1xx, 204, 304). */
  get body(): ReadableStream<Uint8Array> | null {
    if (this.#stream !== undefined) return this.#stream;
    if (this.status === 101 || this.#noBody) return (this.#stream = null);
    this.#stream = new ReadableStream<Uint8Array>(
      {
        pull: async (ctrl) => {
          const it = this.#take("body");
          const r = await it.next();
          if (r.done) ctrl.close();
          else ctrl.enqueue(r.value);
        },
        cancel: () => {
          this.#channel?.cancel();
        },
      },
      { highWaterMark: 0 },
    );
    return this.#stream;
  }

  /** Whether the body has been read (or is being read). */
  get bodyUsed(): boolean {
    return this.#used;
  }

  [Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    return this.#take("iteration");
  }

  /** The whole body (hackney:body). */
  async bytes(opts: ReadOptions = {}): Promise<Uint8Array> {
    const ch = this.#take("bytes()", opts.maxLength);
    if (ch instanceof BodyChannel) return ch.readAll();
    const parts: Uint8Array[] = [];
    for (let r = await ch.next(); !r.done; r = await ch.next()) parts.push(r.value);
    return parts.length === 0 ? EMPTY : concatBytes(parts);
  }

  /** The whole body decoded as UTF-8. */
  async text(opts: ReadOptions = {}): Promise<string> {
    return utf8.decode(await this.bytes(opts));
  }

  /** The whole body parsed as JSON; invalid JSON is `bad_response`. */
  async json<T = unknown>(opts: ReadOptions = {}): Promise<T> {
    const text = await this.text(opts);
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new HansomError("bad_response", `The response body is not valid JSON: ${(e as Error).message}`, { cause: e, phase: "body" });
    }
  }

  /** The whole body as an ArrayBuffer. */
  async arrayBuffer(opts: ReadOptions = {}): Promise<ArrayBuffer> {
    const b = await this.bytes(opts);
    if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) return b.buffer;
    return b.slice().buffer as ArrayBuffer;
  }

  /** Reads and discards the body so the connection can be reused (hackney:skip_body). */
  async skip(): Promise<void> {
    const ch = this.#take("skip()");
    if (ch instanceof BodyChannel) await ch.drain();
    else for (let r = await ch.next(); !r.done; r = await ch.next());
  }

  /** Drops the connection without reading the rest (hackney:close). */
  async close(): Promise<void> {
    this.#used = true;
    this.#multipart = null;
    if (this.#alt) await this.#alt.return?.();
    if (this.#channel) this.#channel.cancel();
    else this.#source?.cancel();
    this.#source = null;
    abandoned.unregister(this);
  }

  /** The body as multipart events (hackney:stream_multipart). */
  multipart(): AsyncGenerator<ReceivePartEvent> {
    const ct = this.headers.get("content-type");
    const b = boundaryFromContentType(ct);
    if (!b) {
      throw new HansomError("bad_response", `The response is not multipart (Content-Type: ${ct ?? "none"})`, { phase: "body" });
    }
    const it = this.#take("multipart()");
    this.#multipart = new MultipartDecoder(it, b);
    return this.#multipart.events();
  }

  /** Skips the rest of the current multipart part (hackney:skip_multipart). */
  async skipPart(): Promise<void> {
    if (!this.#multipart) throw new HansomError("body_used", "skipPart() needs a multipart() reader in progress", { phase: "body" });
    await this.#multipart.skipPart();
  }

  /** hackney:request_info. */
  info(): RequestInfo {
    return { ...this.#info, timings: { ...this.#info.timings } };
  }

  /** Takes the connection out of hansom's hands (hackney:cancel_request). */
  async detach(): Promise<Detached> {
    if (!this.#source) throw new HansomError("closed", "This response has no connection to detach (no body, or already released)", { phase: "body" });
    const d = this.#source.detach();
    this.#used = true;
    this.#source = null;
    abandoned.unregister(this);
    const state = d.state === "done" ? "on_body" : d.state;
    return { state, socket: detachedSocket(d.socket), buffer: d.buffer };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (!this.#channel?.finished) await this.close();
  }

  /** Marks the body used and returns the one reader of it. */
  #take(how: string, maxLength?: number): AsyncIterator<Uint8Array> {
    // The body stream keeps reading its own reader; any other reader first is body_used.
    if (how === "body" && this.#takenBy === "body") return this.#reader!;
    if (this.#used) throw new HansomError("body_used", `The response body was already read; ${how} cannot read it again`, { phase: "body" });
    this.#used = true;
    this.#takenBy = how;
    return (this.#reader = this.#reader0(how, maxLength));
  }
  #takenBy = "";
  #reader: AsyncIterator<Uint8Array> | null = null;

  #reader0(how: string, maxLength?: number): AsyncIterator<Uint8Array> {
    // After 101 the bytes belong to another protocol: reach them with detach().
    if (this.status === 101) return onceIterator(EMPTY, maxLength);
    if (this.#alt) return limited(this.#alt, maxLength ?? this.#limits.maxBody);
    if (this.#buffered) return onceIterator(this.#buffered, maxLength);
    if (!this.#source) return onceIterator(EMPTY, maxLength);
    // skip() discards: maxBody guards what a reader keeps, not what it throws away.
    const limits = how === "skip()" ? { ...this.#limits, maxBody: undefined }
      : maxLength !== undefined && (this.#limits.maxBody === undefined || maxLength < this.#limits.maxBody)
      ? { ...this.#limits, maxBody: maxLength }
      : this.#limits;
    const channel = new BodyChannel(this.#source, { ...limits, onSettle: () => abandoned.unregister(channel) });
    this.#channel = channel;
    abandoned.unregister(this);
    // Once reading has started, abandoning the reader must still free the socket; the
    // registration ends with the body so settled exchanges do not linger until a full GC.
    abandoned.register(channel, this.#source, channel);
    return channel;
  }

  /** @internal The same response with its body continuing from `prefix`, then `rest` (stopAsync). */
  continued(prefix: Uint8Array[], rest: AsyncIterator<Uint8Array> | null): Response {
    const r = new Response({ ...this.#init, source: null });
    if (!this.#noBody) {
      r.#alt = chain(prefix, rest);
      r.#noBody = false;
    }
    return r;
  }

  /** @internal withBody: read the body now and keep it. */
  async preload(): Promise<void> {
    const b = await this.bytes();
    this.#used = false;
    this.#takenBy = "";
    this.#reader = null;
    this.#buffered = b;
    this.#channel = null;
  }
}

function chain(prefix: Uint8Array[], rest: AsyncIterator<Uint8Array> | null): AsyncIterator<Uint8Array> {
  let i = 0;
  return {
    next: () => {
      if (i < prefix.length) return Promise.resolve({ value: prefix[i++]!, done: false });
      return rest ? rest.next() : Promise.resolve({ value: undefined, done: true });
    },
    return: async () => {
      await rest?.return?.();
      return { value: undefined, done: true };
    },
  };
}

/** Enforces a byte limit on an iterator that is not a BodyChannel. */
function limited(it: AsyncIterator<Uint8Array>, max: number | undefined): AsyncIterator<Uint8Array> {
  if (max === undefined) return it;
  let n = 0;
  return {
    next: async () => {
      const r = await it.next();
      if (!r.done && (n += r.value.byteLength) > max) {
        await it.return?.();
        throw new HansomError("body_too_large", `The response body is larger than ${max} bytes (maxBody / maxLength)`, { phase: "body" });
      }
      return r;
    },
    return: () => it.return?.() ?? Promise.resolve({ value: undefined, done: true }),
  };
}

function onceIterator(b: Uint8Array, maxLength: number | undefined): AsyncIterator<Uint8Array> {
  if (maxLength !== undefined && b.byteLength > maxLength) {
    const e = new HansomError("body_too_large", `The response body is larger than ${maxLength} bytes (maxLength)`, { phase: "body" });
    return { next: () => Promise.reject(e) };
  }
  let done = b.byteLength === 0;
  return {
    next: () => {
      if (done) return Promise.resolve({ value: undefined, done: true });
      done = true;
      return Promise.resolve({ value: b, done: false });
    },
  };
}

