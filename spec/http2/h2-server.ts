// An h2c server (node:http2, cleartext) on 127.0.0.1 for the http2 specs, with a probe that
// tells whether this runtime's node:http2 can serve at all (Deno's and Bun's are partial).
//   /get?n=N     N deterministic body bytes (bodyOf), content-length set
//   /echo        the request body's length and sha256
//   /trailers    a streamed body, then trailers
//   /hang        never answers
//   /reset       resets the stream with INTERNAL_ERROR
//   /delay?ms=M  answers "late" after M ms
//   /empty       204 No Content
import * as http2 from "node:http2";
import type * as net from "node:net";
import { createHash } from "node:crypto";

export const runtime = "Deno" in globalThis ? "Deno" : "Bun" in globalThis ? "Bun" : "Node";

/** Deterministic body bytes for /get?n=N. */
export function bodyOf(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + n) & 0xff;
  return out;
}

/** sha256 in hex. */
export const sha = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

export interface Served {
  port: number;
  /** Streams open at once, at most, since the start. */
  peakStreams: number;
  /** Server sessions, for GOAWAY and friends. */
  sessions: Set<http2.ServerHttp2Session>;
  close(): Promise<void>;
}

/** Starts the server with the given SETTINGS. */
export function serve(settings: http2.Settings = {}): Promise<Served> {
  const server = http2.createServer({ settings });
  let open = 0;
  const s: Served = { port: 0, peakStreams: 0, sessions: new Set(), close: () => Promise.resolve() };
  const timers = new Set<ReturnType<typeof setTimeout>>();
  server.on("session", (sess) => {
    s.sessions.add(sess);
    sess.on("close", () => s.sessions.delete(sess));
    sess.on("error", () => {});
  });
  server.on("stream", (stream, headers) => {
    open++;
    s.peakStreams = Math.max(s.peakStreams, open);
    stream.on("close", () => open--);
    stream.on("error", () => {});
    const url = new URL(String(headers[":path"]), "http://x");
    switch (url.pathname) {
      case "/get": {
        const n = Number(url.searchParams.get("n"));
        stream.respond({ ":status": 200, "content-length": String(n), "x-n": String(n) });
        stream.end(bodyOf(n));
        return;
      }
      case "/echo": {
        const hash = createHash("sha256");
        let length = 0;
        stream.on("data", (c: Uint8Array) => {
          hash.update(c);
          length += c.length;
        });
        stream.on("end", () => {
          stream.respond({ ":status": 200 });
          stream.end(`${length} ${hash.digest("hex")}`);
        });
        return;
      }
      case "/trailers":
        stream.respond({ ":status": 200 }, { waitForTrailers: true });
        stream.on("wantTrailers", () => stream.sendTrailers({ "x-checksum": "abc123", "x-count": "2" }));
        stream.write("part one,");
        stream.end("part two");
        return;
      case "/hang":
        return;
      case "/reset":
        stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
        return;
      case "/delay": {
        const t = setTimeout(
          () => {
            timers.delete(t);
            if (stream.closed || stream.destroyed) return;
            stream.respond({ ":status": 200 });
            stream.end("late");
          },
          Number(url.searchParams.get("ms")),
        );
        timers.add(t);
        return;
      }
      case "/empty":
        stream.respond({ ":status": 204 });
        stream.end();
        return;
      default:
        stream.respond({ ":status": 404 });
        stream.end();
    }
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      s.port = (server.address() as net.AddressInfo).port;
      s.close = () =>
        new Promise<void>((done) => {
          for (const t of timers) clearTimeout(t);
          for (const sess of s.sessions) sess.destroy();
          server.close(() => done());
        });
      resolve(s);
    });
  });
}

/** Null when this runtime's node:http2 server answers its own client, else the reason it does not. */
export async function probe(): Promise<string | null> {
  let s: Served | null = null;
  try {
    s = await serve();
    const port = s.port;
    const status = await new Promise<number>((resolve, reject) => {
      const c = http2.connect(`http://127.0.0.1:${port}`);
      const timer = setTimeout(() => {
        c.destroy();
        reject(new Error("no answer within 3 s"));
      }, 3000);
      c.on("error", reject);
      const r = c.request({ ":path": "/get?n=3" });
      r.on("response", (h) => {
        r.resume();
        r.on("end", () => {
          clearTimeout(timer);
          c.close();
          resolve(Number(h[":status"]));
        });
      });
      r.on("error", reject);
    });
    return status === 200 ? null : `node:http2 answered its own client with ${status} on ${runtime}`;
  } catch (e) {
    return `node:http2 server not usable on ${runtime}: ${(e as Error).message}`;
  } finally {
    await s?.close();
  }
}
