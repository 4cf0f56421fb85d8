// Shared tools of the hostile specs: raw loopback servers that count every socket they accept,
// a server-side request reader for scripted keep-alive servers, time bounds, byte helpers and
// a listener counter for AbortSignals. Not a spec file (spec/run.mjs picks *.spec.ts only).
import * as net from "node:net";
import * as v8 from "node:v8";
import * as vm from "node:vm";
import assert from "node:assert/strict";
import { HansomError } from "../../lib/index.ts";
import type { Pool } from "../../lib/index.ts";

/** Latin-1 bytes of a string: fixtures can hold any byte. */
export const bytes = (s: string): Uint8Array => {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i) & 0xff;
  return out;
};
/** Bytes as a Latin-1 string. */
export const latin1 = (b: Uint8Array): string => {
  let s = "";
  for (let i = 0; i < b.length; i += 8192)
    s += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  return s;
};

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** `p`, or a rejection naming `what` when it takes longer than `ms` (a hang is a failure, not a stuck run). */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    t = setTimeout(() => reject(new Error(`hang: ${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(t));
}

/** The HansomError `p` rejects with (within `ms`); fails on a resolve, a hang, or any other error. */
export async function hansomRejection(p: Promise<unknown>, ms = 10_000, what = "the request"): Promise<HansomError> {
  try {
    await within(p, ms, what);
  } catch (e) {
    assert.ok(
      e instanceof HansomError,
      `expected a HansomError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`,
    );
    return e;
  }
  assert.fail(`expected ${what} to reject with a HansomError, but it succeeded`);
}

/** A raw TCP server on 127.0.0.1 that counts accepted sockets and closes everything it opened. */
export interface RawServer {
  port: number;
  url: string;
  /** Sockets accepted so far. */
  accepted: number;
  /** Sockets open right now. */
  open(): number;
  close(): Promise<void>;
}

/** Starts a raw server; `onSocket` gets each accepted socket and its 0-based index. */
export function rawServer(onSocket: (s: net.Socket, index: number) => void, host = "127.0.0.1"): Promise<RawServer> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer();
  const r: RawServer = {
    port: 0,
    url: "",
    accepted: 0,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on("connection", (s: net.Socket) => {
    const index = r.accepted++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.on("error", () => {});
    onSocket(s, index);
    // A script that reads nothing still takes in the client's bytes, so that it sees the FIN
    // (and closes) when the client closes: an unread socket would stay open forever.
    if (s.listenerCount("data") === 0) s.resume();
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => {
      r.port = (server.address() as net.AddressInfo).port;
      r.url = `http://${host}:${r.port}`;
      resolve(r);
    });
  });
}

/** One request as a scripted server reads it. */
export interface ServerRequest {
  method: string;
  target: string;
  /** Lower-cased names, wire order. */
  headers: Array<[string, string]>;
  head: string;
  body: Uint8Array;
}

/** Header value by lower-case name. */
export function header(req: ServerRequest, name: string): string | undefined {
  return req.headers.find(([k]) => k === name)?.[1];
}

/**
 * Reads requests off a socket in order (Content-Length or chunked bodies) and calls
 * `onRequest` for each; `onHeadOnly` (optional) sees a head before its body is read, so a
 * server can answer early. Returns a function that stops reading.
 */
export function readRequests(
  s: net.Socket,
  onRequest: (req: ServerRequest) => void,
  onHeadOnly?: (req: ServerRequest) => void,
): () => void {
  let buf: Buffer = Buffer.alloc(0);
  let cur: ServerRequest | null = null;
  let need = -1; // body bytes left (length), or -2 while reading chunked
  const parts: Buffer[] = [];
  let stopped = false;
  const onData = (c: Buffer): void => {
    buf = buf.length ? Buffer.concat([buf, c]) : c;
    for (;;) {
      if (stopped) return;
      if (!cur) {
        const at = buf.indexOf("\r\n\r\n");
        if (at < 0) return;
        const head = buf.subarray(0, at).toString("latin1");
        buf = buf.subarray(at + 4);
        const [line, ...lines] = head.split("\r\n");
        const [method, target] = line!.split(" ");
        const headers = lines.map((l) => {
          const i = l.indexOf(":");
          return [l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()] as [string, string];
        });
        cur = { method: method!, target: target!, headers, head, body: new Uint8Array(0) };
        const te = header(cur, "transfer-encoding");
        need = te && /chunked/i.test(te) ? -2 : Number(header(cur, "content-length") ?? 0);
        onHeadOnly?.(cur);
      }
      if (need >= 0) {
        const n = Math.min(need, buf.length);
        if (n > 0) parts.push(buf.subarray(0, n));
        buf = buf.subarray(n);
        need -= n;
        if (need > 0) return;
      } else {
        const lf = buf.indexOf("\r\n");
        if (lf < 0) return;
        const size = parseInt(buf.subarray(0, lf).toString("latin1"), 16);
        if (buf.length < lf + 2 + size + 2) return;
        if (size > 0) parts.push(buf.subarray(lf + 2, lf + 2 + size));
        buf = buf.subarray(lf + 2 + size + 2);
        if (size > 0) continue;
      }
      cur.body = Buffer.concat(parts.splice(0));
      const done = cur;
      cur = null;
      onRequest(done);
    }
  };
  s.on("data", onData);
  return () => {
    stopped = true;
    s.off("data", onData);
  };
}

/** A socket reset (RST), not a FIN; every runtime's node:net has resetAndDestroy(). */
export function reset(s: net.Socket): void {
  const r = (s as net.Socket & { resetAndDestroy?: () => void }).resetAndDestroy;
  if (typeof r === "function") r.call(s);
  else s.destroy();
}

/** Waits until the pool has nothing checked out (a connection is released asynchronously after some failures). */
export async function settled(pool: Pool, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (pool.stats().inUse !== 0 && Date.now() < until) await sleep(5);
  assert.equal(
    pool.stats().inUse,
    0,
    `pool still has ${pool.stats().inUse} connection(s) in use ${ms} ms after the request ended`,
  );
}

/** FNV-1a (32-bit), incremental: cheap and order-sensitive, enough to catch mixed-up or lost bytes. */
export class Fnv {
  h = 0x811c9dc5;
  n = 0;
  update(b: Uint8Array): this {
    let h = this.h;
    for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    this.h = h >>> 0;
    this.n += b.length;
    return this;
  }
}

/** Deterministic bytes for a body: byte i of stream `seed` (cheap to regenerate and check). */
export function pattern(seed: number, length: number, offset = 0): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = ((offset + i) * 31 + seed * 7 + ((offset + i) >> 8)) & 0xff;
  return out;
}

/**
 * Wraps addEventListener / removeEventListener on one AbortSignal object and counts the
 * listeners it holds (the runtime's own bookkeeping is not observable on every runtime).
 */
export function listenerCounter(signal: AbortSignal): { live(): number; added(): number } {
  const live = new Set<unknown>();
  let added = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  Object.defineProperty(signal, "addEventListener", {
    configurable: true,
    value(type: string, l: EventListenerOrEventListenerObject | null, o?: AddEventListenerOptions | boolean) {
      if (type === "abort" && l) {
        added++;
        live.add(l);
      }
      return add(type, l as EventListenerOrEventListenerObject, o);
    },
  });
  Object.defineProperty(signal, "removeEventListener", {
    configurable: true,
    value(type: string, l: EventListenerOrEventListenerObject | null, o?: EventListenerOptions | boolean) {
      if (type === "abort" && l) live.delete(l);
      return remove(type, l as EventListenerOrEventListenerObject, o);
    },
  });
  return { live: () => live.size, added: () => added };
}

/** Resident set size in bytes (process.memoryUsage works on Node, Deno and Bun). */
export function rss(): number {
  return process.memoryUsage().rss;
}

/** A full GC where the runtime offers one: Bun.gc, a --expose-gc global, or V8's flag set at run time (Node). */
export const gc: () => void = (() => {
  const g = globalThis as { gc?: () => void; Bun?: { gc(sync: boolean): void } };
  if (g.Bun) return () => g.Bun!.gc(true);
  if (typeof g.gc === "function") return g.gc;
  try {
    v8.setFlagsFromString("--expose-gc");
    const f = vm.runInNewContext("gc") as unknown;
    if (typeof f === "function") return f as () => void;
  } catch {
    // Deno: no way to force a collection
  }
  return () => {};
})();

/** Every unhandled rejection while `fn` runs (they must not happen: each is a lost error). */
export async function noUnhandled<T>(fn: () => Promise<T>): Promise<T> {
  const seen: unknown[] = [];
  const onRej = (e: unknown): void => {
    seen.push(e);
  };
  process.on("unhandledRejection", onRej);
  try {
    const out = await fn();
    await sleep(20);
    assert.deepEqual(seen.map(String), [], "unhandled rejections");
    return out;
  } finally {
    process.off("unhandledRejection", onRej);
  }
}

/** What a scripted server does for one request: bytes to write (Latin-1 text or raw), or its own action. */
export type Reply = string | Uint8Array | null | ((s: net.Socket, req: ServerRequest) => void);

/** A raw server answering each request per `plan(connection, request on it, the request)`; null answers nothing. */
export async function scriptedServer(
  plan: (conn: number, req: number, r: ServerRequest) => Reply,
): Promise<RawServer & { requests: ServerRequest[] }> {
  const requests: ServerRequest[] = [];
  const srv = await rawServer((s, conn) => {
    let n = 0;
    readRequests(s, (r) => {
      requests.push(r);
      const reply = plan(conn, n++, r);
      if (reply === null || s.destroyed) return;
      if (typeof reply === "function") reply(s, r);
      else s.write(typeof reply === "string" ? bytes(reply) : reply);
    });
  });
  return Object.assign(srv, { requests });
}

/** A plain keep-alive answer with this body. */
export const ok = (body = "good"): string => `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
