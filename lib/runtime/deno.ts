// Deno adapter: Deno.connect / Deno.startTls / Deno.connectTls sockets, Deno.open files. The only
// file in lib/ that touches Deno APIs (with deno/node-tls.ts). Reading is a loop of conn.read()
// that stops while paused; writing goes through a userland queue (conn.write() is a promise that
// may write part).
// Deno's own TLS (rustls) cannot skip certificate verification per connection, present a client
// certificate on an upgraded socket, set a TLS 1.3 floor, or upgrade a connection with a read in
// flight; those cases run Deno's node:tls over this adapter's TCP socket (deno/node-tls.ts).
// Two more limits of rustls: `tls.ca` adds to the root store instead of replacing it, and
// nothing older than TLS 1.2 is spoken.
import { HansomError, abortError } from "../errors.ts";
import type { ConnectSpec, RawSocket, SocketAdapter, SocketAddress, SocketHandler, UpgradeSpec } from "./socket.ts";
import type { DecoderFactories } from "../decompress.ts";
import { looksIpv6, socketAddress } from "./address.ts";
import { ConnectDeadline } from "./connect-deadline.ts";
import { denoSocketError } from "./error-codes.ts";
import { HeldReads } from "./held-reads.ts";
import { caList, pem } from "./tls-options.ts";
import { WriteQueue, closedWhileWriting } from "./write-queue.ts";
import { nodeTlsOver } from "./deno/node-tls.ts";

import type { DenoConn, DenoFile, DenoNetAddr, DenoTlsBase, DenoTlsConn } from "./deno/api.ts";
import { openDenoFile } from "./deno/file.ts";
import { needsNodeTls } from "./deno/tls-choice.ts";

declare const Deno: {
  connect(
    o:
      | { hostname: string; port: number; transport?: "tcp"; signal?: AbortSignal }
      | { transport: "unix"; path: string },
  ): Promise<DenoConn>;
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

function address(a: DenoNetAddr): SocketAddress {
  return socketAddress(a.hostname, a.port, looksIpv6(a.hostname));
}

/** The error of a step that failed in time: `handshake` marks the TLS phase. */
function stepError(handshake: boolean, what: string): (err: unknown) => HansomError {
  return (err) => denoSocketError(err, handshake, what);
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
  readonly alpn: string | null;
  #conn: DenoConn;
  #handler: SocketHandler | null = null;
  #paused = true;
  #looping = false;
  /** A conn.read() is in flight: Deno.startTls cannot take the connection now. */
  #reading = false;
  #scratch = new Uint8Array(CHUNK);
  /** Read while paused (or before a handler was set), the EOF, a failure: handed over on resume. */
  #reads = new HeldReads();
  #closed = false;
  /** Handed to Deno.startTls: this object no longer owns the connection. */
  #detached = false;
  #queue = new WriteQueue(HIGH_WATER);
  #writing = false;
  /** The write side failed; reading goes on until the peer's end or error. */
  #writeError: HansomError | null = null;

  constructor(conn: DenoConn, secure: boolean, alpn: string | null = null) {
    this.#conn = conn;
    this.secure = secure;
    this.alpn = alpn;
    this.remote = address(conn.remoteAddr);
    this.local = address(conn.localAddr);
  }

  get closed(): boolean {
    return this.#closed;
  }

  setHandler(handler: SocketHandler): void {
    this.#handler = handler;
    if (!this.#reads.deliverError(handler) && !this.#paused) this.#kick();
  }
  pause(): void {
    this.#paused = true;
  }
  resume(): void {
    if (this.#detached) return;
    this.#paused = false;
    this.#kick();
  }
  #isPaused = (): boolean => this.#paused;
  /** Hands over what was held, then reads on if still resumed. */
  #kick(): void {
    this.#flushHeld();
    if (!this.#paused && this.#handler && !this.#looping && !this.#reads.eof && !this.#closed) void this.#loop();
  }

  /** Delivers what was read while paused: the held chunk, then EOF (not after a failure). */
  #flushHeld(): void {
    const h = this.#handler;
    if (!h) return;
    if (this.#reads.deliverChunks(h, this.#isPaused) && !this.#reads.error) this.#reads.deliverEnd(h);
  }

  async #loop(): Promise<void> {
    this.#looping = true;
    try {
      while (!this.#paused && this.#handler && !this.#closed && !this.#detached && !this.#reads.eof) {
        let n: number | null;
        this.#reading = true;
        try {
          n = await this.#conn.read(this.#scratch);
        } catch (err) {
          // rustls reports a TCP FIN without TLS close_notify as an error; Node, Bun and most
          // servers treat it as the end of the stream (HTTP framing catches truncation), so do we.
          if ((err as Error | null)?.name === "UnexpectedEof") n = null;
          else {
            if (!this.#closed && !this.#detached) this.#fail(denoSocketError(err, false, "Socket error"));
            return;
          }
        } finally {
          this.#reading = false;
        }
        if (this.#closed) return;
        if (n === null) {
          this.#reads.setEof();
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
          this.#reads.hold(chunk);
          return;
        }
        this.#handler.data(chunk);
      }
    } finally {
      this.#looping = false;
    }
  }

  write(chunk: Uint8Array): boolean {
    if (this.#closed || this.#reads.error || this.#writeError || this.#detached) return false;
    if (chunk.byteLength > 0) {
      this.#queue.push(chunk);
      if (!this.#writing) void this.#pump();
    }
    return this.#queue.belowHighWater;
  }

  /** Writes the queue out in order, merging small chunks, handling partial writes. */
  async #pump(): Promise<void> {
    this.#writing = true;
    try {
      while (!this.#queue.empty && !this.#closed) {
        const head = this.#queue.mergedHead(MERGE_BELOW, CHUNK);
        const n = await this.#conn.write(head);
        this.#queue.wrote(head, n);
        this.#queue.resolveDrained();
      }
    } catch (err) {
      // Only the write side failed (the peer reset or stopped reading): writes fail from now
      // on, but the read side goes on, so an answer already sent (an early 413) is still read.
      if (!this.#closed) {
        this.#writeError = denoSocketError(err, false, "Socket error while writing");
        this.#queue.clear(this.#writeError);
      }
    } finally {
      this.#writing = false;
    }
    if (this.#reads.eof && this.#queue.empty) this.#closeWhenFlushed();
  }

  drain(): Promise<void> {
    if (this.#reads.error) return Promise.reject(this.#reads.error);
    if (this.#writeError) return Promise.reject(this.#writeError);
    if (this.#closed) return Promise.reject(closedWhileWriting());
    return this.#queue.drained();
  }

  /** After the peer's EOF: flush what is queued, then close (as Node does without allowHalfOpen). */
  #closeWhenFlushed(): void {
    if (this.#writing || !this.#queue.empty || this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#conn);
    this.#queue.clear(closedWhileWriting());
  }

  #fail(e: HansomError): void {
    if (this.#reads.error || this.#closed) return;
    this.#reads.setError(e);
    this.#closed = true;
    closeQuietly(this.#conn);
    this.#queue.clear(e);
    if (this.#handler) this.#reads.deliverError(this.#handler);
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
    this.#queue.clear(new HansomError("closed", "Socket destroyed while writing"));
  }

  async startTls(spec: UpgradeSpec): Promise<RawSocket> {
    if (spec.signal?.aborted) throw abortError(spec.signal);
    if (this.#closed) throw new HansomError("closed", `TLS upgrade for ${spec.host} failed: socket closed`);
    // Deno.startTls takes only an idle plain TCP connection, and cannot skip verification or
    // present a client certificate: anything else is TLS from node:tls over this socket.
    const what = `TLS handshake with ${spec.host} failed`;
    const native =
      !this.secure &&
      !this.#reading &&
      !this.#reads.holding &&
      !this.#reads.eof &&
      this.#queue.empty &&
      !needsNodeTls(spec);
    if (!native) return nodeTlsOver(this, spec, what);
    this.#detached = true;
    this.#paused = true;
    this.#handler = null;
    return nativeTls(this.#conn, spec, spec.host, new ConnectDeadline(spec.timeout, spec.signal, what), what);
  }
}

/** The TLS handshake of `c` under the deadline; `c` is closed if it fails or runs out of time. */
async function handshake(c: DenoTlsConn, dl: ConnectDeadline, what: string): Promise<RawSocket> {
  dl.onExpire(() => closeQuietly(c));
  let info: { alpnProtocol: string | null };
  try {
    info = await dl.run(c.handshake(), () => {}, stepError(true, what));
  } catch (err) {
    closeQuietly(c);
    throw err;
  }
  return new DenoSocket(c, true, info.alpnProtocol ?? null);
}

/** Deno.startTls on an idle TCP connection, handshake included, under the deadline. */
async function nativeTls(
  conn: DenoConn,
  spec: UpgradeSpec,
  dialled: string,
  dl: ConnectDeadline,
  what: string,
): Promise<RawSocket> {
  try {
    // Deno's caCerts are trusted in addition to the root store: Deno cannot replace it per connection.
    const hostname = spec.tls.servername ?? dialled;
    dl.onExpire(() => closeQuietly(conn));
    const t = await dl.run(
      Deno.startTls(conn, { hostname, caCerts: caList(spec.tls.ca), alpnProtocols: spec.tls.alpn }),
      closeQuietly,
      stepError(true, what),
    );
    return await handshake(t, dl, what);
  } catch (err) {
    closeQuietly(conn);
    throw err;
  } finally {
    dl.clear();
  }
}

// ---- the adapter ----

async function connect(spec: ConnectSpec): Promise<RawSocket> {
  if (spec.signal?.aborted) throw abortError(spec.signal);
  const what =
    spec.path !== undefined
      ? `Connecting to the Unix socket ${spec.path} failed`
      : `Connecting to ${spec.host}:${spec.port} failed`;
  const tls = spec.tls;
  const started = Date.now();
  const dl = new ConnectDeadline(spec.timeout, spec.signal, what);
  let tcp: DenoConn;
  try {
    // Deno.connectTls presents a client certificate (Deno.startTls does not) but takes no SNI
    // override: use it for client certificates when the name to verify is the host dialled.
    if (
      tls &&
      (tls.cert !== undefined || tls.key !== undefined) &&
      tls.ca === undefined &&
      !spec.insecure &&
      tls.minVersion !== "TLSv1.3" &&
      (tls.servername === undefined || tls.servername === spec.host)
    ) {
      const c = await dl.run(
        Deno.connectTls({
          hostname: spec.host,
          port: spec.port,
          caCerts: caList(tls.ca),
          alpnProtocols: tls.alpn,
          cert: tls.cert === undefined ? undefined : pem(tls.cert),
          key: tls.key === undefined ? undefined : pem(tls.key),
        }),
        closeQuietly,
        stepError(false, what),
      );
      const sock = await handshake(c, dl, what);
      // The deadline must not outlive the connect: its timer would close a live connection.
      dl.clear();
      return sock;
    }
    const to =
      spec.path !== undefined
        ? { transport: "unix" as const, path: spec.path }
        : { hostname: spec.host, port: spec.port, signal: dl.signal };
    tcp = await dl.run(Deno.connect(to), closeQuietly, stepError(false, what));
  } catch (err) {
    dl.clear();
    throw err;
  }
  if (!tls) {
    dl.clear();
    return new DenoSocket(tcp, false);
  }
  const upgrade: UpgradeSpec = {
    host: spec.host,
    tls,
    insecure: spec.insecure,
    timeout: spec.timeout,
    signal: spec.signal,
  };
  if (!needsNodeTls(upgrade)) return nativeTls(tcp, upgrade, spec.host, dl, what);
  dl.clear();
  const left = Math.max(1, spec.timeout - (Date.now() - started));
  return nodeTlsOver(new DenoSocket(tcp, false), { ...upgrade, timeout: left }, what);
}

let decoders: Promise<DecoderFactories> | undefined;

export const denoSockets: SocketAdapter = {
  runtime: "deno",
  connect,
  // Loaded once: every request with decompress: true (every hansom/fetch call) asks for them.
  decoders: () => (decoders ??= import("./deno/decompress.ts").then((m) => m.zlibDecoders())),
  env(name: string): string | undefined {
    try {
      return Deno.env.get(name);
    } catch (err) {
      // Going direct without a word when the proxy settings cannot be read would be a surprise.
      throw new HansomError(
        "permission_denied",
        `Reading ${name} needs Deno's --allow-env permission ` +
          `(proxy: "env" reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY): ${(err as Error)?.message ?? err}`,
        { cause: err, phase: "input" },
      );
    }
  },
  openFile: (path) =>
    openDenoFile(
      path,
      (p) => Deno.stat(p),
      (p) => Deno.open(p, { read: true }),
    ),
};
