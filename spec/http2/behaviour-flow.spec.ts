// HTTP/2 flow control through the public API: a 64 MiB upload of unknown length against a server
// that grants only the default 65,535-byte windows (RFC 9113 §6.9.2), and a stalled reader on one
// stream that must not stall the other streams of the same connection (§5.2: per-stream windows).
import { after, before, test } from "node:test";
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as http2 from "node:http2";
import type * as net from "node:net";
import { get, post, Pool } from "../../lib/index.ts";
import { bodyOf, probe, serve, sha } from "./h2-server.ts";
import type { Served } from "./h2-server.ts";

let skip: string | null = null;
let small: Served;
let streaming: { port: number; sessions: number; close(): Promise<void> };

/**
 * An h2c server whose /big?n=N writes bodyOf(N) in 64 KiB slices under backpressure, so a
 * stalled client holds the bytes in flow-control windows, not in the server's session memory
 * (node:http2 refuses new streams with ENHANCE_YOUR_CALM past maxSessionMemory); /get as serve().
 */
async function streamingServer(): Promise<typeof streaming> {
  const server = http2.createServer();
  const live = new Set<http2.ServerHttp2Session>();
  const s = { port: 0, sessions: 0, close: () => Promise.resolve() };
  server.on("session", (sess) => {
    s.sessions++;
    live.add(sess);
    sess.on("close", () => live.delete(sess));
    sess.on("error", () => {});
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    const url = new URL(String(headers[":path"]), "http://x");
    const n = Number(url.searchParams.get("n"));
    stream.respond({ ":status": 200, "content-length": String(n) });
    const body = bodyOf(n);
    if (url.pathname !== "/big") return void stream.end(body);
    let at = 0;
    const pump = (): void => {
      while (at < n) {
        const slice = body.subarray(at, Math.min(n, at + 65536));
        at += slice.length;
        if (at >= n) return void stream.end(slice);
        if (!stream.write(slice)) return void stream.once("drain", pump);
      }
    };
    pump();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  s.port = (server.address() as net.AddressInfo).port;
  s.close = () =>
    new Promise<void>((done) => {
      for (const x of live) x.destroy();
      server.close(() => done());
    });
  return s;
}

before(async () => {
  skip = await probe();
  if (skip !== null) return;
  small = await serve({ initialWindowSize: 65535 });
  streaming = await streamingServer();
});
after(async () => {
  await small?.close();
  await streaming?.close();
});

function skipped(t: TestContext): boolean {
  if (skip === null) return false;
  t.skip(skip);
  return true;
}

/** Rejects after `ms` with `what`, so a stall fails the test instead of hanging it. */
function within<T>(ms: number, what: string, p: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not done within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

test("http2 flow - a 64 MiB upload of unknown length through 65,535-byte windows arrives intact", async (t) => {
  if (skipped(t)) return;
  const CHUNK = 64 * 1024;
  const COUNT = 1024;
  const ours = createHash("sha256");
  const chunkAt = (i: number): Uint8Array => {
    const c = new Uint8Array(CHUNK);
    for (let j = 0; j < CHUNK; j += 4) c[j] = (i + j) & 0xff;
    return c;
  };
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let i = 0; i < COUNT; i++) {
      const c = chunkAt(i);
      ours.update(c);
      yield c;
    }
  }
  const pool = new Pool();
  try {
    const res = await within(
      90_000,
      "64 MiB upload",
      post(`http://127.0.0.1:${small.port}/echo`, { pool, http2PriorKnowledge: true, body: chunks() }),
    );
    assert.equal(res.httpVersion, "2");
    assert.equal(await res.text(), `${CHUNK * COUNT} ${ours.digest("hex")}`);
  } finally {
    await pool.close();
  }
});

test("http2 flow - a stalled reader on one stream does not stall 20 other requests on the connection", async (t) => {
  if (skipped(t)) return;
  const BIG = 32 << 20;
  const pool = new Pool({ maxConnections: 1 });
  const u = `http://127.0.0.1:${streaming.port}`;
  try {
    const big = await within(
      20_000,
      "big response head",
      get(`${u}/big?n=${BIG}`, { pool, http2PriorKnowledge: true }),
    );
    const it = big[Symbol.asyncIterator]();
    const first = await within(20_000, "first chunk", it.next());
    assert.equal(first.done, false);
    let n = first.value!.byteLength;
    assert.ok(n > 0 && n < BIG);
    // The big stream is not read now; its window closes, the connection's must not.
    const sizes = Array.from({ length: 20 }, (_, i) => 100 + i * 997);
    const bodies = await within(
      10_000,
      "20 small GETs beside a stalled stream",
      Promise.all(
        sizes.map(async (s) => {
          const r = await get(`${u}/get?n=${s}`, { pool, http2PriorKnowledge: true });
          assert.equal(r.httpVersion, "2");
          return sha(await r.bytes()) === sha(bodyOf(s));
        }),
      ),
    );
    assert.equal(bodies.filter(Boolean).length, 20);
    assert.equal(streaming.sessions, 1, "all on one connection");
    const want = bodyOf(BIG);
    const got = createHash("sha256").update(first.value!);
    await within(
      60_000,
      "rest of the big body",
      (async () => {
        for (let r = await it.next(); !r.done; r = await it.next()) {
          got.update(r.value);
          n += r.value.byteLength;
        }
      })(),
    );
    assert.equal(n, BIG);
    assert.equal(got.digest("hex"), sha(want));
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
  }
});
