// A socket adapter with no network: every connection answers each request head it is sent
// with one precomputed response, delivered on a microtask (so the path awaits as it would on
// a socket, without the kernel). It lets a bench time hansom's own per-request work.
import type {
  ConnectSpec,
  FileHandle,
  RawSocket,
  SocketAdapter,
  SocketAddress,
  SocketHandler,
  UpgradeSpec,
} from "../../lib/runtime/socket.ts";

const ADDRESS: SocketAddress = { address: "127.0.0.1", port: 9, family: "IPv4" };

/** One connection that answers every head (a write ending in CRLF CRLF) with `response`. */
export class StubSocket implements RawSocket {
  readonly remote = ADDRESS;
  readonly local = ADDRESS;
  readonly secure = false;
  readonly alpn = null;
  closed = false;
  /** Bytes hansom wrote to this socket. */
  written = 0;
  #response: Uint8Array;
  #handler: SocketHandler | null = null;
  #paused = true;
  #owed = 0;
  #scheduled = false;

  constructor(response: Uint8Array) {
    this.#response = response;
  }

  setHandler(handler: SocketHandler): void {
    this.#handler = handler;
  }
  pause(): void {
    this.#paused = true;
  }
  resume(): void {
    this.#paused = false;
    this.#schedule();
  }
  write(chunk: Uint8Array): boolean {
    if (this.closed) return false;
    this.written += chunk.length;
    const n = chunk.length;
    // A GET head ends the request: answer it. (The response memory is never written again,
    // so handing the same view out every time keeps the adapter contract.)
    if (n >= 4 && chunk[n - 4] === 13 && chunk[n - 3] === 10 && chunk[n - 2] === 13 && chunk[n - 1] === 10) {
      this.#owed++;
      this.#schedule();
    }
    return true;
  }
  drain(): Promise<void> {
    return Promise.resolve();
  }
  unref(): void {}
  ref(): void {}
  destroy(): void {
    this.closed = true;
  }
  startTls(_spec: UpgradeSpec): Promise<RawSocket> {
    return Promise.reject(new Error("stub socket: no TLS"));
  }

  #schedule(): void {
    if (this.#scheduled || this.#owed === 0 || this.#paused) return;
    this.#scheduled = true;
    queueMicrotask(() => {
      this.#scheduled = false;
      while (this.#owed > 0 && !this.#paused && !this.closed && this.#handler) {
        this.#owed--;
        this.#handler.data(this.#response);
      }
    });
  }
}

/** An adapter whose connections are StubSockets answering with `response(spec)` (chosen per port, say). */
export function stubAdapter(response: (spec: ConnectSpec) => Uint8Array): SocketAdapter & { sockets: StubSocket[] } {
  const sockets: StubSocket[] = [];
  return {
    runtime: "node",
    sockets,
    connect(spec: ConnectSpec): Promise<RawSocket> {
      const s = new StubSocket(response(spec));
      sockets.push(s);
      return Promise.resolve(s);
    },
    openFile(_path: string): Promise<FileHandle> {
      return Promise.reject(new Error("stub adapter: no files"));
    },
    env(): string | undefined {
      return undefined;
    },
    decoders: () => Promise.resolve({}),
  };
}
