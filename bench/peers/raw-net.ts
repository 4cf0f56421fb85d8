// The practical limit on a runtime's node:net: keep-alive sockets read through `onread` into
// one buffer shared by every connection (callbacks run one at a time, so nothing is copied or
// allocated per read), request heads precomputed per path, and RawResponseCounter reading just
// the framing. No pool beyond a stack of idle sockets. What any client must do at least.
import * as net from "node:net";
import { once } from "node:events";
import { RawResponseCounter } from "./raw-parse.ts";
import { MAX_CONNECTIONS, uploadCount } from "./peer.ts";
import type { Peer } from "./peer.ts";

const READ_BUFFER = new Uint8Array(64 * 1024);
const latin1 = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));
const CRLF = latin1("\r\n");
const LAST = latin1("0\r\n\r\n");
const UPLOAD_HWM = 1 << 20;

/** One connection, one request at a time. */
class RawConn {
  readonly counter = new RawResponseCounter();
  readonly sock: net.Socket;
  #resolve: ((n: number) => void) | null = null;
  #reject: ((e: unknown) => void) | null = null;

  constructor(host: string, port: number) {
    this.sock = net.connect({
      host,
      port,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buf: Uint8Array): boolean => {
          try {
            this.counter.feed(buf, 0, n);
          } catch (e) {
            this.#fail(e);
          }
          return true; // false would pause the socket
        },
      },
    });
    this.counter.onDone = (bytes) => {
      const r = this.#resolve!;
      this.#resolve = this.#reject = null;
      r(bytes);
    };
    this.sock.on("error", (e) => this.#fail(e));
    this.sock.on("end", () => this.#fail(new Error("raw client: the server closed the connection")));
  }

  #fail(e: unknown): void {
    const r = this.#reject;
    this.#resolve = this.#reject = null;
    this.sock.destroy();
    if (r) r(e);
  }

  /** Arms the counter for the next response; resolves to its body byte count. */
  expect(keepText = false): Promise<number> {
    this.counter.start(keepText);
    return new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }
}

/** The raw client over node:net with onread. */
export function rawNetPeer(origin: string): Peer {
  const u = new URL(origin);
  const host = u.hostname;
  const port = Number(u.port);
  const heads = new Map<string, Uint8Array>();
  const headFor = (path: string): Uint8Array => {
    let h = heads.get(path);
    if (!h) heads.set(path, (h = latin1(`GET ${path} HTTP/1.1\r\nHost: ${u.host}\r\n\r\n`)));
    return h;
  };
  const uploadHead = (path: string): Uint8Array =>
    latin1(`POST ${path} HTTP/1.1\r\nHost: ${u.host}\r\nTransfer-Encoding: chunked\r\n\r\n`);
  const idle: RawConn[] = [];
  const all: RawConn[] = [];
  const take = (): RawConn => {
    const c = idle.pop();
    if (c && !c.sock.destroyed) return c;
    if (all.length >= MAX_CONNECTIONS) throw new Error("raw client: more than MAX_CONNECTIONS at once");
    const n = new RawConn(host, port);
    all.push(n);
    return n;
  };
  const get = async (path: string): Promise<number> => {
    const c = take();
    const done = c.expect();
    c.sock.write(headFor(path));
    const n = await done;
    idle.push(c);
    return n;
  };
  return {
    name: "raw",
    get,
    download: get,
    async upload(path, body) {
      const c = take();
      const done = c.expect(true);
      const s = c.sock;
      s.write(uploadHead(path));
      for await (const chunk of body()) {
        if (chunk.length === 0) continue;
        s.cork();
        s.write(latin1(`${chunk.length.toString(16)}\r\n`));
        s.write(chunk);
        s.write(CRLF);
        s.uncork();
        // Backpressure at 1 MiB queued rather than at the stream's 16 KiB mark: fewer trips
        // through the event loop, still bounded. A false from write() above arms 'drain'.
        if (s.writableLength > UPLOAD_HWM) await once(s, "drain");
      }
      s.write(LAST);
      await done;
      idle.push(c);
      return uploadCount("raw", c.counter.text);
    },
    async close() {
      for (const c of all) c.sock.destroy();
    },
  };
}
