// The session engine against a real HTTP/2 server: node:http2 over cleartext (h2c) on
// 127.0.0.1, with a node:net socket carrying the engine's bytes (only the spec touches node:).
// On a runtime whose node:http2 cannot serve its own client, the tests skip with the reason.
import { after, before, test } from "node:test";
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { ClientSession } from "../../lib/http2/session.ts";
import type { SessionOptions } from "../../lib/http2/session.ts";
import type { HansomError } from "../../lib/errors.ts";
import { bodyOf, probe, serve, sha } from "./h2-server.ts";
import type { Served } from "./h2-server.ts";

interface Reply {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array;
  trailers: Array<[string, string]> | null;
}

interface Pending {
  resolve(r: Reply): void;
  reject(e: Error): void;
  status: number;
  headers: Array<[string, string]>;
  chunks: Uint8Array[];
  trailers: Array<[string, string]> | null;
  writable: (() => void) | null;
}

/** A minimal client over the engine: one socket, one session, requests as promises. */
class Client {
  readonly session: ClientSession;
  readonly socket: net.Socket;
  readonly #pending = new Map<number, Pending>();
  #failed: Error | null = null;

  private constructor(socket: net.Socket, options: SessionOptions) {
    this.socket = socket;
    const finish = (id: number) => {
      const p = this.#pending.get(id)!;
      this.#pending.delete(id);
      const body = new Uint8Array(p.chunks.reduce((n, c) => n + c.length, 0));
      let at = 0;
      for (const c of p.chunks) {
        body.set(c, at);
        at += c.length;
      }
      p.resolve({ status: p.status, headers: p.headers, body, trailers: p.trailers });
    };
    const fail = (id: number, e: Error) => {
      this.#pending.get(id)?.reject(e);
      this.#pending.delete(id);
    };
    this.session = new ClientSession(
      {
        output: (b) => socket.write(b),
        onHeaders: (id, status, headers, end) => {
          const p = this.#pending.get(id)!;
          p.status = status;
          p.headers = headers;
          if (end) finish(id);
        },
        onData: (id, chunk, end) => {
          this.#pending.get(id)!.chunks.push(chunk.slice());
          this.session.consume(id, chunk.length);
          if (end) finish(id);
        },
        onTrailers: (id, fields) => {
          this.#pending.get(id)!.trailers = fields;
          finish(id);
        },
        onStreamReset: (id, code) => fail(id, new Error(`stream ${id} reset: ${code}`)),
        onStreamError: (id, err) => fail(id, err),
        onGoaway: () => {},
        onWritable: (id) => this.#pending.get(id)?.writable?.(),
        onError: (err: HansomError) => this.#fail(err),
      },
      options,
    );
    socket.on("data", (b: Uint8Array) => this.session.receive(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    socket.on("error", (e) => this.#fail(e));
    socket.on("close", () => this.#fail(new Error("socket closed")));
    this.session.start();
  }

  static connect(port: number, options: SessionOptions = {}): Promise<Client> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, "127.0.0.1");
      socket.once("error", reject);
      socket.once("connect", () => {
        socket.setNoDelay(true);
        resolve(new Client(socket, options));
      });
    });
  }

  #fail(e: Error): void {
    this.#failed ??= e;
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }

  /** Sends a request; a body is written in 64 KiB pieces, waiting for onWritable when the engine queues. */
  async request(method: string, path: string, body?: Uint8Array): Promise<Reply> {
    if (this.#failed) throw this.#failed;
    const fields: Array<[string, string]> = [
      [":method", method],
      [":scheme", "http"],
      [":authority", `127.0.0.1:${this.socket.remotePort}`],
      [":path", path],
    ];
    const id = this.session.request(fields, body === undefined);
    const reply = new Promise<Reply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, status: 0, headers: [], chunks: [], trailers: null, writable: null });
    });
    if (body !== undefined) {
      const p = this.#pending.get(id)!;
      for (let at = 0; at < body.length || at === 0; ) {
        const end = Math.min(body.length, at + 65536);
        const queued = this.session.sendData(id, body.subarray(at, end), end === body.length);
        at = end;
        if (at === body.length) break;
        if (queued > 0) await new Promise<void>((r) => (p.writable = r));
      }
    }
    return reply;
  }

  close(): void {
    this.session.goaway();
    this.session.destroy();
    this.socket.destroy();
  }
}

let skip: string | null = null;
let plain: Served;
let small: Served;
before(async () => {
  skip = await probe();
  if (skip !== null) {
    console.log(`# http2 interop skipped: ${skip}`);
    return;
  }
  plain = await serve();
  // A small stream window: the 8 MiB upload has to ride on the server's WINDOW_UPDATEs.
  small = await serve({ initialWindowSize: 16384 });
});
after(async () => {
  await plain?.close();
  await small?.close();
});

function skipped(t: TestContext): boolean {
  if (skip === null) return false;
  t.skip(skip);
  return true;
}

test("http2 interop - 100 concurrent GETs on one connection, every body checked", async (t) => {
  if (skipped(t)) return;
  const c = await Client.connect(plain.port);
  try {
    const sizes = Array.from({ length: 100 }, (_, i) => (i * 7919) % 200_000);
    const replies = await Promise.all(sizes.map((n) => c.request("GET", `/get?n=${n}`)));
    replies.forEach((r, i) => {
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.headers.find(([k]) => k === "x-n"),
        ["x-n", String(sizes[i])],
      );
      assert.equal(r.body.length, sizes[i]);
      assert.equal(sha(r.body), sha(bodyOf(sizes[i]!)), `body of /get?n=${sizes[i]}`);
    });
    assert.equal(c.session.openStreams, 0);
    assert.equal(c.session.closed, false);
  } finally {
    c.close();
  }
});

test("http2 interop - an 8 MiB POST against a server with a 16 KiB stream window", async (t) => {
  if (skipped(t)) return;
  const c = await Client.connect(small.port);
  try {
    const body = new Uint8Array(8 << 20);
    for (let i = 0; i < body.length; i++) body[i] = (i * 131) >>> 3;
    const r = await c.request("POST", "/echo", body);
    assert.equal(r.status, 200);
    assert.equal(new TextDecoder().decode(r.body), `${body.length} ${sha(body)}`);
    assert.equal(c.session.peerSettings.initialWindowSize, 16384);
  } finally {
    c.close();
  }
});

test("http2 interop - trailers after a streamed body", async (t) => {
  if (skipped(t)) return;
  const c = await Client.connect(plain.port, { initialWindowSize: 65535, connectionWindowSize: 65535 });
  try {
    const r = await c.request("GET", "/trailers");
    assert.equal(r.status, 200);
    assert.equal(new TextDecoder().decode(r.body), "part one,part two");
    assert.deepEqual(r.trailers, [
      ["x-checksum", "abc123"],
      ["x-count", "2"],
    ]);
    const missing = await c.request("GET", "/nope");
    assert.equal(missing.status, 404);
  } finally {
    c.close();
  }
});
