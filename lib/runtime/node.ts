// Node adapter: node:net and node:tls sockets, node:fs files. The only file in lib/ that
// may touch Node APIs (Bun and Deno have their own).
import * as net from "node:net";
import * as tls from "node:tls";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { type HansomError, abortError } from "../errors.ts";
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
import { namesIpv6, socketAddress } from "./address.ts";
import { whenReady } from "./connect-deadline.ts";
import { regularFileSize } from "./body-file.ts";
import { nodeSocketError } from "./error-codes.ts";
import { streamDrained } from "./stream-drain.ts";

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
  readonly alpn: string | null;
  #s: net.Socket;
  #handler: SocketHandler | null = null;
  #pendingError: HansomError | null = null;
  #ended = false;
  #closed = false;

  constructor(s: net.Socket, secure: boolean) {
    this.#s = s;
    this.secure = secure;
    this.alpn = (secure && (s as tls.TLSSocket).alpnProtocol) || null;
    this.remote = socketAddress(s.remoteAddress, s.remotePort, namesIpv6(s.remoteFamily));
    this.local = socketAddress(s.localAddress, s.localPort, namesIpv6(s.remoteFamily));
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
    const e = nodeSocketError(err, this.secure, "Socket error");
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
    return streamDrained(this.#s);
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
function settle(
  s: net.Socket,
  ready: string,
  timeout: number,
  signal: AbortSignal | undefined,
  what: string,
  secure: boolean,
): Promise<RawSocket> {
  return whenReady(s, {
    ready,
    // Infinity (or anything past a 32-bit delay) means no timer: setTimeout would fire at once.
    timeout: timeout > 0 && timeout <= 0x7fffffff ? timeout : undefined,
    signal,
    what,
    toError: (err) => nodeSocketError(err, secure, what),
    onReady: () => new NodeSocket(s, secure),
    destroy() {
      s.on("error", () => {});
      s.destroy();
    },
  });
}

function handshake(
  t: tls.TLSSocket,
  timeout: number,
  signal: AbortSignal | undefined,
  what: string,
): Promise<RawSocket> {
  return settle(t, "secureConnect", timeout, signal, what, true);
}

let decoders: Promise<DecoderFactories> | undefined;

export const nodeSockets: SocketAdapter = {
  runtime: "node",
  connect(spec: ConnectSpec): Promise<RawSocket> {
    if (spec.signal?.aborted) return Promise.reject(abortError(spec.signal));
    if (spec.path !== undefined)
      return settle(
        net.connect({ path: spec.path }),
        "connect",
        spec.timeout,
        spec.signal,
        `Connecting to the Unix socket ${spec.path} failed`,
        false,
      );
    const what = `Connecting to ${spec.host}:${spec.port} failed`;
    if (spec.tls) {
      const t = tls.connect({
        host: spec.host,
        port: spec.port,
        ...tlsContextOptions(spec.tls, spec.host, spec.insecure),
      });
      return handshake(t, spec.timeout, spec.signal, what);
    }
    return settle(net.connect({ host: spec.host, port: spec.port }), "connect", spec.timeout, spec.signal, what, false);
  },
  // Loaded once: every request with decompress: true (every hansom/fetch call) asks for them.
  decoders: () => (decoders ??= import("./node/decompress.ts").then((m) => m.zlibDecoders())),
  env(name: string): string | undefined {
    return process.env[name];
  },
  async openFile(path: string): Promise<FileHandle> {
    const size = await regularFileSize(path, async () => {
      const st = await stat(path);
      return { isFile: st.isFile(), size: st.size };
    });
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
