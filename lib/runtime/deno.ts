// Deno adapter: Deno.connect / Deno.startTls / Deno.connectTls sockets, Deno.open files. The only
// file in lib/ that touches Deno APIs. Reading is a loop of conn.read() that stops while paused;
// writing goes through a userland queue (conn.write() is a promise that may write part).
// Deno's own TLS (rustls) cannot skip certificate verification per connection, present a client
// certificate on an upgraded socket, set a TLS 1.3 floor, or upgrade a connection with a read in
// flight; those cases run Deno's node:tls over this adapter's TCP socket (see nodeTlsOver below).
// Two more limits of rustls: `tls.ca` adds to the root store instead of replacing it, and
// nothing older than TLS 1.2 is spoken.
import { HansomError, abortError } from "../errors.ts";
import type { HansomErrorCode, HansomErrorPhase } from "../errors.ts";
import type {
  ConnectSpec, FileHandle, RawSocket, SocketAdapter, SocketAddress, SocketHandler, TlsOptions, UpgradeSpec,
} from "./socket.ts";
import type { Duplex } from "node:stream";
import type { ConnectionOptions, TLSSocket } from "node:tls";

// The slice of the Deno namespace used here, declared locally so `tsc` with Node types checks it.
interface DenoNetAddr {
  hostname: string;
  port: number;
}
interface DenoConn {
  readonly localAddr: DenoNetAddr;
  readonly remoteAddr: DenoNetAddr;
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
  ref(): void;
  unref(): void;
}
interface DenoTlsConn extends DenoConn {
  handshake(): Promise<{ alpnProtocol: string | null }>;
}
interface DenoTlsBase {
  caCerts?: string[];
  alpnProtocols?: string[];
}
interface DenoFile {
  read(p: Uint8Array): Promise<number | null>;
  close(): void;
}
declare const Deno: {
  connect(o: { hostname: string; port: number; transport?: "tcp"; signal?: AbortSignal }): Promise<DenoConn>;
  connectTls(o: DenoTlsBase & { hostname: string; port: number; cert?: string; key?: string }): Promise<DenoTlsConn>;
  startTls(conn: DenoConn, o: DenoTlsBase & { hostname: string }): Promise<DenoTlsConn>;
  open(path: string, o: { read: true }): Promise<DenoFile>;
  stat(path: string): Promise<{ isFile: boolean; size: number }>;
  env: { get(name: string): string | undefined };
};

/** Bytes asked of each read, and the write queue's high-water mark. */
const CHUNK = 64 * 1024;
const HIGH_WATER = 64 * 1024;
/** Reads shorter than this are copied out of the scratch buffer; longer ones take it over. */
const COPY_BELOW = 16 * 1024;
/** Queued writes shorter than this are merged into one write call. */
const MERGE_BELOW = 16 * 1024;

const DNS_FAILURE = /failed to lookup address|name or service not known|no address associated|nodename nor servname/i;
const NODE_TLS_CODE = /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|HOSTNAME_MISMATCH|ERR_OSSL)/;

/** Maps a Deno (or Deno node:tls) error to a HansomError code; `handshake` marks the TLS phase. */
function codeOf(err: unknown, handshake: boolean): HansomErrorCode {
  const e = err as { name?: string; code?: string; message?: string } | null;
  const name = e?.name ?? "";
  const code = e?.code ?? "";
  const msg = e?.message ?? "";
  if (name === "ConnectionRefused" || code === "ECONNREFUSED") return "econnrefused";
  if (DNS_FAILURE.test(msg) || code === "ENOTFOUND" || code === "EAI_AGAIN") return "nxdomain";
  if (name === "ConnectionReset" || name === "BrokenPipe" || name === "ConnectionAborted" || code === "ECONNRESET" || code === "EPIPE") {
    return handshake ? "tls_error" : "econnreset";
  }
  if (handshake || NODE_TLS_CODE.test(code) || (name === "InvalidData" && /certificate|tls|alert/i.test(msg))) return "tls_error";
  return "closed";
}

function toHansom(err: unknown, handshake: boolean, what: string): HansomError {
  if (err instanceof HansomError) return err;
  const code = codeOf(err, handshake);
  const phase: HansomErrorPhase | undefined = code === "tls_error" ? "tls" : handshake ? "connect" : undefined;
  return new HansomError(code, `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err, phase });
}

function address(a: DenoNetAddr): SocketAddress {
  return { address: a.hostname, port: a.port, family: a.hostname.includes(":") ? "IPv6" : "IPv4" };
}

const decoder = new TextDecoder();
function pem(v: string | Uint8Array): string {
  return typeof v === "string" ? v : decoder.decode(v);
}
function caList(ca: TlsOptions["ca"]): string[] | undefined {
  if (ca === undefined) return undefined;
  return (Array.isArray(ca) ? ca : [ca]).map(pem);
}
function isIpLiteral(host: string): boolean {
  return host.includes(":") || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}

/**
 * One deadline for a connect or an upgrade: the timeout and the caller's signal. `run` races a
 * step against it; a step that loses has its late result closed so nothing leaks.
 */
class Deadline {
  readonly #ctl = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #expired: Promise<never>;
  readonly #signal: AbortSignal | undefined;
  #reject: (e: HansomError) => void = () => {};
  #onExpire: (() => void) | null = null;

  constructor(timeout: number, signal: AbortSignal | undefined, what: string) {
    this.#signal = signal;
    this.#expired = new Promise<never>((_, reject) => {
      this.#reject = reject;
    });
    this.#expired.catch(() => {});
    this.#timer = setTimeout(
      () => this.#expire(new HansomError("connect_timeout", `${what}: no connection within ${timeout} ms (connectTimeout)`, { phase: "connect" })),
      timeout,
    );
    if (signal?.aborted) this.#onAbort();
    else signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  #onAbort = (): void => this.#expire(abortError(this.#signal));
  #expire(e: HansomError): void {
    if (this.#ctl.signal.aborted) return;
    this.#ctl.abort(e);
    this.#onExpire?.();
    this.#reject(e);
  }

  /** Aborted when the deadline passes: handed to Deno.connect. */
  get signal(): AbortSignal {
    return this.#ctl.signal;
  }
  /** What to close if the deadline passes during the current step. */
  onExpire(f: (() => void) | null): void {
    this.#onExpire = f;
  }
  /** Races `step` against the deadline; a step that loses has its late result passed to `lateResult`. */
  async run<T>(step: Promise<T>, lateResult: (v: T) => void, handshake: boolean, what: string): Promise<T> {
    if (!this.#ctl.signal.aborted) {
      try {
        return await Promise.race([step, this.#expired]);
      } catch (err) {
        if (!this.#ctl.signal.aborted) throw toHansom(err, handshake, what);
      }
    }
    step.then(lateResult, () => {});
    throw this.#ctl.signal.reason as HansomError;
  }
  clear(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener("abort", this.#onAbort);
  }
}

const closeQuietly = (c: { close(): void }): void => {
  try {
    c.close();
  } catch {
    // already closed
  }
};

/** A Deno TCP or TLS connection: a read loop that stops while paused, a userland write queue. */
class DenoSocket implements RawSocket {
  readonly remote: SocketAddress;
  readonly local: SocketAddress;
  readonly secure: boolean;
  #conn: DenoConn;
  #handler: SocketHandler | null = null;
  #paused = true;
  #looping = false;
  /** A conn.read() is in flight: Deno.startTls cannot take the connection now. */
  #reading = false;
  #scratch = new Uint8Array(CHUNK);
  /** Read while paused (or before a handler was set): handed over on resume. */
  #held: Uint8Array | null = null;
  #eof = false;
  #endDelivered = false;
  #error: HansomError | null = null;
  #errorDelivered = false;
  #closed = false;
  /** Handed to Deno.startTls: this object no longer owns the connection. */
  #detached = false;
  #queue: Uint8Array[] = [];
  #queued = 0;
  #writing = false;
  #drainWaiters: Array<{ resolve: () => void; reject: (e: HansomError) => void }> = [];

  constructor(conn: DenoConn, secure: boolean) {
    this.#conn = conn;
    this.secure = secure;
    this.remote = address(conn.remoteAddr);
    this.local = address(conn.localAddr);
  }

  get closed(): boolean {
    return this.#closed;
  }

  setHandler(handler: SocketHandler): void {
    this.#handler = handler;
    if (this.#error && !this.#errorDelivered) {
      this.#errorDelivered = true;
      handler.error(this.#error);
    } else if (!this.#paused) this.#kick();
  }
  pause(): void {
    this.#paused = true;
  }
  resume(): void {
    if (this.#detached) return;
    this.#paused = false;
    this.#kick();
  }
  /** Hands over what was held, then reads on if still resumed. */
  #kick(): void {
    this.#flushHeld();
    if (!this.#paused && this.#handler && !this.#looping && !this.#eof && !this.#closed) void this.#loop();
  }

  /** Delivers what was read while paused: the held chunk, then EOF. */
  #flushHeld(): void {
    const h = this.#handler;
    if (!h) return;
    if (this.#held) {
      const chunk = this.#held;
      this.#held = null;
      h.data(chunk);
      if (this.#paused) return;
    }
    if (this.#eof && !this.#endDelivered && !this.#error) {
      this.#endDelivered = true;
      h.end();
    }
  }

  async #loop(): Promise<void> {
    this.#looping = true;
    try {
      while (!this.#paused && this.#handler && !this.#closed && !this.#detached && !this.#eof) {
        let n: number | null;
        this.#reading = true;
        try {
          n = await this.#conn.read(this.#scratch);
        } catch (err) {
          // rustls reports a TCP FIN without TLS close_notify as an error; Node, Bun and most
          // servers treat it as the end of the stream (HTTP framing catches truncation), so do we.
          if ((err as Error | null)?.name === "UnexpectedEof") n = null;
          else {
            if (!this.#closed && !this.#detached) this.#fail(toHansom(err, false, "Socket error"));
            return;
          }
        } finally {
          this.#reading = false;
        }
        if (this.#closed) return;
        if (n === null) {
          this.#eof = true;
          if (!this.#paused) this.#flushHeld();
          this.#closeWhenFlushed();
          return;
        }
        let chunk: Uint8Array;
        if (n < COPY_BELOW) chunk = this.#scratch.slice(0, n);
        else {
          // A big read keeps its buffer; the next read gets a fresh one (chunks are never reused).
          chunk = this.#scratch.subarray(0, n);
          this.#scratch = new Uint8Array(CHUNK);
        }
        if (this.#paused || !this.#handler) {
          this.#held = chunk;
          return;
        }
        this.#handler.data(chunk);
      }
    } finally {
      this.#looping = false;
    }
  }

  write(chunk: Uint8Array): boolean {
    if (this.#closed || this.#error || this.#detached) return false;
    if (chunk.byteLength > 0) {
      this.#queue.push(chunk);
      this.#queued += chunk.byteLength;
      if (!this.#writing) void this.#pump();
    }
    return this.#queued < HIGH_WATER;
  }

  /** Writes the queue out in order, merging small chunks, handling partial writes. */
  async #pump(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0 && !this.#closed) {
        let head = this.#queue[0]!;
        if (head.byteLength < MERGE_BELOW && this.#queue.length > 1) head = this.#merge();
        const n = await this.#conn.write(head);
        if (n < head.byteLength) this.#queue[0] = head.subarray(n);
        else this.#queue.shift();
        this.#queued -= n;
        if (this.#queued < HIGH_WATER) this.#settleDrain(null);
      }
    } catch (err) {
      if (!this.#closed) this.#fail(toHansom(err, false, "Socket error while writing"));
    } finally {
      this.#writing = false;
    }
    if (this.#eof && this.#queue.length === 0) this.#closeWhenFlushed();
  }

  #merge(): Uint8Array {
    let count = 0;
    let size = 0;
    for (const c of this.#queue) {
      if (count > 0 && size + c.byteLength > CHUNK) break;
      size += c.byteLength;
      count++;
    }
    if (count === 1) return this.#queue[0]!;
    const merged = new Uint8Array(size);
    let at = 0;
    for (const c of this.#queue.splice(0, count, merged)) {
      merged.set(c, at);
      at += c.byteLength;
    }
    return merged;
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

  /** After the peer's EOF: flush what is queued, then close (as Node does without allowHalfOpen). */
  #closeWhenFlushed(): void {
    if (this.#writing || this.#queue.length > 0 || this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#conn);
    this.#settleDrain(new HansomError("closed", "Socket closed while writing"));
  }

  #fail(e: HansomError): void {
    if (this.#error || this.#closed) return;
    this.#error = e;
    this.#closed = true;
    closeQuietly(this.#conn);
    this.#queue = [];
    this.#queued = 0;
    this.#settleDrain(e);
    if (this.#handler) {
      this.#errorDelivered = true;
      this.#handler.error(e);
    }
  }

  unref(): void {
    this.#conn.unref();
  }
  ref(): void {
    this.#conn.ref();
  }

  destroy(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!this.#detached) closeQuietly(this.#conn);
    this.#queue = [];
    this.#queued = 0;
    this.#settleDrain(new HansomError("closed", "Socket destroyed while writing"));
  }

  async startTls(spec: UpgradeSpec): Promise<RawSocket> {
    if (spec.signal?.aborted) throw abortError(spec.signal);
    if (this.#closed) throw new HansomError("closed", `TLS upgrade for ${spec.host} failed: socket closed`);
    // Deno.startTls takes only an idle plain TCP connection, and cannot skip verification or
    // present a client certificate: anything else is TLS from node:tls over this socket.
    const what = `TLS handshake with ${spec.host} failed`;
    const native = !this.secure && !this.#reading && !this.#held && !this.#eof && this.#queue.length === 0 && !needsNodeTls(spec);
    if (!native) return nodeTlsOver(this, spec, what);
    this.#detached = true;
    this.#paused = true;
    this.#handler = null;
    return nativeTls(this.#conn, spec, spec.host, new Deadline(spec.timeout, spec.signal, what), what);
  }
}

/**
 * Whether Deno's native TLS cannot honour these settings: `insecure` (rustls verifies always;
 * Deno only has the process-wide --unsafely-ignore-certificate-errors), a client certificate on
 * Deno.startTls (ignored there), and a TLS 1.3 floor (rustls offers 1.2 and 1.3, no setting).
 */
function needsNodeTls(spec: UpgradeSpec): boolean {
  return !!spec.insecure || spec.tls.cert !== undefined || spec.tls.key !== undefined || spec.tls.minVersion === "TLSv1.3";
}

/** Deno.startTls on an idle TCP connection, handshake included, under the deadline. */
async function nativeTls(conn: DenoConn, spec: UpgradeSpec, dialled: string, dl: Deadline, what: string): Promise<RawSocket> {
  try {
    // Deno's caCerts are trusted in addition to the root store: Deno cannot replace it per connection.
    const hostname = spec.tls.servername ?? dialled;
    dl.onExpire(() => closeQuietly(conn));
    const t = await dl.run(
      Deno.startTls(conn, { hostname, caCerts: caList(spec.tls.ca), alpnProtocols: spec.tls.alpn }),
      closeQuietly, true, what,
    );
    dl.onExpire(() => closeQuietly(t));
    try {
      await dl.run(t.handshake(), () => {}, true, what);
    } catch (err) {
      closeQuietly(t);
      throw err;
    }
    return new DenoSocket(t, true);
  } catch (err) {
    closeQuietly(conn);
    throw err;
  } finally {
    dl.clear();
  }
}

// ---- node:tls over a RawSocket: the fallback for what Deno's native TLS cannot do ----

/**
 * A node Duplex over a RawSocket. Deno's node:tls drains its transport eagerly, whatever the
 * TLSSocket's own flow state, so reading is gated twice: the raw socket reads only while the
 * Duplex wants data and the TLS socket above is not paused (`hold`). Pausing the TLS socket thus
 * stops reads at the OS, as on the native path.
 */
class RawDuplex {
  readonly duplex: Duplex;
  readonly #raw: RawSocket;
  #wanted = false;
  #held = false;

  constructor(raw: RawSocket, DuplexCtor: typeof Duplex) {
    this.#raw = raw;
    this.duplex = new DuplexCtor({
      read: () => {
        this.#wanted = true;
        this.#update();
      },
      write(chunk: Uint8Array, _enc, cb) {
        if (raw.write(chunk)) cb();
        else raw.drain().then(() => cb(), cb);
      },
      final(cb) {
        cb();
      },
      destroy(err, cb) {
        raw.destroy();
        cb(err);
      },
    });
    raw.setHandler({
      data: (chunk) => {
        if (!this.duplex.push(chunk)) {
          this.#wanted = false;
          this.#update();
        }
      },
      end: () => this.duplex.push(null),
      error: (e) => this.duplex.destroy(e),
    });
  }
  hold(held: boolean): void {
    this.#held = held;
    this.#update();
  }
  #update(): void {
    if (this.#wanted && !this.#held) this.#raw.resume();
    else this.#raw.pause();
  }
}

/** A node TLSSocket (on Deno's node:tls) as a RawSocket. */
class NodeTlsSocket implements RawSocket {
  readonly remote: SocketAddress;
  readonly local: SocketAddress;
  readonly secure = true;
  #s: TLSSocket;
  #handler: SocketHandler | null = null;
  #pendingError: HansomError | null = null;
  #ended = false;
  #closed = false;

  #gate: RawDuplex;
  #under: RawSocket;

  constructor(s: TLSSocket, under: RawSocket, gate: RawDuplex) {
    this.#s = s;
    this.#gate = gate;
    this.#under = under;
    this.remote = under.remote;
    this.local = under.local;
    s.pause();
    gate.hold(true);
    s.on("data", (b: Uint8Array) => this.#handler?.data(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    s.on("end", () => {
      this.#ended = true;
      this.#handler?.end();
    });
    s.on("error", (err: Error) => {
      const e = toHansom(err, false, "Socket error");
      if (this.#handler) this.#handler.error(e);
      else this.#pendingError = e;
    });
    s.on("close", () => {
      this.#closed = true;
    });
  }
  get closed(): boolean {
    return this.#closed || this.#s.destroyed;
  }
  setHandler(handler: SocketHandler): void {
    this.#handler = handler;
    if (this.#pendingError) handler.error(this.#pendingError);
    else if (this.#ended) handler.end();
  }
  pause(): void {
    this.#s.pause();
    this.#gate.hold(true);
  }
  resume(): void {
    this.#gate.hold(false);
    this.#s.resume();
  }
  write(chunk: Uint8Array): boolean {
    if (this.closed) return false;
    return this.#s.write(chunk);
  }
  drain(): Promise<void> {
    const s = this.#s;
    if (s.destroyed) return Promise.reject(new HansomError("closed", "Socket closed while writing"));
    if (!s.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const done = (): void => {
        s.off("drain", done);
        s.off("close", done);
        if (s.destroyed) reject(new HansomError("closed", "Socket closed while writing"));
        else resolve();
      };
      s.on("drain", done);
      s.on("close", done);
    });
  }
  unref(): void {
    this.#under.unref?.();
  }
  ref(): void {
    this.#under.ref?.();
  }
  destroy(): void {
    this.#closed = true;
    this.#s.destroy();
  }
  startTls(spec: UpgradeSpec): Promise<RawSocket> {
    return nodeTlsOver(this, spec, `TLS handshake with ${spec.host} failed`);
  }
}

function nodeTlsOptions(spec: UpgradeSpec): ConnectionOptions {
  const o = spec.tls;
  const servername = o.servername ?? (isIpLiteral(spec.host) ? undefined : spec.host);
  return {
    servername,
    ca: caList(o.ca),
    cert: o.cert === undefined ? undefined : pem(o.cert),
    key: o.key === undefined ? undefined : pem(o.key),
    minVersion: o.minVersion ?? "TLSv1.2",
    ALPNProtocols: o.alpn,
    rejectUnauthorized: !spec.insecure,
  };
}

/** TLS from Deno's node:tls, over `under` (a DenoSocket or another NodeTlsSocket). */
async function nodeTlsOver(under: RawSocket, spec: UpgradeSpec, what: string): Promise<RawSocket> {
  const [{ connect, checkServerIdentity }, { Duplex }] = await Promise.all([import("node:tls"), import("node:stream")]);
  const options = nodeTlsOptions(spec);
  const name = options.servername ?? spec.host;
  const gate = new RawDuplex(under, Duplex);
  const t = connect({ socket: gate.duplex, ...options, checkServerIdentity: (_h, cert) => checkServerIdentity(name, cert) });
  return new Promise<RawSocket>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      t.off("secureConnect", onReady);
      t.off("error", onError);
      spec.signal?.removeEventListener("abort", onAbort);
    };
    const fail = (e: HansomError): void => {
      cleanup();
      t.on("error", () => {});
      t.destroy();
      under.destroy();
      reject(e);
    };
    const onReady = (): void => {
      cleanup();
      resolve(new NodeTlsSocket(t, under, gate));
    };
    const onError = (err: Error): void => fail(toHansom(err, true, what));
    const onAbort = (): void => fail(abortError(spec.signal));
    const timer = setTimeout(
      () => fail(new HansomError("connect_timeout", `${what}: no connection within ${spec.timeout} ms (connectTimeout)`, { phase: "connect" })),
      spec.timeout,
    );
    t.once("secureConnect", onReady);
    t.once("error", onError);
    if (spec.signal?.aborted) onAbort();
    else spec.signal?.addEventListener("abort", onAbort, { once: true });
  });
}

// ---- the adapter ----

async function connect(spec: ConnectSpec): Promise<RawSocket> {
  if (spec.signal?.aborted) throw abortError(spec.signal);
  const what = `Connecting to ${spec.host}:${spec.port} failed`;
  const tls = spec.tls;
  const started = Date.now();
  const dl = new Deadline(spec.timeout, spec.signal, what);
  let tcp: DenoConn;
  try {
    // Deno.connectTls presents a client certificate (Deno.startTls does not) but takes no SNI
    // override: use it for client certificates when the name to verify is the host dialled.
    if (tls && (tls.cert !== undefined || tls.key !== undefined) && !spec.insecure && tls.minVersion !== "TLSv1.3" &&
      (tls.servername === undefined || tls.servername === spec.host)) {
      const c = await dl.run(
        Deno.connectTls({
          hostname: spec.host, port: spec.port, caCerts: caList(tls.ca), alpnProtocols: tls.alpn,
          cert: tls.cert === undefined ? undefined : pem(tls.cert), key: tls.key === undefined ? undefined : pem(tls.key),
        }),
        closeQuietly, false, what,
      );
      dl.onExpire(() => closeQuietly(c));
      try {
        await dl.run(c.handshake(), () => {}, true, what);
      } catch (err) {
        closeQuietly(c);
        throw err;
      }
      return new DenoSocket(c, true);
    }
    tcp = await dl.run(Deno.connect({ hostname: spec.host, port: spec.port, signal: dl.signal }), closeQuietly, false, what);
  } catch (err) {
    dl.clear();
    throw err;
  }
  if (!tls) {
    dl.clear();
    return new DenoSocket(tcp, false);
  }
  const upgrade: UpgradeSpec = { host: spec.host, tls, insecure: spec.insecure, timeout: spec.timeout, signal: spec.signal };
  if (!needsNodeTls(upgrade)) return nativeTls(tcp, upgrade, spec.host, dl, what);
  dl.clear();
  const left = Math.max(1, spec.timeout - (Date.now() - started));
  return nodeTlsOver(new DenoSocket(tcp, false), { ...upgrade, timeout: left }, what);
}

function fileError(path: string, err: unknown): HansomError {
  return new HansomError("file_error", `Cannot read body file ${path}: ${(err as Error)?.message ?? String(err)}`, { cause: err, phase: "input" });
}

export const denoSockets: SocketAdapter = {
  runtime: "deno",
  connect,
  env(name: string): string | undefined {
    try {
      return Deno.env.get(name);
    } catch {
      return undefined; // no --allow-env
    }
  },
  async openFile(path: string): Promise<FileHandle> {
    let size: number;
    try {
      const st = await Deno.stat(path);
      if (!st.isFile) throw new Error("not a regular file");
      size = st.size;
    } catch (err) {
      throw fileError(path, err);
    }
    return {
      size,
      async *chunks() {
        let f: DenoFile;
        try {
          f = await Deno.open(path, { read: true });
        } catch (err) {
          throw fileError(path, err);
        }
        try {
          for (;;) {
            const buf = new Uint8Array(CHUNK);
            let n: number | null;
            try {
              n = await f.read(buf);
            } catch (err) {
              throw fileError(path, err);
            }
            if (n === null) return;
            yield n === CHUNK ? buf : buf.subarray(0, n);
          }
        } finally {
          closeQuietly(f);
        }
      },
    };
  },
};
