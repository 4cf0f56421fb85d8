// Bun adapter: Bun.connect sockets (TLS by Bun's BoringSSL), Bun.file files. The only file in lib/
// that touches Bun APIs. Bun sockets push data to callbacks and their write() takes what the
// kernel accepts and returns the count, so this file adds the flow control RawSocket promises:
// socket.pause()/resume() stop and restart reading at the OS level, and a userland queue holds
// what write() could not take until Bun's drain callback.
import { HansomError, abortError } from "../errors.ts";
import type { HansomErrorCode, HansomErrorPhase } from "../errors.ts";
import type {
  ConnectSpec, FileHandle, RawSocket, SocketAdapter, SocketAddress, SocketHandler, TlsOptions, UpgradeSpec,
} from "./socket.ts";

// The slice of Bun's API used here, declared locally so `tsc` with Node types checks it.
interface BunTlsOptions {
  ca?: string[];
  cert?: string;
  key?: string;
  serverName?: string;
  rejectUnauthorized: boolean;
  /** A protocol version number: 0x0303 is TLS 1.2. */
  minVersion: number;
  /** ALPN in wire format: length-prefixed names. */
  ALPNProtocols?: Uint8Array;
}
interface BunSock {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly localFamily: string;
  /** Bytes the kernel took (0 when full), or -1 once closed. Nothing is buffered. */
  write(data: Uint8Array): number;
  pause(): void;
  resume(): void;
  terminate(): void;
  setNoDelay(noDelay?: boolean): boolean;
  ref(): void;
  unref(): void;
  upgradeTLS(o: { tls: BunTlsOptions; socket: BunHandlers }): [BunSock, BunSock];
}
interface BunHandlers {
  binaryType: "uint8array";
  open(s: BunSock): void;
  handshake(s: BunSock, success: boolean, authorizationError: Error | null): void;
  data(s: BunSock, chunk: Uint8Array): void;
  drain(s: BunSock): void;
  end(s: BunSock): void;
  close(s: BunSock, err?: Error): void;
  error(s: BunSock, err: Error): void;
  connectError(s: BunSock, err: Error): void;
}
declare const Bun: {
  connect(o: { hostname: string; port: number; tls?: BunTlsOptions; socket: BunHandlers; allowHalfOpen?: boolean }): Promise<BunSock>;
  file(path: string): { stat(): Promise<{ isFile(): boolean; size: number }>; stream(): ReadableStream<Uint8Array> };
  env: Record<string, string | undefined>;
};

/** The write queue's high-water mark, and the size of file chunks. */
const HIGH_WATER = 64 * 1024;
const FILE_CHUNK = 64 * 1024;
const TLS_VERSION = { TLSv1: 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303, "TLSv1.3": 0x0304 } as const;
const TLS_CODE = /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|HOSTNAME_MISMATCH|ERR_OSSL)/;

/** Maps a Bun socket error (Node-style `code`) to a HansomError code. */
function codeOf(err: unknown, handshake: boolean): HansomErrorCode {
  const e = err as { code?: string; message?: string } | null;
  const c = e?.code ?? "";
  if (c === "ECONNREFUSED") return "econnrefused";
  if (c === "ENOTFOUND" || c === "EAI_AGAIN" || c === "EAI_NONAME") return "nxdomain";
  if (handshake || TLS_CODE.test(c)) return "tls_error";
  if (c === "ECONNRESET" || c === "EPIPE") return "econnreset";
  return "closed";
}

function toHansom(err: unknown, handshake: boolean, what: string): HansomError {
  if (err instanceof HansomError) return err;
  const code = codeOf(err, handshake);
  const phase: HansomErrorPhase | undefined = code === "tls_error" ? "tls" : handshake ? "connect" : undefined;
  return new HansomError(code, `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err, phase });
}

function address(addr: string, port: number, family: string): SocketAddress {
  return { address: addr, port, family: family === "IPv6" || addr.includes(":") ? "IPv6" : "IPv4" };
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();
function pem(v: string | Uint8Array): string {
  return typeof v === "string" ? v : decoder.decode(v);
}
function isIpLiteral(host: string): boolean {
  return host.includes(":") || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

function bunTls(o: TlsOptions, host: string, insecure: boolean | undefined): BunTlsOptions {
  const t: BunTlsOptions = {
    rejectUnauthorized: !insecure,
    minVersion: TLS_VERSION[o.minVersion ?? "TLSv1.2"],
  };
  // Verified against servername when given, else against the host dialled (as node.ts does).
  const serverName = o.servername ?? (isIpLiteral(host) ? undefined : host);
  if (serverName !== undefined) t.serverName = serverName;
  if (o.ca !== undefined) t.ca = (Array.isArray(o.ca) ? o.ca : [o.ca]).map(pem);
  if (o.cert !== undefined) t.cert = pem(o.cert);
  if (o.key !== undefined) t.key = pem(o.key);
  if (o.alpn?.length) {
    const names = o.alpn.map((p) => encoder.encode(p));
    const wire = new Uint8Array(names.reduce((n, b) => n + 1 + b.byteLength, 0));
    let at = 0;
    for (const b of names) {
      wire[at++] = b.byteLength;
      wire.set(b, at);
      at += b.byteLength;
    }
    t.ALPNProtocols = wire;
  }
  return t;
}

interface Pending {
  resolve(s: RawSocket): void;
  reject(e: HansomError): void;
  timer: ReturnType<typeof setTimeout>;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  what: string;
}

/** One Bun socket, from connect (or TLS upgrade) until closed. */
class BunSocket implements RawSocket {
  readonly secure: boolean;
  #s: BunSock | null = null;
  #remote: SocketAddress = { address: "", port: 0, family: "IPv4" };
  #local: SocketAddress = { address: "", port: 0, family: "IPv4" };
  /** Set while connecting or handshaking: settled by open/handshake, a failure, the timeout or the signal. */
  #pending: Pending | null = null;
  #handler: SocketHandler | null = null;
  #paused = true;
  /** Chunks Bun delivered after pause() (or before a handler was set): handed over on resume. */
  #held: Uint8Array[] = [];
  #eof = false;
  #endDelivered = false;
  #error: HansomError | null = null;
  #errorDelivered = false;
  #closed = false;
  /** Upgraded to TLS: the raw socket's events now belong to the TLS socket. */
  #detached = false;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #drainWaiters: Array<{ resolve: () => void; reject: (e: HansomError) => void }> = [];
  #flushWaiters: Array<() => void> = [];

  constructor(secure: boolean) {
    this.secure = secure;
  }

  get remote(): SocketAddress {
    return this.#remote;
  }
  get local(): SocketAddress {
    return this.#local;
  }
  get closed(): boolean {
    return this.#closed;
  }

  /** The callbacks Bun calls for this socket. */
  handlers(): BunHandlers {
    return {
      binaryType: "uint8array",
      open: (s) => {
        this.attach(s);
        // Plain TCP is ready now; TLS waits for the handshake (a paused socket would stall it).
        if (!this.secure) this.#ready();
      },
      handshake: (_s, ok, err) => {
        if (ok) this.#ready();
        else this.failConnect(toHansom(err ?? new Error("handshake failed"), true, this.#pending?.what ?? "TLS handshake failed"));
      },
      data: (_s, d) => this.#onData(d),
      drain: () => this.#flush(),
      end: () => this.#onEnd(),
      close: (_s, err) => this.#onClose(err),
      error: (_s, err) => this.#onError(err),
      connectError: () => {}, // Bun.connect rejects too: handled there
    };
  }

  /** Arms the connect/handshake deadline; the promise settles once. */
  connecting(timeout: number, signal: AbortSignal | undefined, what: string): Promise<RawSocket> {
    return new Promise<RawSocket>((resolve, reject) => {
      const onAbort = (): void => this.failConnect(abortError(signal));
      const timer = setTimeout(
        () => this.failConnect(new HansomError("connect_timeout", `${what}: no connection within ${timeout} ms (connectTimeout)`, { phase: "connect" })),
        timeout,
      );
      this.#pending = { resolve, reject, timer, signal, onAbort, what };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }

  attach(s: BunSock): void {
    if (this.#closed) {
      s.terminate(); // lost the race with the timeout or the signal
      return;
    }
    this.#s = s;
  }

  #settle(): Pending | null {
    const p = this.#pending;
    if (p) {
      this.#pending = null;
      clearTimeout(p.timer);
      p.signal?.removeEventListener("abort", p.onAbort);
    }
    return p;
  }

  #ready(): void {
    const s = this.#s;
    if (!s || this.#closed) return;
    const p = this.#settle();
    if (!p) return;
    s.pause();
    s.setNoDelay(true);
    this.#remote = address(s.remoteAddress, s.remotePort, s.remoteFamily);
    this.#local = address(s.localAddress, s.localPort, s.localFamily);
    p.resolve(this);
  }

  failConnect(e: HansomError): void {
    const p = this.#settle();
    if (!p) return;
    this.#closed = true;
    this.#s?.terminate();
    p.reject(e);
  }

  #onData(d: Uint8Array): void {
    if (this.#detached || this.#closed) return;
    // Bun hands each callback a fresh buffer; make it a plain Uint8Array if it came as a Buffer.
    const chunk = d.constructor === Uint8Array ? d : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    if (this.#paused || !this.#handler || this.#held.length > 0) this.#held.push(chunk);
    else this.#handler.data(chunk);
  }

  #onEnd(): void {
    if (this.#detached || this.#eof) return;
    this.#eof = true;
    if (!this.#paused) this.#flushHeld();
  }

  #onClose(err: Error | undefined): void {
    if (this.#detached) return;
    if (this.#pending) {
      const what = this.#pending.what;
      this.failConnect(toHansom(err ?? new Error("connection closed"), this.secure, what));
      return;
    }
    if (this.#closed) return;
    if (err) {
      this.#onError(err);
      return;
    }
    this.#closed = true;
    this.#queue = [];
    this.#queued = 0;
    this.#settleDrain(new HansomError("closed", "Socket closed while writing"));
    // A close with neither FIN nor error still ends the stream.
    this.#onEnd();
  }

  #onError(err: Error): void {
    if (this.#detached) return;
    if (this.#pending) {
      this.failConnect(toHansom(err, this.secure, this.#pending.what));
      return;
    }
    if (this.#error || this.#closed) return;
    const e = toHansom(err, false, "Socket error");
    this.#error = e;
    this.#closed = true;
    this.#s?.terminate();
    this.#queue = [];
    this.#queued = 0;
    this.#settleDrain(e);
    if (this.#handler) {
      this.#errorDelivered = true;
      this.#handler.error(e);
    }
  }

  setHandler(handler: SocketHandler): void {
    this.#handler = handler;
    if (this.#error && !this.#errorDelivered) {
      this.#errorDelivered = true;
      handler.error(this.#error);
    } else if (!this.#paused) this.#flushHeld();
  }
  pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    if (!this.#closed) this.#s?.pause();
  }
  resume(): void {
    if (this.#detached || !this.#paused) return;
    this.#paused = false;
    this.#flushHeld();
    if (!this.#paused && !this.#closed) this.#s?.resume();
  }

  /** Delivers chunks held while paused, then the EOF, stopping if the handler pauses again. */
  #flushHeld(): void {
    const h = this.#handler;
    if (!h || this.#error) return;
    while (this.#held.length > 0) {
      h.data(this.#held.shift()!);
      if (this.#paused) return;
    }
    if (this.#eof && !this.#endDelivered) {
      this.#endDelivered = true;
      h.end();
    }
  }

  write(chunk: Uint8Array): boolean {
    const s = this.#s;
    if (!s || this.#closed || this.#detached) return false;
    let rest = chunk;
    if (this.#queue.length === 0) {
      const n = s.write(chunk);
      if (n < 0) return false;
      if (n === chunk.byteLength) return true;
      rest = chunk.subarray(n);
    }
    if (rest.byteLength > 0) {
      this.#queue.push(rest);
      this.#queued += rest.byteLength;
    }
    return this.#queued < HIGH_WATER;
  }

  /** Bun's drain callback: the kernel takes more, so write the queue out. */
  #flush(): void {
    const s = this.#s;
    if (!s || this.#detached) return;
    while (this.#queue.length > 0) {
      const head = this.#queue[0]!;
      const n = s.write(head);
      if (n <= 0) break;
      this.#queued -= n;
      if (n < head.byteLength) {
        this.#queue[0] = head.subarray(n);
        break;
      }
      this.#queue.shift();
    }
    if (this.#queued < HIGH_WATER) this.#settleDrain(null);
    if (this.#queue.length === 0 && this.#flushWaiters.length > 0) {
      const w = this.#flushWaiters;
      this.#flushWaiters = [];
      for (const f of w) f();
    }
  }

  drain(): Promise<void> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#closed) return Promise.reject(new HansomError("closed", "Socket closed while writing"));
    if (this.#queued < HIGH_WATER) return Promise.resolve();
    return new Promise((resolve, reject) => this.#drainWaiters.push({ resolve, reject }));
  }

  #settleDrain(err: HansomError | null): void {
    const waiters = this.#drainWaiters;
    if (waiters.length === 0) return;
    this.#drainWaiters = [];
    for (const w of waiters) {
      if (err) w.reject(err);
      else w.resolve();
    }
  }

  unref(): void {
    this.#s?.unref();
  }
  ref(): void {
    this.#s?.ref();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#detached) this.#s?.terminate();
    this.#queue = [];
    this.#queued = 0;
    this.#settleDrain(new HansomError("closed", "Socket destroyed while writing"));
    const w = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const f of w) f();
  }

  async startTls(spec: UpgradeSpec): Promise<RawSocket> {
    const what = `TLS handshake with ${spec.host} failed`;
    if (spec.signal?.aborted) throw abortError(spec.signal);
    // Bytes still queued for the plain socket go out before the ClientHello.
    if (this.#queue.length > 0 && !this.#closed) await new Promise<void>((r) => this.#flushWaiters.push(r));
    const s = this.#s;
    if (!s || this.#closed) throw new HansomError("closed", `${what}: socket closed`);
    this.#detached = true;
    this.#handler = null;
    const next = new BunSocket(true);
    const ready = next.connecting(spec.timeout, spec.signal, what);
    try {
      const [, t] = s.upgradeTLS({ tls: bunTls(spec.tls, spec.host, spec.insecure), socket: next.handlers() });
      next.attach(t);
    } catch (err) {
      s.terminate();
      next.failConnect(toHansom(err, true, what));
    }
    return ready;
  }
}

function fileError(path: string, err: unknown): HansomError {
  return new HansomError("file_error", `Cannot read body file ${path}: ${(err as Error)?.message ?? String(err)}`, { cause: err, phase: "input" });
}

export const bunSockets: SocketAdapter = {
  runtime: "bun",
  connect(spec: ConnectSpec): Promise<RawSocket> {
    if (spec.signal?.aborted) return Promise.reject(abortError(spec.signal));
    const what = `Connecting to ${spec.host}:${spec.port} failed`;
    const sock = new BunSocket(!!spec.tls);
    const ready = sock.connecting(spec.timeout, spec.signal, what);
    try {
      Bun.connect({
        hostname: spec.host,
        port: spec.port,
        tls: spec.tls ? bunTls(spec.tls, spec.host, spec.insecure) : undefined,
        socket: sock.handlers(),
      }).then((s) => sock.attach(s), (err: unknown) => sock.failConnect(toHansom(err, false, what)));
    } catch (err) {
      // Bun rejects bad TLS material (an unparsable CA, key or certificate) synchronously.
      sock.failConnect(toHansom(err, !!spec.tls, what));
    }
    return ready;
  },
  env(name: string): string | undefined {
    return Bun.env[name];
  },
  async openFile(path: string): Promise<FileHandle> {
    const file = Bun.file(path);
    let size: number;
    try {
      const st = await file.stat();
      if (!st.isFile()) throw new Error("not a regular file");
      size = st.size;
    } catch (err) {
      throw fileError(path, err);
    }
    return {
      size,
      async *chunks() {
        const reader = file.stream().getReader();
        let done = false;
        try {
          while (!done) {
            let r: ReadableStreamReadResult<Uint8Array>;
            try {
              r = await reader.read();
            } catch (err) {
              done = true;
              throw fileError(path, err);
            }
            done = r.done;
            if (r.done) return;
            // Bun reads files in chunks up to 512 KiB; hand them on in 64 KiB views as node.ts does.
            const c = r.value;
            for (let at = 0; at < c.byteLength; at += FILE_CHUNK) {
              yield new Uint8Array(c.buffer, c.byteOffset + at, Math.min(FILE_CHUNK, c.byteLength - at));
            }
          }
        } finally {
          // Stopped early (the consumer broke off): close the file.
          if (!done) await reader.cancel().catch(() => {});
        }
      },
    };
  },
};
