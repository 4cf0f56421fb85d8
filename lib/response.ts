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
import { availableCodings, decodeBody, decoderFor, parseCodings } from "./decompress.ts";
import type { Decoder, DecoderFactories } from "./decompress.ts";
import type { ReceivePartEvent } from "./multipart/decode.ts";
import { chain, limited, onceIterator } from "./body-iterators.ts";

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
  /** Attempts made for the final hop: 1, plus each retry (the retry option). */
  attempts: number;
  /** The Content-Encoding decoded (decompress: true), e.g. "gzip"; null when the body is as sent. */
  decoded: string | null;
  timings: { connect?: number; firstByte?: number; total?: number };
}

/** What `detach()` hands back (hackney cancel_request). */
export interface Detached {
  state: "waiting_response" | "on_status" | "on_headers" | "on_body";
  socket: DetachedSocket;
  /** Bytes read from the socket but not parsed: raw wire bytes. */
  buffer: Uint8Array<ArrayBuffer>;
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
  /** decompress: true: the runtime's decoders; the body's Content-Encoding is undone with them. */
  decoders?: DecoderFactories;
}

// Response is AsyncDisposable (`await using`). The symbol is declared here as lib.esnext.disposable
// and @types/node declare it, so the emitted types also compile under an ES2023 lib with neither.
declare global {
  interface SymbolConstructor {
    readonly asyncDispose: unique symbol;
  }
}

const utf8 = new TextDecoder();

// A Response dropped without being read must not hold its socket: cancel its exchange.
const abandoned = new FinalizationRegistry<BodySource>((source) => source.cancel());

/** The ways a body can be read; each takes it once. text/json/arrayBuffer read through bytes(). */
type Reader = "body" | "iteration" | "bytes()" | "skip()" | "multipart()";

/** Where the body is: one of these at a time, so no two readers can both believe they own it. */
type BodyState =
  /** HEAD, 1xx, 204, 304: there is no body (`body` is null). */
  | { kind: "none" }
  /** On the connection, not read yet. */
  | { kind: "unread"; source: BodySource }
  /** 101 Switching Protocols: the socket speaks another protocol; reachable with detach(). */
  | { kind: "upgraded"; source: BodySource }
  /** Already in memory: withBody, or an empty (Content-Length: 0) body. */
  | { kind: "buffered"; bytes: Uint8Array<ArrayBuffer>; trailers?: Array<[string, string]> | null }
  /** Read on elsewhere (stopAsync): the chunks already taken, then the rest. */
  | { kind: "continued"; rest: AsyncIterator<Uint8Array<ArrayBuffer>> }
  /** Taken by one reader. `channel` is set when it reads from the connection. */
  | {
      kind: "reading";
      reader: Reader;
      it: AsyncIterator<Uint8Array<ArrayBuffer>>;
      channel: BodyChannel | null;
      source: BodySource | null;
      multipart: MultipartDecoder | null;
    }
  /** Handed over with detach(). */
  | { kind: "detached" }
  /** Dropped with close(). */
  | { kind: "closed" };

/**
 * An HTTP response as request() resolves it: status and headers are there, the body is still on the connection.
 * The body is read once, by one reader (body, iteration, bytes/text/json/arrayBuffer, skip, multipart); a
 * second reader is `body_used`. A Response dropped unread frees its connection when it is garbage-collected;
 * close() (or `await using`) frees it at once.
 * @example
 * import { get } from "hansom";
 * const res = await get("http://127.0.0.1:8080/users");
 * console.log(res.status, res.statusText, res.httpVersion, res.headers.get("content-type"));
 * const users = await res.json<Array<{ id: number }>>();
 */
export class Response implements AsyncIterable<Uint8Array<ArrayBuffer>> {
  readonly status: number;
  readonly statusText: string;
  readonly httpVersion: HttpVersion;
  readonly rawHeaders: Array<[string, string]>;
  readonly url: string;
  readonly redirects: RedirectRecord[];
  readonly peer: SocketAddress;
  readonly local: SocketAddress;
  #state: BodyState;
  #limits: BodyLimits;
  #info: RequestInfo;
  #init: ResponseInit;
  #headers: Headers | null = null;
  /** The `body` stream, built on first use (undefined: not yet). */
  #stream: ReadableStream<Uint8Array<ArrayBuffer>> | null | undefined;
  /** Undoes the body's Content-Encoding (decompress: true), made when a reader takes the body. */
  #decoder: (() => Decoder | null) | null = null;

  /** Not for callers: request() and the method shortcuts make Responses. */
  constructor(...internal: never);
  /** @internal */
  constructor(init: ResponseInit);
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
    const src = init.source;
    this.#state = init.empty
      ? { kind: "buffered", bytes: EMPTY }
      : !src
        ? { kind: "none" }
        : h.status === 101
          ? { kind: "upgraded", source: src }
          : { kind: "unread", source: src };
    this.#limits = { ...init.limits, onEnd: () => (this.#info.timings.total = Date.now() - init.startedAt) };
    const ce = init.decoders && this.#state.kind === "unread" ? this.headers.get("content-encoding") : null;
    if (ce) {
      const decoders = init.decoders;
      // Known now so info() can say what will be decoded; the decoder is built by the reader.
      const codings = parseCodings(ce);
      const available = availableCodings(decoders);
      if (codings.length > 0 && codings.every((c) => available.includes(c))) {
        this.#info.decoded = codings.join(", ");
        this.#decoder = () => decoderFor(ce, decoders);
      }
    }
    if (src) abandoned.register(this, src, this);
    else this.#info.timings.total = Date.now() - init.startedAt;
  }

  /**
   * The headers as WHATWG Headers, built on first use; `rawHeaders` keeps the wire's order and case, and also
   * holds any value Headers refuses. `headers.getSetCookie()` lists each Set-Cookie field.
   * @example
   * const res = await get("http://127.0.0.1:8080/");
   * const type = res.headers.get("content-type"); // e.g. "application/json"
   * for (const [name, value] of res.rawHeaders) console.log(name, value);
   */
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

  /**
   * True when the status is 200-299. Any other status still resolves (unless throwHttpErrors is set).
   * @example
   * const res = await get("http://127.0.0.1:8080/");
   * if (!res.ok) throw new Error(`GET failed: ${res.status} ${await res.text()}`);
   */
  get ok(): boolean {
    return this.status >= 200 && this.status <= 299;
  }

  /**
   * Trailer fields of a chunked body, once the body has been read to its end; null before that or
   * when there were none.
   * @example
   * const res = await get("http://127.0.0.1:8080/chunked");
   * await res.skip();
   * console.log(res.trailers); // e.g. [["x-checksum", "abc123"]]
   */
  get trailers(): Array<[string, string]> | null {
    const st = this.#state;
    return st.kind === "reading"
      ? (st.channel?.trailers ?? null)
      : st.kind === "buffered"
        ? (st.trailers ?? null)
        : null;
  }

  /**
   * The body as a Web ReadableStream (the same one on every access); null when the response has none (HEAD,
   * 1xx, 204, 304; after 101 the socket is reached with detach()). Reading it takes the body: if another reader
   * took it first, the stream errors with `body_used`; a connection that ends early errors it with `closed`,
   * and a stall with `recv_timeout`. Cancelling the stream drops the connection.
   * @example
   * const res = await get("http://127.0.0.1:8080/big.bin");
   * const reader = res.body!.getReader();
   * for (let r = await reader.read(); !r.done; r = await reader.read()) console.log(r.value.byteLength);
   */
  get body(): ReadableStream<Uint8Array<ArrayBuffer>> | null {
    if (this.#stream !== undefined) return this.#stream;
    const k = this.#state.kind;
    if (k === "none" || k === "upgraded") return (this.#stream = null);
    let it: AsyncIterator<Uint8Array<ArrayBuffer>> | null = null;
    this.#stream = new ReadableStream<Uint8Array<ArrayBuffer>>(
      {
        pull: async (ctrl) => {
          // The stream's own reader; any other reader taking the body first is body_used.
          it ??= this.#take("body");
          const r = await it.next();
          if (r.done) ctrl.close();
          else ctrl.enqueue(r.value);
        },
        cancel: async () => {
          if (it) await it.return?.();
          else if (this.#state.kind === "unread") await this.close();
        },
      },
      { highWaterMark: 0 },
    );
    return this.#stream;
  }

  /**
   * True once a reader has taken the body (even if it has not finished), or after close() or detach().
   * @example
   * const res = await get("http://127.0.0.1:8080/");
   * console.log(res.bodyUsed); // false
   * await res.text();
   * console.log(res.bodyUsed); // true
   */
  get bodyUsed(): boolean {
    const k = this.#state.kind;
    return k === "reading" || k === "detached" || k === "closed";
  }

  /**
   * Iterates the body chunk by chunk as they arrive (`for await`); throws `body_used` if another reader took
   * the body. A chunk fails with `closed` (partialBody set) when the connection ends early, `recv_timeout` on
   * a stall, `body_too_large` past maxBody, `aborted` when the signal fires. Leaving the loop early drops the
   * connection.
   * @example
   * const res = await get("http://127.0.0.1:8080/log");
   * let n = 0;
   * for await (const chunk of res) n += chunk.byteLength;
   * console.log(`${n} bytes`);
   */
  [Symbol.asyncIterator](): AsyncIterator<Uint8Array<ArrayBuffer>> {
    return this.#take("iteration");
  }

  /**
   * Reads the whole body and resolves to its bytes (hackney:body); the connection then goes back to its pool.
   * Rejects with `body_too_large` past `maxLength` or the request's maxBody (whichever is smaller), `body_used`
   * if the body was already taken, `closed` with `partialBody` when the connection ends early, `recv_timeout`
   * on a stall, `aborted` when the signal fires; with decompress, `bad_response` for a body that will not decode.
   * @example
   * import { get, isHansomError } from "hansom";
   * const res = await get("http://127.0.0.1:8080/");
   * try {
   *   const bytes = await res.bytes({ maxLength: 1_000_000 });
   *   console.log(bytes.byteLength);
   * } catch (e) {
   *   if (isHansomError(e, "closed")) console.log("cut short after", e.partialBody?.byteLength, "bytes");
   *   else throw e;
   * }
   */
  async bytes(opts: ReadOptions = {}): Promise<Uint8Array<ArrayBuffer>> {
    const it = this.#take("bytes()", opts.maxLength);
    if (it instanceof BodyChannel) return it.readAll();
    const parts: Uint8Array<ArrayBuffer>[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) parts.push(r.value);
    return parts.length === 0 ? EMPTY : parts.length === 1 ? parts[0]! : concatBytes(parts);
  }

  /**
   * Reads the whole body and resolves to it decoded as UTF-8 (malformed bytes become U+FFFD); rejects as
   * bytes() does (`body_too_large`, `body_used`, `closed`, `recv_timeout`, `aborted`).
   * @example
   * const res = await get("http://127.0.0.1:8080/");
   * const html = await res.text({ maxLength: 65536 });
   */
  async text(opts: ReadOptions = {}): Promise<string> {
    return utf8.decode(await this.bytes(opts));
  }

  /**
   * Reads the whole body and resolves to it parsed as JSON (the type parameter is not checked); invalid JSON
   * rejects with `bad_response`, and the read rejects as bytes() does (`body_too_large`, `body_used`, `closed`).
   * @example
   * const res = await get("http://127.0.0.1:8080/users/1");
   * const user = await res.json<{ id: number; name: string }>();
   * console.log(user.name);
   */
  async json<T = unknown>(opts: ReadOptions = {}): Promise<T> {
    const text = await this.text(opts);
    try {
      return JSON.parse(text) as T;
    } catch (e) {
      throw new HansomError("bad_response", `The response body is not valid JSON: ${(e as Error).message}`, {
        cause: e,
        phase: "body",
      });
    }
  }

  /**
   * Reads the whole body and resolves to it as an ArrayBuffer; rejects as bytes() does (`body_too_large`,
   * `body_used`, `closed`, `recv_timeout`, `aborted`).
   * @example
   * const res = await get("http://127.0.0.1:8080/image.png");
   * const view = new DataView(await res.arrayBuffer());
   * console.log(view.getUint32(0).toString(16)); // "89504e47"
   */
  async arrayBuffer(opts: ReadOptions = {}): Promise<ArrayBuffer> {
    const b = await this.bytes(opts);
    if (b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && b.buffer instanceof ArrayBuffer) return b.buffer;
    return b.slice().buffer as ArrayBuffer;
  }

  /**
   * Reads the body to its end and discards it (hackney:skip_body), so the connection can go back to its pool;
   * maxBody does not apply. Rejects with `body_used` if the body was already taken, `closed` when the
   * connection ends early, `recv_timeout` on a stall. Use close() instead for a large body you do not want.
   * @example
   * const res = await get("http://127.0.0.1:8080/");
   * if (res.status === 304) await res.skip(); // keep the connection for the next request
   */
  async skip(): Promise<void> {
    const it = this.#take("skip()");
    if (it instanceof BodyChannel) await it.drain();
    else for (let r = await it.next(); !r.done; r = await it.next());
  }

  /**
   * Drops the connection without reading the rest (hackney:close); a reader in progress stops, and any later
   * read is `body_used`. Resolves once the connection is dropped; calling it again does nothing more.
   * @example
   * const res = await get("http://127.0.0.1:8080/huge.iso");
   * if (Number(res.headers.get("content-length")) > 10_000_000) await res.close();
   */
  async close(): Promise<void> {
    const st = this.#state;
    this.#state = { kind: "closed" };
    abandoned.unregister(this);
    switch (st.kind) {
      case "unread":
      case "upgraded":
        st.source.cancel();
        return;
      case "reading":
        if (st.it !== st.channel) await st.it.return?.();
        st.channel?.cancel();
        return;
      case "continued":
        await st.rest.return?.();
        return;
      case "none":
      case "buffered":
      case "detached":
      case "closed":
        return;
    }
  }

  /**
   * Reads a multipart/* body as events (hackney:stream_multipart): `headers` of a part, its `body` chunks,
   * `end_of_part`, `mp_mixed`/`mp_mixed_eof` around a nested multipart/mixed, and `eof`. Throws `bad_response`
   * at once when the Content-Type is not multipart with a boundary, and `body_used` if the body was taken; a
   * malformed body fails the iteration with `bad_response`.
   * @example
   * const res = await get("http://127.0.0.1:8080/parts");
   * for await (const ev of res.multipart()) {
   *   if (ev.type === "headers") console.log(ev.headers);
   *   else if (ev.type === "body") console.log(ev.chunk.byteLength, "bytes");
   * }
   */
  multipart(): AsyncGenerator<ReceivePartEvent> {
    const ct = this.headers.get("content-type");
    const b = boundaryFromContentType(ct);
    if (!b) {
      throw new HansomError("bad_response", `The response is not multipart (Content-Type: ${ct ?? "none"})`, {
        phase: "body",
      });
    }
    const decoder = new MultipartDecoder(this.#take("multipart()"), b, { maxHeaderSize: this.#limits.maxHeaderSize });
    if (this.#state.kind === "reading") this.#state.multipart = decoder;
    return decoder.events();
  }

  /**
   * Discards the rest of the current part's body (hackney:skip_multipart): the next event is its
   * `end_of_part`. Rejects with `body_used` when no multipart() reader is in progress.
   * @example
   * const res = await get("http://127.0.0.1:8080/parts");
   * for await (const ev of res.multipart()) {
   *   if (ev.type === "headers" && !ev.headers.some(([k]) => k.toLowerCase() === "x-wanted")) await res.skipPart();
   * }
   */
  async skipPart(): Promise<void> {
    const st = this.#state;
    if (st.kind !== "reading" || !st.multipart)
      throw new HansomError("body_used", "skipPart() needs a multipart() reader in progress", { phase: "body" });
    await st.multipart.skipPart();
  }

  /**
   * A copy of what is known about the request (hackney:request_info): method, final URL, HTTP version, status,
   * addresses, whether the connection was reused, redirects and attempts, the decoded Content-Encoding, and
   * timings in ms from the start (`total` once the body has been read).
   * @example
   * const res = await get("http://127.0.0.1:8080/");
   * await res.skip();
   * const { reused, timings } = res.info();
   * console.log(reused, timings.connect, timings.firstByte, timings.total);
   */
  info(): RequestInfo {
    return { ...this.#info, timings: { ...this.#info.timings } };
  }

  /**
   * Takes the connection out of hansom's hands (hackney:cancel_request) and resolves to its socket as Web
   * streams, the bytes read ahead but not yet used, and how far the response had got; the pool forgets the
   * connection and the body can no longer be read here. Rejects with `closed` when there is no connection to
   * hand over (no body, or the body already read to its end, closed or detached).
   * @example
   * const res = await get("http://127.0.0.1:8080/chat", { headers: { connection: "upgrade", upgrade: "chat" } });
   * if (res.status === 101) {
   *   const { socket, buffer } = await res.detach();
   *   const writer = socket.writable.getWriter();
   *   await writer.write(new TextEncoder().encode("hello"));
   *   console.log(buffer.byteLength, "bytes already received");
   * }
   */
  async detach(): Promise<Detached> {
    const st = this.#state;
    const reading = st.kind === "reading" && st.channel && !st.channel.finished ? st : null;
    const source = st.kind === "unread" || st.kind === "upgraded" ? st.source : reading ? reading.source : null;
    if (!source)
      throw new HansomError(
        "closed",
        "This response has no connection to detach (no body, or already read, released or closed)",
        { phase: "body" },
      );
    const d = source.detach();
    // Body bytes read ahead but not yet taken by the reader come first, then the raw wire bytes.
    const queued = reading ? reading.channel!.detachQueued() : [];
    this.#state = { kind: "detached" };
    abandoned.unregister(this);
    const state = d.state === "done" ? "on_body" : d.state;
    // Socket adapters read into plain ArrayBuffers, never shared memory.
    const buffer = (queued.length === 0 ? d.buffer : concatBytes([...queued, d.buffer])) as Uint8Array<ArrayBuffer>;
    return { state, socket: detachedSocket(d.socket), buffer };
  }

  async [Symbol.asyncDispose](): Promise<void> {
    const st = this.#state;
    if (st.kind === "reading" && st.channel?.finished) return;
    await this.close();
  }

  /** Hands the body to its one reader; a second reader is body_used. */
  #take(reader: Reader, maxLength?: number): AsyncIterator<Uint8Array<ArrayBuffer>> {
    const st = this.#state;
    const max =
      maxLength !== undefined && (this.#limits.maxBody === undefined || maxLength < this.#limits.maxBody)
        ? maxLength
        : this.#limits.maxBody;
    let it: AsyncIterator<Uint8Array<ArrayBuffer>>;
    let channel: BodyChannel | null = null;
    switch (st.kind) {
      case "reading":
      case "detached":
      case "closed":
        throw new HansomError("body_used", `The response body was already read; ${reader} cannot read it again`, {
          phase: "body",
        });
      case "none":
        it = onceIterator(EMPTY, maxLength);
        break;
      case "upgraded":
        // After 101 the bytes belong to another protocol: reach them with detach().
        it = onceIterator(EMPTY, maxLength);
        break;
      case "buffered":
        it = onceIterator(st.bytes, maxLength);
        break;
      case "continued":
        it = limited(st.rest, max);
        break;
      case "unread": {
        // skip() discards: maxBody guards what a reader keeps, not what it throws away; and
        // with a decoder, maxBody counts decoded bytes, so the channel carries no limit.
        const decoder = reader === "skip()" ? null : (this.#decoder?.() ?? null);
        // bytes() and skip() drive the read to its end themselves: nothing can abandon them
        // half way, so they need no finalization entry (one fewer per request on the hot path).
        const whole = reader === "bytes()" || reader === "skip()";
        const l = this.#limits;
        const ch: BodyChannel = new BodyChannel(st.source, {
          maxBody: reader === "skip()" || decoder ? undefined : max,
          total: l.total,
          onProgress: l.onProgress,
          onEnd: l.onEnd,
          signal: l.signal,
          maxHeaderSize: l.maxHeaderSize,
          onSettle: whole ? undefined : () => abandoned.unregister(ch),
        });
        abandoned.unregister(this);
        // Once a streaming read has started, abandoning the reader must still free the socket;
        // the entry ends with the body so settled exchanges do not linger until a full GC.
        if (!whole) abandoned.register(ch, st.source, ch);
        channel = ch;
        // Decoded chunks come from zlib or DecompressionStream (ArrayBuffer memory), or are the channel's own.
        it = decoder ? (decodeBody(ch, decoder, { maxBody: max }) as AsyncIterator<Uint8Array<ArrayBuffer>>) : ch;
        break;
      }
    }
    this.#state = {
      kind: "reading",
      reader,
      it,
      channel,
      source: st.kind === "unread" ? st.source : null,
      multipart: null,
    };
    return it;
  }

  /** @internal The same response with its body continuing from `prefix`, then `rest` (stopAsync). */
  continued(prefix: Uint8Array<ArrayBuffer>[], rest: AsyncIterator<Uint8Array<ArrayBuffer>> | null): Response {
    const r = new Response({ ...this.#init, source: null });
    if (this.#init.source || this.#init.empty) r.#state = { kind: "continued", rest: chain(prefix, rest) };
    return r;
  }

  /** @internal withBody: read the body now and keep it. */
  async preload(): Promise<void> {
    const b = await this.bytes();
    this.#state = { kind: "buffered", bytes: b, trailers: this.trailers };
  }
}
