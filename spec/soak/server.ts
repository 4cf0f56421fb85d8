// The soak's loopback server: raw node:net, told by each request's query what to answer
// (size, framing, fault), checking every request body against the checksum its headers carry,
// incrementally. It counts the sockets it has open so the soak can check none is left.
import * as net from "node:net";
import { Fnv, SOURCE } from "./bytes.ts";

/** What the client asks for, in the query: ?id&off&size&frame&fault. */
export type Fault = "none" | "reset-head" | "reset-body" | "stall" | "close-after" | "conn-close" | "silent" | "bad";

export interface SoakServer {
  port: number;
  /** Sockets open now. */
  open(): number;
  accepted: number;
  /** Request bodies whose length or checksum did not match what the client declared. */
  badBodies: number;
  /** Request heads the server could not make sense of (a client bug). */
  badRequests: number;
  close(): Promise<void>;
}

interface Req {
  query: URLSearchParams;
  /** Body bytes left (Content-Length), or -1 while chunked. */
  left: number;
  chunked: boolean;
  /** Chunked decoding: size-line text, or bytes left in this chunk, CRLF after data. */
  line: string;
  chunkLeft: number;
  afterData: number;
  trailer: boolean;
  sum: Fnv;
  wantSum: number;
  wantLen: number;
}

const HEAD_END = Buffer.from("\r\n\r\n");

export async function startServer(): Promise<SoakServer> {
  const sockets = new Set<net.Socket>();
  const srv: SoakServer = {
    port: 0,
    accepted: 0,
    badBodies: 0,
    badRequests: 0,
    open: () => sockets.size,
    close: async () => {},
  };
  const server = net.createServer((s) => {
    srv.accepted++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    s.setNoDelay(true);
    let head: Buffer = Buffer.alloc(0);
    let req: Req | null = null;
    let busy = false;

    const onData = (chunk: Buffer): void => {
      let c: Buffer = chunk;
      let off = 0;
      while (off < c.length && !s.destroyed) {
        if (busy) {
          // The next request (pipelined, or sent as the answer went out): kept for later.
          head = head.length ? Buffer.concat([head, c.subarray(off)]) : c.subarray(off);
          return;
        }
        if (!req) {
          head = head.length ? Buffer.concat([head, c.subarray(off)]) : c.subarray(off);
          const at = head.indexOf(HEAD_END);
          if (at < 0) return;
          c = head.subarray(at + 4);
          off = 0;
          req = parseHead(head.subarray(0, at).toString("latin1"));
          head = Buffer.alloc(0);
          if (!req) {
            srv.badRequests++;
            s.destroy();
            return;
          }
          if (req.query.get("fault") === "reset-head") {
            s.resetAndDestroy();
            return;
          }
          if (req.left === 0 && !req.chunked) done();
          continue;
        }
        off = feedBody(req, c, off);
        if ((req.left === 0 && !req.chunked) || (req.chunked && req.trailer && req.line === "\r\n")) done();
      }
    };

    const done = (): void => {
      const r = req!;
      req = null;
      const ok = r.sum.n === r.wantLen && (r.wantLen === 0 || r.sum.h === r.wantSum);
      if (!ok) srv.badBodies++;
      busy = true;
      void answer(s, r.query, ok).then(() => {
        busy = false;
        // A pipelined request that arrived during the answer was kept in `head`.
        if (head.length && !s.destroyed) {
          const pending = head;
          head = Buffer.alloc(0);
          onData(pending);
        }
      });
    };
    s.on("data", onData);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  srv.port = (server.address() as net.AddressInfo).port;
  srv.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return srv;
}

function parseHead(text: string): Req | null {
  const lines = text.split("\r\n");
  const [, target] = lines[0]!.split(" ");
  if (!target) return null;
  let len = 0;
  let chunked = false;
  let wantSum = 0;
  let wantLen = 0;
  for (const l of lines.slice(1)) {
    const i = l.indexOf(":");
    const k = l.slice(0, i).toLowerCase();
    const v = l.slice(i + 1).trim();
    if (k === "content-length") len = Number(v);
    else if (k === "transfer-encoding") chunked = /chunked/i.test(v);
    else if (k === "x-sum") wantSum = Number(v);
    else if (k === "x-len") wantLen = Number(v);
  }
  const q = new URL(target, "http://x").searchParams;
  return {
    query: q,
    left: chunked ? -1 : len,
    chunked,
    line: "",
    chunkLeft: 0,
    afterData: 0,
    trailer: false,
    sum: new Fnv(),
    wantSum,
    wantLen,
  };
}

/** Consumes body bytes from `c` at `off`; returns the new offset (stops at the end of the body). */
function feedBody(r: Req, c: Buffer, off: number): number {
  if (!r.chunked) {
    const n = Math.min(r.left, c.length - off);
    r.sum.update(c.subarray(off, off + n));
    r.left -= n;
    return off + n;
  }
  while (off < c.length) {
    if (r.chunkLeft > 0) {
      const n = Math.min(r.chunkLeft, c.length - off);
      r.sum.update(c.subarray(off, off + n));
      r.chunkLeft -= n;
      off += n;
      if (r.chunkLeft === 0) r.afterData = 2;
      continue;
    }
    if (r.afterData > 0) {
      r.afterData--;
      off++;
      continue;
    }
    r.line += String.fromCharCode(c[off++]!);
    if (!r.line.endsWith("\r\n")) continue;
    if (r.trailer) {
      if (r.line === "\r\n") return off; // the empty line ends the trailer section
      r.line = "";
      continue;
    }
    const size = parseInt(r.line, 16);
    r.line = "";
    if (size === 0) r.trailer = true;
    else r.chunkLeft = size;
  }
  return off;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Writes, waiting for drain when the socket backs up. */
async function send(s: net.Socket, b: Uint8Array): Promise<void> {
  if (s.destroyed) return;
  if (!s.write(b))
    await new Promise<void>((r) => {
      const go = (): void => {
        s.off("drain", go);
        s.off("close", go);
        r();
      };
      s.on("drain", go);
      s.on("close", go);
    });
}

async function answer(s: net.Socket, q: URLSearchParams, bodyOk: boolean): Promise<void> {
  const fault = (q.get("fault") ?? "none") as Fault;
  const size = Number(q.get("size") ?? 0);
  const off = Number(q.get("off") ?? 0);
  const chunked = q.get("frame") === "chunked";
  const body = SOURCE.subarray(off, off + size);
  if (fault === "silent") return;
  if (fault === "bad") {
    await send(s, Buffer.from("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello"));
    return;
  }
  const head =
    `HTTP/1.1 200 OK\r\nX-Id: ${q.get("id")}\r\nX-Body: ${bodyOk ? "ok" : "bad"}\r\n` +
    (fault === "conn-close" ? "Connection: close\r\n" : "") +
    (chunked ? "Transfer-Encoding: chunked\r\n\r\n" : `Content-Length: ${size}\r\n\r\n`);
  await send(s, Buffer.from(head, "latin1"));
  const cut = fault === "reset-body" || fault === "stall" ? Math.floor(size / 2) : size;
  // Chunked: pieces of a size picked from the offset, so they vary request to request.
  const piece = chunked ? 1 + ((off * 7919) % 65536) : 256 * 1024;
  let sent = 0;
  const write = async (to: number): Promise<void> => {
    while (sent < to && !s.destroyed) {
      const n = Math.min(piece, to - sent);
      const part = body.subarray(sent, sent + n);
      await send(s, chunked ? Buffer.concat([Buffer.from(`${n.toString(16)}\r\n`), part, Buffer.from("\r\n")]) : part);
      sent += n;
    }
  };
  await write(cut);
  if (fault === "reset-body") {
    await sleep(5); // let the first half out before the RST
    s.resetAndDestroy();
    return;
  }
  if (fault === "stall") await sleep(50 + (off % 150));
  await write(size);
  if (chunked) await send(s, Buffer.from("0\r\n\r\n"));
  if (fault === "conn-close") s.end();
  if (fault === "close-after") {
    if (off % 2) s.end();
    // destroy() drops writes still queued in the stream: wait until they reached the kernel.
    else if (!s.destroyed) s.write(new Uint8Array(0), () => s.destroy());
  }
}
