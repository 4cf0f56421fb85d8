// Bun adapter: Bun.connect sockets (TLS by Bun's BoringSSL), Bun.file files. The only file in lib/
// that touches Bun APIs. Bun sockets push data to callbacks and their write() takes what the
// kernel accepts and returns the count, so this file adds the flow control RawSocket promises:
// socket.pause()/resume() stop and restart reading at the OS level, and a userland queue holds
// what write() could not take until Bun's drain callback.
// TLS over a TLS socket, which Bun's upgradeTLS cannot do, is node:tls (bun/node-tls.ts).
import { HansomError, abortError } from "../errors.ts";
import type {
  ConnectSpec,
  FileHandle,
  RawSocket,
  SocketAdapter,
  SocketAddress,
  SocketHandler,
  TlsOptions,
  UpgradeSpec,
} from "./socket.ts";
import type { DecoderFactories } from "../decompress.ts";
import { looksIpv6, socketAddress } from "./address.ts";
import { regularFileSize, streamChunks } from "./body-file.ts";
import { ConnectDeadline } from "./connect-deadline.ts";
import { bunSocketError } from "./error-codes.ts";
import { HeldReads } from "./held-reads.ts";
import { TLS_VERSION_NUMBER, alpnWire, caList, pem, sniName } from "./tls-options.ts";
import { WriteQueue, closedWhileWriting } from "./write-queue.ts";
import { nodeTlsOver } from "./bun/node-tls.ts";

import type { BunHandlers, BunSock, BunTlsOptions } from "./bun/api.ts";
import { guarded } from "./bun/api.ts";

declare const Bun: {
  connect(
    o: ({ hostname: string; port: number } | { unix: string }) & {
      tls?: BunTlsOptions;
      socket: BunHandlers;
      allowHalfOpen?: boolean;
    },
  ): Promise<BunSock>;
  file(path: string): { stat(): Promise<{ isFile(): boolean; size: number }>; stream(): ReadableStream<Uint8Array> };
  env: Record<string, string | undefined>;
};

/** The write queue's high-water mark, and the size of file chunks. */
const HIGH_WATER = 64 * 1024;
const FILE_CHUNK = 64 * 1024;

function address(addr: string, port: number, family: string): SocketAddress {
  return socketAddress(addr, port, family === "IPv6" || looksIpv6(addr));
}

function bunTls(o: TlsOptions, host: string, insecure: boolean | undefined): BunTlsOptions {
  const t: BunTlsOptions = {
    rejectUnauthorized: !insecure,
    minVersion: TLS_VERSION_NUMBER[o.minVersion ?? "TLSv1.2"],
  };
  // Verified against servername when given, else against the host dialled (as node.ts does).
  const serverName = sniName(o, host);
  if (serverName !== undefined) t.serverName = serverName;
  const ca = caList(o.ca);
  if (ca !== undefined) t.ca = ca;
  if (o.cert !== undefined) t.cert = pem(o.cert);
  if (o.key !== undefined) t.key = pem(o.key);
  if (o.alpn?.length) t.ALPNProtocols = alpnWire(o.alpn);
  return t;
}

interface Pending {
  resolve(s: RawSocket): void;
  reject(e: HansomError): void;
  deadline: ConnectDeadline;
  what: string;
}

/** One Bun socket, from connect (or TLS upgrade) until closed. */
class BunSocket implements RawSocket {
  readonly secure: boolean;
  /** Set once the handshake is done: what ALPN agreed. */
  alpn: string | null = null;
  #s: BunSock | null = null;
  #remote: SocketAddress = { address: "", port: 0, family: "IPv4" };
  #local: SocketAddress = { address: "", port: 0, family: "IPv4" };
  /** Set while connecting or handshaking: settled by open/handshake, a failure, the timeout or the signal. */
  #pending: Pending | null = null;
  #handler: SocketHandler | null = null;
  #paused = true;
  /** Chunks Bun delivered after pause() (or before a handler was set), the EOF, a failure: handed over on resume. */
  #reads = new HeldReads();
  #closed = false;
  /** Upgraded to TLS: the raw socket's events now belong to the TLS socket. */
  #detached = false;
  /** What write() could not hand to the kernel, until Bun's drain callback. */
  #queue = new WriteQueue(HIGH_WATER);
  #flushWaiters: Array<() => void> = [];

  /** A Unix socket: it has no remote address to read. */
  readonly #unix: boolean;
  /** TLS verification is off (insecure): a handshake that failed only verification is good. */
  insecure = false;

  constructor(secure: boolean, unix = false) {
    this.secure = secure;
    this.#unix = unix;
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
    return guarded(this.#handlersRaw(), (err) => this.#onError(err));
  }

  #handlersRaw(): BunHandlers {
    return {
      binaryType: "uint8array",
      open: (s) => {
        this.attach(s);
        // Plain TCP is ready now; TLS waits for the handshake (a paused socket would stall it).
        if (!this.secure) this.#ready();
      },
      handshake: (s, ok, err) => {
        // With insecure, Bun still reports a failed verification (another host's certificate)
        // as an unsuccessful handshake, though it completed: verification is what was waived.
        if (ok || (this.insecure && s.authorized === false && err !== null)) this.#ready();
        else
          this.failConnect(
            bunSocketError(err ?? new Error("handshake failed"), true, this.#pending?.what ?? "TLS handshake failed"),
          );
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
      const deadline = new ConnectDeadline(timeout, signal, what, (e) => this.failConnect(e));
      this.#pending = { resolve, reject, deadline, what };
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
      p.deadline.clear();
    }
    return p;
  }

  #ready(): void {
    const s = this.#s;
    const pending = this.#pending;
    if (!s || this.#closed || !pending) return;
    // Everything that can throw runs before the deadline is cleared, so a failure here (Bun
    // reports no address once the peer has reset the socket) rejects the connect instead of
    // leaving it unsettled with no timer left to end it.
    try {
      s.pause();
      s.setNoDelay(true);
      if (s.remoteAddress === undefined && !this.#unix) {
        throw Object.assign(new Error("the peer reset the connection as it opened (ECONNRESET)"), {
          code: "ECONNRESET",
        });
      }
      this.#remote = address(s.remoteAddress, s.remotePort, s.remoteFamily);
      this.#local = address(s.localAddress, s.localPort, s.localFamily);
      if (this.secure) this.alpn = typeof s.alpnProtocol === "string" && s.alpnProtocol !== "" ? s.alpnProtocol : null;
    } catch (err) {
      this.failConnect(bunSocketError(err, this.secure, pending.what));
      return;
    }
    this.#settle()?.resolve(this);
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
    if (this.#paused || !this.#handler || this.#reads.holding) this.#reads.hold(chunk);
    else this.#handler.data(chunk);
  }

  #onEnd(): void {
    if (this.#detached || this.#reads.eof) return;
    this.#reads.setEof();
    if (!this.#paused) this.#flushHeld();
  }

  #onClose(err: Error | undefined): void {
    if (this.#detached) return;
    if (this.#pending) {
      const what = this.#pending.what;
      this.failConnect(bunSocketError(err ?? new Error("connection closed"), this.secure, what));
      return;
    }
    if (this.#closed) return;
    if (err) {
      this.#onError(err);
      return;
    }
    this.#closed = true;
    this.#queue.clear(closedWhileWriting());
    // A close with neither FIN nor error still ends the stream.
    this.#onEnd();
  }

  #onError(err: Error): void {
    if (this.#detached) return;
    if (this.#pending) {
      this.failConnect(bunSocketError(err, this.secure, this.#pending.what));
      return;
    }
    if (this.#reads.error || this.#closed) return;
    const e = bunSocketError(err, false, "Socket error");
    this.#reads.setError(e);
    this.#closed = true;
    this.#s?.terminate();
    this.#queue.clear(e);
    if (this.#handler) this.#reads.deliverError(this.#handler);
  }

  setHandler(handler: SocketHandler): void {
    this.#handler = handler;
    if (!this.#reads.deliverError(handler) && !this.#paused) this.#flushHeld();
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
  #isPaused = (): boolean => this.#paused;

  /** Delivers chunks held while paused, then the EOF, stopping if the handler pauses again; nothing after a failure. */
  #flushHeld(): void {
    const h = this.#handler;
    if (!h || this.#reads.error) return;
    if (this.#reads.deliverChunks(h, this.#isPaused)) this.#reads.deliverEnd(h);
  }

  write(chunk: Uint8Array): boolean {
    const s = this.#s;
    if (!s || this.#closed || this.#detached) return false;
    let rest = chunk;
    if (this.#queue.empty) {
      const n = s.write(chunk);
      if (n < 0) return false;
      if (n === chunk.byteLength) return true;
      rest = chunk.subarray(n);
    }
    return this.#queue.push(rest);
  }

  /** Bun's drain callback: the kernel takes more, so write the queue out. */
  #flush(): void {
    const s = this.#s;
    if (!s || this.#detached) return;
    while (!this.#queue.empty) {
      const head = this.#queue.head();
      const n = s.write(head);
      if (n <= 0) break;
      this.#queue.wrote(head, n);
      if (n < head.byteLength) break;
    }
    this.#queue.resolveDrained();
    if (this.#queue.empty && this.#flushWaiters.length > 0) this.#flushed();
  }

  /** Wakes startTls(), which waits for the plain socket's queue to go out. */
  #flushed(): void {
    const w = this.#flushWaiters;
    this.#flushWaiters = [];
    for (const f of w) f();
  }

  drain(): Promise<void> {
    if (this.#reads.error) return Promise.reject(this.#reads.error);
    if (this.#closed) return Promise.reject(closedWhileWriting());
    return this.#queue.drained();
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
    this.#queue.clear(new HansomError("closed", "Socket destroyed while writing"));
    this.#flushed();
  }

  async startTls(spec: UpgradeSpec): Promise<RawSocket> {
    const what = `TLS handshake with ${spec.host} failed`;
    if (spec.signal?.aborted) throw abortError(spec.signal);
    // Bytes still queued for the plain socket go out before the ClientHello.
    if (!this.#queue.empty && !this.#closed) await new Promise<void>((r) => this.#flushWaiters.push(r));
    const s = this.#s;
    if (!s || this.#closed) throw new HansomError("closed", `${what}: socket closed`);
    // upgradeTLS cannot wrap a TLS socket (TLS inside TLS, through an https:// proxy): node:tls
    // runs over this socket instead, which keeps it (and its flow control) underneath.
    if (this.secure) return nodeTlsOver(this, spec, what);
    this.#detached = true;
    this.#handler = null;
    const next = new BunSocket(true);
    next.insecure = !!spec.insecure;
    const ready = next.connecting(spec.timeout, spec.signal, what);
    try {
      const [, t] = s.upgradeTLS({ tls: bunTls(spec.tls, spec.host, spec.insecure), socket: next.handlers() });
      next.attach(t);
    } catch (err) {
      s.terminate();
      next.failConnect(bunSocketError(err, true, what));
    }
    return ready;
  }
}

let decoders: Promise<DecoderFactories> | undefined;

export const bunSockets: SocketAdapter = {
  runtime: "bun",
  connect(spec: ConnectSpec): Promise<RawSocket> {
    if (spec.signal?.aborted) return Promise.reject(abortError(spec.signal));
    const what =
      spec.path !== undefined
        ? `Connecting to the Unix socket ${spec.path} failed`
        : `Connecting to ${spec.host}:${spec.port} failed`;
    const sock = new BunSocket(!!spec.tls, spec.path !== undefined);
    sock.insecure = !!spec.insecure;
    const ready = sock.connecting(spec.timeout, spec.signal, what);
    try {
      Bun.connect({
        ...(spec.path !== undefined ? { unix: spec.path } : { hostname: spec.host, port: spec.port }),
        tls: spec.tls ? bunTls(spec.tls, spec.host, spec.insecure) : undefined,
        socket: sock.handlers(),
      }).then(
        (s) => sock.attach(s),
        (err: unknown) => sock.failConnect(bunSocketError(err, false, what)),
      );
    } catch (err) {
      // Bun rejects bad TLS material (an unparsable CA, key or certificate) synchronously.
      sock.failConnect(bunSocketError(err, !!spec.tls, what));
    }
    return ready;
  },
  // Loaded once: every request with decompress: true (every hansom/fetch call) asks for them.
  decoders: () => (decoders ??= import("./bun/decompress.ts").then((m) => m.zlibDecoders())),
  env(name: string): string | undefined {
    return Bun.env[name];
  },
  async openFile(path: string): Promise<FileHandle> {
    const file = Bun.file(path);
    const size = await regularFileSize(path, async () => {
      const st = await file.stat();
      return { isFile: st.isFile(), size: st.size };
    });
    // Bun reads files in chunks up to 512 KiB; hand them on in 64 KiB views as node.ts does.
    return { size, chunks: () => streamChunks(path, () => file.stream(), FILE_CHUNK) };
  },
};
