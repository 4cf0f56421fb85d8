// Node adapter: node:net and node:tls sockets, node:fs files. The only file in lib/ that
// may touch Node APIs (Bun and Deno have their own).
import * as net from "node:net";
import * as tls from "node:tls";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { HansomError, abortError } from "../errors.ts";
import type { HansomErrorCode } from "../errors.ts";
import type {
  ConnectSpec, FileHandle, RawSocket, SocketAdapter, SocketAddress, SocketHandler, TlsOptions, UpgradeSpec,
} from "./socket.ts";

const TLS_CODE = /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|HOSTNAME_MISMATCH|ERR_OSSL)/;

/** Maps a Node socket error to a HansomError code. */
function codeOf(err: NodeJS.ErrnoException, secure: boolean): HansomErrorCode {
  const c = err.code ?? "";
  if (c === "ECONNREFUSED") return "econnrefused";
  if (c === "ENOTFOUND" || c === "EAI_AGAIN" || c === "EAI_NONAME") return "nxdomain";
  if (TLS_CODE.test(c) || (secure && /ssl|tls|certificate/i.test(err.message))) return "tls_error";
  if (c === "ECONNRESET" || c === "EPIPE") return "econnreset";
  return "closed";
}

function toHansom(err: Error, secure: boolean, what: string): HansomError {
  const code = codeOf(err as NodeJS.ErrnoException, secure);
  return new HansomError(code, `${what}: ${err.message}`, { cause: err, phase: code === "tls_error" ? "tls" : undefined });
}

function address(addr: string | undefined, port: number | undefined, family: string | undefined): SocketAddress {
  return { address: addr ?? "", port: port ?? 0, family: family === "IPv6" || family === "6" ? "IPv6" : "IPv4" };
}

function tlsContextOptions(opts: TlsOptions, host: string, insecure: boolean | undefined): tls.ConnectionOptions {
  const servername = opts.servername ?? (net.isIP(host) ? undefined : host);
  return {
    servername,
    ca: opts.ca as tls.ConnectionOptions["ca"],
    cert: opts.cert as tls.ConnectionOptions["cert"],
    key: opts.key as tls.ConnectionOptions["key"],
    minVersion: opts.minVersion ?? "TLSv1.2",
    ALPNProtocols: opts.alpn,
    rejectUnauthorized: !insecure,
    // Verify against servername when given, else against the host we dialled.
    checkServerIdentity: (_h, cert) => tls.checkServerIdentity(servername ?? host, cert),
  };
}

class NodeSocket implements RawSocket {
  readonly remote: SocketAddress;
  readonly local: SocketAddress;
  readonly secure: boolean;
  #s: net.Socket;
  #handler: SocketHandler | null = null;
  #pendingError: HansomError | null = null;
  #ended = false;
  #closed = false;

  constructor(s: net.Socket, secure: boolean) {
    this.#s = s;
    this.secure = secure;
    this.remote = address(s.remoteAddress, s.remotePort, s.remoteFamily);
    this.local = address(s.localAddress, s.localPort, s.remoteFamily);
    s.setNoDelay(true);
    s.pause();
    s.on("data", this.#onData);
    s.on("end", this.#onEnd);
    s.on("error", this.#onError);
    s.on("close", this.#onClose);
  }

  get closed(): boolean {
    return this.#closed || this.#s.destroyed;
  }

  #onData = (b: Buffer): void => {
    this.#handler?.data(new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
  };
  #onEnd = (): void => {
    this.#ended = true;
    this.#handler?.end();
  };
  #onError = (err: Error): void => {
    const e = toHansom(err, this.secure, "Socket error");
    if (this.#handler) this.#handler.error(e);
    else this.#pendingError = e;
  };
  #onClose = (): void => {
    this.#closed = true;
    // A close with neither 'end' nor 'error' (destroyed under us) still ends the stream;
    // after our own destroy() nothing more is reported, as in the other adapters.
    if (!this.#ended && !this.#pendingError && !this.#destroyed) {
      this.#ended = true;
      this.#handler?.end();
    }
  };

  setHandler(handler: SocketHandler): void {
    this.#handler = handler;
    if (this.#pendingError) handler.error(this.#pendingError);
    else if (this.#ended) handler.end();
  }
  pause(): void {
    this.#s.pause();
  }
  resume(): void {
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
    this.#s.unref();
  }
  ref(): void {
    this.#s.ref();
  }
  #destroyed = false;
  destroy(): void {
    this.#destroyed = true;
    this.#closed = true;
    this.#s.destroy();
  }
  startTls(spec: UpgradeSpec): Promise<RawSocket> {
    const s = this.#s;
    s.off("data", this.#onData);
    s.off("end", this.#onEnd);
    s.off("error", this.#onError);
    s.off("close", this.#onClose);
    this.#handler = null;
    const t = tls.connect({ socket: s, ...tlsContextOptions(spec.tls, spec.host, spec.insecure) });
    return handshake(t, spec.timeout, spec.signal, `TLS handshake with ${spec.host} failed`);
  }
}

/** Waits for `ready` (connect or secureConnect) under one timeout and signal. */
function settle(s: net.Socket, ready: string, timeout: number, signal: AbortSignal | undefined, what: string, secure: boolean): Promise<RawSocket> {
  return new Promise<RawSocket>((resolve, reject) => {
    const cleanup = (): void => {
      clearTimeout(timer);
      s.off(ready, onReady);
      s.off("error", onError);
      signal?.removeEventListener("abort", onAbort);
    };
    const fail = (e: HansomError): void => {
      cleanup();
      s.on("error", () => {});
      s.destroy();
      reject(e);
    };
    const onReady = (): void => {
      cleanup();
      resolve(new NodeSocket(s, secure));
    };
    const onError = (err: Error): void => fail(toHansom(err, secure, what));
    const onAbort = (): void => fail(abortError(signal));
    // Infinity (or anything past a 32-bit delay) means no timer: setTimeout would fire at once.
    const timer = timeout > 0 && timeout <= 0x7fffffff
      ? setTimeout(() => fail(new HansomError("connect_timeout", `${what}: no connection within ${timeout} ms (connectTimeout)`, { phase: "connect" })), timeout)
      : undefined;
    s.once(ready, onReady);
    s.once("error", onError);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

function handshake(t: tls.TLSSocket, timeout: number, signal: AbortSignal | undefined, what: string): Promise<RawSocket> {
  return settle(t, "secureConnect", timeout, signal, what, true);
}

export const nodeSockets: SocketAdapter = {
  runtime: "node",
  connect(spec: ConnectSpec): Promise<RawSocket> {
    if (spec.signal?.aborted) return Promise.reject(abortError(spec.signal));
    const what = `Connecting to ${spec.host}:${spec.port} failed`;
    if (spec.tls) {
      const t = tls.connect({ host: spec.host, port: spec.port, ...tlsContextOptions(spec.tls, spec.host, spec.insecure) });
      return handshake(t, spec.timeout, spec.signal, what);
    }
    return settle(net.connect({ host: spec.host, port: spec.port }), "connect", spec.timeout, spec.signal, what, false);
  },
  env(name: string): string | undefined {
    return process.env[name];
  },
  async openFile(path: string): Promise<FileHandle> {
    let size: number;
    try {
      const st = await stat(path);
      if (!st.isFile()) throw new Error("not a regular file");
      size = st.size;
    } catch (err) {
      throw new HansomError("file_error", `Cannot read body file ${path}: ${(err as Error).message}`, { cause: err, phase: "input" });
    }
    return {
      size,
      async *chunks() {
        for await (const b of createReadStream(path, { highWaterMark: 64 * 1024 }) as AsyncIterable<Buffer>) {
          yield new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
        }
      },
    };
  },
};
