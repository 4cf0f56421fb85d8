// Test doubles for driving a connection with no network. MemorySocket is a RawSocket whose far
// end is the test: it records every write, delivers what the test pushes (held while paused,
// then EOF, as the adapters do), and stages on cue what a real peer cannot: a failure, write
// backpressure that drains only when told, an EOF at an exact byte. RecordingSink is the
// BodySink a Response would be, with its data() verdict in the test's hands.
import { HansomError } from "../../lib/errors.ts";
import type { BodySink } from "../../lib/exchange.ts";
import type { RawSocket, SocketAddress, SocketHandler } from "../../lib/runtime/socket.ts";

/** Latin-1 bytes of `s`, so a fixture can hold any byte. */
export function latin1(s: string): Uint8Array {
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/** `b` as a Latin-1 string (every byte one character). */
export function latin1Text(b: Uint8Array): string {
  let s = "";
  for (let i = 0; i < b.length; i += 4096) s += String.fromCharCode(...b.subarray(i, i + 4096));
  return s;
}

interface DrainWaiter {
  resolve(): void;
  reject(e: HansomError): void;
}

/** A RawSocket whose far end is the test. Delivery is synchronous, as Bun's adapter does it. */
export class MemorySocket implements RawSocket {
  readonly remote: SocketAddress = { address: "127.0.0.1", port: 8080, family: "IPv4" };
  readonly local: SocketAddress = { address: "127.0.0.1", port: 50000, family: "IPv4" };
  readonly secure = false;
  readonly alpn = null;
  /** Every chunk write() took, in order (copies). */
  readonly writes: Uint8Array[] = [];
  /** How many times destroy() was called (it is idempotent; every call counts). */
  destroyCount = 0;
  /** ref() and unref() calls, in order. */
  readonly refCalls: Array<"ref" | "unref"> = [];
  #handler: SocketHandler | null = null;
  #paused = true;
  #held: Uint8Array[] = [];
  #eof = false;
  #eofDelivered = false;
  #closed = false;
  #backpressure = false;
  #drainWaiters: DrainWaiter[] = [];

  get closed(): boolean {
    return this.#closed;
  }
  /** True while reads are stopped (it starts paused, as every adapter does). */
  get paused(): boolean {
    return this.#paused;
  }
  /** Bytes pushed by the test and not yet handed to the handler. */
  get heldBytes(): number {
    let n = 0;
    for (const c of this.#held) n += c.byteLength;
    return n;
  }
  /** Everything written so far, joined. */
  written(): Uint8Array {
    const out = new Uint8Array(this.writes.reduce((n, c) => n + c.byteLength, 0));
    let off = 0;
    for (const c of this.writes) {
      out.set(c, off);
      off += c.byteLength;
    }
    return out;
  }
  /** Everything written so far, as Latin-1 text. */
  text(): string {
    return latin1Text(this.written());
  }

  // --- the server side, driven by the test ---

  /** The peer sends `data` as one chunk (a string is Latin-1); lost if the socket is closed. */
  serverSend(data: string | Uint8Array): void {
    if (this.#eof) throw new Error("MemorySocket: serverSend after serverEnd");
    if (this.#closed) return;
    this.#held.push(typeof data === "string" ? latin1(data) : data.slice());
    this.#flush();
  }
  /** The peer closes its side: EOF, delivered after the held bytes, once resumed. */
  serverEnd(): void {
    this.#eof = true;
    this.#flush();
  }
  /** The socket fails: reported at once (paused or not), held bytes dropped, socket closed. */
  serverError(err: HansomError = new HansomError("econnreset", "Connection reset by peer")): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#held = [];
    this.#rejectDrains(err);
    this.#handler?.error(err);
  }
  /** From now on write() returns false and drain() waits until releaseDrain(). */
  blockWrites(): void {
    this.#backpressure = true;
  }
  /** Ends the backpressure: write() returns true again and pending drain() calls resolve. */
  releaseDrain(): void {
    this.#backpressure = false;
    const w = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const d of w) d.resolve();
  }

  // --- RawSocket ---

  setHandler(handler: SocketHandler): void {
    this.#handler = handler;
    this.#flush();
  }
  pause(): void {
    this.#paused = true;
  }
  resume(): void {
    if (this.#closed) return;
    this.#paused = false;
    this.#flush();
  }
  write(chunk: Uint8Array): boolean {
    if (this.#closed) return false;
    this.writes.push(chunk.slice());
    return !this.#backpressure;
  }
  drain(): Promise<void> {
    if (this.#closed) return Promise.reject(new HansomError("closed", "Socket closed while writing"));
    if (!this.#backpressure) return Promise.resolve();
    return new Promise((resolve, reject) => this.#drainWaiters.push({ resolve, reject }));
  }
  unref(): void {
    this.refCalls.push("unref");
  }
  ref(): void {
    this.refCalls.push("ref");
  }
  destroy(): void {
    this.destroyCount++;
    if (this.#closed) return;
    this.#closed = true;
    this.#held = [];
    this.#rejectDrains(new HansomError("closed", "Socket destroyed while writing"));
  }
  startTls(): Promise<RawSocket> {
    return Promise.reject(new HansomError("tls_error", "MemorySocket does not do TLS"));
  }

  /** Hands held chunks, then the EOF, to the handler while resumed; stops as soon as it pauses. */
  #flush(): void {
    while (this.#held.length > 0) {
      const h = this.#handler;
      if (!h || this.#paused || this.#closed) return;
      h.data(this.#held.shift()!);
    }
    if (this.#eof && !this.#eofDelivered && this.#handler && !this.#paused && !this.#closed) {
      this.#eofDelivered = true;
      this.#handler.end();
    }
  }

  #rejectDrains(e: HansomError): void {
    const w = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const d of w) d.reject(e);
  }
}

/** A BodySink that keeps what it gets; `accept` is what data() returns (false: pause me). */
export class RecordingSink implements BodySink {
  readonly chunks: Uint8Array[] = [];
  accept = true;
  /** The trailers end() got (null: none); undefined until end(). */
  trailers: Array<[string, string]> | null | undefined = undefined;
  err: HansomError | null = null;
  /** Settles on end() or error(), whichever comes. */
  readonly done: Promise<void>;
  #settle!: () => void;
  #ends = 0;

  constructor() {
    this.done = new Promise((resolve) => (this.#settle = resolve));
  }
  /** How many times end() or error() was called (a sink must hear at most one). */
  get ends(): number {
    return this.#ends;
  }
  /** The body so far, as Latin-1 text. */
  get text(): string {
    return this.chunks.map(latin1Text).join("");
  }
  data(chunk: Uint8Array): boolean {
    // The connection hands views of its read chunks: keep a copy.
    this.chunks.push(chunk.slice());
    return this.accept;
  }
  end(trailers: Array<[string, string]> | null): void {
    this.#ends++;
    this.trailers = trailers;
    this.#settle();
  }
  error(err: HansomError): void {
    this.#ends++;
    this.err = err;
    this.#settle();
  }
}

/** `p`, or a rejection naming `what` if it has not settled within `ms`: specs stay bounded. */
export async function within<T>(p: Promise<T>, what: string, ms = 2000): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(t);
  }
}

/** One macrotask turn: every pending microtask (async send steps) has run after it. */
export function turn(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 0));
}

/** An abort signal that counts its live "abort" listeners (a fired once-listener is gone). */
export function countedSignal(): { controller: AbortController; signal: AbortSignal; listeners(): number } {
  const controller = new AbortController();
  const signal = controller.signal;
  const live = new Map<unknown, boolean>();
  // Registered first, so it runs before the others: once-listeners are dropped as they fire.
  signal.addEventListener("abort", () => {
    for (const [l, once] of live) if (once) live.delete(l);
  });
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((
    type: string,
    l: EventListenerOrEventListenerObject | null,
    o?: boolean | AddEventListenerOptions,
  ) => {
    if (type === "abort" && l) live.set(l, typeof o === "object" && o.once === true);
    if (l) add(type, l, o);
  }) as AbortSignal["addEventListener"];
  signal.removeEventListener = ((
    type: string,
    l: EventListenerOrEventListenerObject | null,
    o?: boolean | EventListenerOptions,
  ) => {
    if (type === "abort") live.delete(l);
    if (l) remove(type, l, o);
  }) as AbortSignal["removeEventListener"];
  return { controller, signal, listeners: () => live.size };
}
