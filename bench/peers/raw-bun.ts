// The practical limit on Bun: the same raw client on Bun.connect, Bun's own socket API, which
// skips the node:net layer (Bun only). Bun hands each read over as a fresh buffer.
import { RawResponseCounter } from "./raw-parse.ts";
import { MAX_CONNECTIONS, uploadCount } from "./peer.ts";
import type { Peer } from "./peer.ts";

/** The part of a Bun socket this client uses. */
interface BunSocket {
  /** Bytes taken; fewer than given means the rest waits for drain. */
  write(data: Uint8Array): number;
  end(): void;
}
interface BunSocketHandlers {
  data(s: BunSocket, d: Uint8Array): void;
  drain(s: BunSocket): void;
  close(s: BunSocket): void;
  error(s: BunSocket, e: Error): void;
}
interface BunGlobal {
  connect(o: { hostname: string; port: number; socket: BunSocketHandlers }): Promise<BunSocket>;
}

const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const CRLF = latin1("\r\n");
const LAST = latin1("0\r\n\r\n");

class BunConn {
  readonly counter = new RawResponseCounter();
  sock!: BunSocket;
  closed = false;
  #resolve: ((n: number) => void) | null = null;
  #reject: ((e: unknown) => void) | null = null;
  // Bytes Bun did not take yet, and who waits for them to go.
  #queue: Uint8Array[] = [];
  #drained: (() => void) | null = null;

  static async open(host: string, port: number): Promise<BunConn> {
    const c = new BunConn();
    const bun = (globalThis as unknown as { Bun: BunGlobal }).Bun;
    c.sock = await bun.connect({
      hostname: host,
      port,
      socket: {
        data: (_s, d) => {
          try {
            c.counter.feed(d, 0, d.length);
          } catch (e) {
            c.#fail(e);
          }
        },
        drain: () => c.#flush(),
        close: () => c.#fail(new Error("raw client: the connection closed")),
        error: (_s, e) => c.#fail(e),
      },
    });
    c.counter.onDone = (bytes) => {
      const r = c.#resolve!;
      c.#resolve = c.#reject = null;
      r(bytes);
    };
    return c;
  }

  #fail(e: unknown): void {
    this.closed = true;
    const r = this.#reject;
    this.#resolve = this.#reject = null;
    if (r) r(e);
  }

  #flush(): void {
    while (this.#queue.length > 0) {
      const b = this.#queue[0]!;
      const n = this.sock.write(b);
      if (n < b.length) {
        this.#queue[0] = b.subarray(Math.max(n, 0));
        return;
      }
      this.#queue.shift();
    }
    const d = this.#drained;
    this.#drained = null;
    d?.();
  }

  /** Writes `b`; false when part of it waits for drain (then await drained()). */
  write(b: Uint8Array): boolean {
    if (this.#queue.length > 0) {
      this.#queue.push(b);
      return false;
    }
    const n = this.sock.write(b);
    if (n >= b.length) return true;
    this.#queue.push(b.subarray(Math.max(n, 0)));
    return false;
  }

  drained(): Promise<void> {
    return this.#queue.length === 0 ? Promise.resolve() : new Promise((r) => (this.#drained = r));
  }

  expect(keepText = false): Promise<number> {
    this.counter.start(keepText);
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }
}

/** The raw client over Bun.connect. */
export function rawBunPeer(origin: string): Peer {
  const u = new URL(origin);
  const heads = new Map<string, Uint8Array>();
  const headFor = (path: string): Uint8Array => {
    let h = heads.get(path);
    if (!h) heads.set(path, (h = latin1(`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`)));
    return h;
  };
  const idle: BunConn[] = [];
  const all: BunConn[] = [];
  // An idle connection synchronously: no await (and its microtask) on the common path.
  const take = (): BunConn | Promise<BunConn> => {
    const c = idle.pop();
    if (c && !c.closed) return c;
    if (all.length >= MAX_CONNECTIONS) throw new Error("raw client: more than MAX_CONNECTIONS at once");
    return BunConn.open(u.hostname, Number(u.port)).then((n) => (all.push(n), n));
  };
  const get = async (path: string): Promise<number> => {
    let c = take();
    if (c instanceof Promise) c = await c;
    const done = c.expect();
    if (!c.write(headFor(path))) await c.drained();
    const n = await done;
    idle.push(c);
    return n;
  };
  return {
    name: "raw-bun",
    get,
    download: get,
    async upload(path, body) {
      const c = await take();
      const done = c.expect(true);
      c.write(latin1(`POST ${path} HTTP/1.1\r\nHost: ${u.host}\r\nTransfer-Encoding: chunked\r\n\r\n`));
      for await (const chunk of body()) {
        if (chunk.length === 0) continue;
        c.write(latin1(`${chunk.length.toString(16)}\r\n`));
        c.write(chunk);
        if (!c.write(CRLF)) await c.drained();
      }
      c.write(LAST);
      await c.drained();
      await done;
      idle.push(c);
      return uploadCount("raw-bun", c.counter.text);
    },
    async close() {
      for (const c of all) c.sock.end();
    },
  };
}
