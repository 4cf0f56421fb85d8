// HTTP/2 failures through the public API: GOAWAY with requests in flight (RFC 9113 §6.8: streams
// at or below the last stream id finish, the others were not processed and may be retried),
// RST_STREAM in the middle of a body (§6.4), trailers after the body (§8.1), and a protocol
// violation by the server (§5.4.1: a connection error ends the connection).
import { after, before, test } from "node:test";
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import * as http2 from "node:http2";
import type * as net from "node:net";
import { get, post, put, Pool } from "../../lib/index.ts";
import type { Response } from "../../lib/index.ts";
import {
  DATA,
  encodeData,
  encodeHeaders,
  encodeRstStream,
  encodeSettings,
  encodeSettingsAck,
  GOAWAY,
  HEADERS,
  PREFACE,
  SETTINGS,
} from "../../lib/http2/frame.ts";
import { rejection } from "../helpers/errors.ts";
import { rawServer, sleep } from "../helpers/servers.ts";
import { probe, serve } from "./h2-server.ts";
import type { Served } from "./h2-server.ts";

let skip: string | null = null;
let plain: Served;

before(async () => {
  skip = await probe();
  if (skip !== null) return;
  plain = await serve();
});
after(async () => {
  await plain?.close();
});

function skipped(t: TestContext): boolean {
  if (skip === null) return false;
  t.skip(skip);
  return true;
}

/** Polls `cond` every 10 ms; fails after `ms`. */
async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(10);
  }
}

interface Held {
  id: number;
  path: string;
  stream: http2.ServerHttp2Stream;
}

/** An h2c server whose first session holds every stream; later sessions answer at once. */
async function holdingServer(respond: (s: http2.ServerHttp2Stream, path: string, session: number) => void) {
  const server = http2.createServer();
  const live = new Set<http2.ServerHttp2Session>();
  const st = { port: 0, sessions: 0, first: null as http2.ServerHttp2Session | null, held: [] as Held[] };
  server.on("session", (sess) => {
    st.sessions++;
    if (st.first === null) st.first = sess;
    live.add(sess);
    sess.on("close", () => live.delete(sess));
    sess.on("error", () => {});
  });
  server.on("stream", (stream, headers) => {
    stream.on("error", () => {});
    const path = String(headers[":path"]);
    if (stream.session === st.first) st.held.push({ id: stream.id!, path, stream });
    else respond(stream, path, st.sessions);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  st.port = (server.address() as net.AddressInfo).port;
  const close = () =>
    new Promise<void>((done) => {
      for (const s of live) s.destroy();
      server.close(() => done());
    });
  return Object.assign(st, { close });
}

/** Reads the request body, then answers "<path> from session <n>". */
function answer(stream: http2.ServerHttp2Stream, path: string, session: number): void {
  stream.resume();
  const reply = () => {
    if (stream.destroyed || stream.closed) return;
    stream.respond({ ":status": 200 });
    stream.end(`${path} from session ${session}`);
  };
  if (stream.readableEnded) reply();
  else stream.on("end", reply);
}

test("http2 behaviour - GOAWAY in flight: streams up to its last id finish, GETs above it are retried, others are closed", async (t) => {
  if (skipped(t)) return;
  const srv = await holdingServer(answer);
  const pool = new Pool({ maxConnections: 1 });
  const u = `http://127.0.0.1:${srv.port}`;
  const o = { pool, http2PriorKnowledge: true, checkoutTimeout: 10_000 } as const;
  try {
    const a = get(`${u}/a`, o);
    const b = get(`${u}/b`, o);
    await until(() => srv.held.length === 2, 5000, "two streams at the server");
    const c = get(`${u}/c`, o);
    const d = post(`${u}/d`, { ...o, body: "replayable" });
    async function* oneShot(): AsyncGenerator<Uint8Array> {
      yield new TextEncoder().encode("one-shot");
    }
    const e = put(`${u}/e`, { ...o, body: oneShot() });
    // Held from the start: they reject while a and b are still in flight.
    const dErr = rejection(d);
    const eErr = rejection(e);
    await until(() => srv.held.length === 5, 5000, "five streams at the server");
    const low = srv.held.filter((h) => h.path === "/a" || h.path === "/b");
    const last = Math.max(...low.map((h) => h.id));
    assert.ok(
      srv.held.filter((h) => h.id > last).length === 3,
      `ids ${srv.held.map((h) => `${h.path}=${h.id}`).join(" ")}`,
    );
    srv.first!.goaway(http2.constants.NGHTTP2_NO_ERROR, last);
    await sleep(50);
    for (const h of low) answer(h.stream, h.path, 1);
    // Bodies read as they come: the draining connection holds the pool's one slot until a and b end.
    const read = (p: Promise<Response>) => p.then(async (r) => `${r.httpVersion} ${await r.text()}`);
    const [ta, tb, tc] = await Promise.all([read(a), read(b), read(c)]);
    assert.equal(ta, "2 /a from session 1");
    assert.equal(tb, "2 /b from session 1");
    assert.equal(tc, "2 /c from session 2");
    const ed = await dErr;
    assert.equal(ed.code, "closed", ed.message);
    assert.match(ed.message, /not idempotent/);
    const ee = await eErr;
    assert.equal(ee.code, "closed", ee.message);
    assert.match(ee.message, /one-shot/);
    assert.equal(srv.sessions, 2);
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
    await srv.close();
  }
});

test("http2 behaviour - trailers are on res.trailers once the body is read", async (t) => {
  if (skipped(t)) return;
  const pool = new Pool();
  try {
    const res = await get(`http://127.0.0.1:${plain.port}/trailers`, { pool, http2PriorKnowledge: true });
    assert.equal(await res.text(), "part one,part two");
    const trailers = [...(res.trailers ?? [])].sort(([x], [y]) => (x < y ? -1 : 1));
    assert.deepEqual(trailers, [
      ["x-checksum", "abc123"],
      ["x-count", "2"],
    ]);
    const plainRes = await get(`http://127.0.0.1:${plain.port}/get?n=3`, { pool, http2PriorKnowledge: true });
    await plainRes.bytes();
    assert.ok(plainRes.trailers === null || plainRes.trailers.length === 0, "no trailers where none were sent");
  } finally {
    await pool.close();
  }
});

/** Frames in `buf` after the client preface: [type, flags, streamId, payload]. */
function framesOf(buf: Uint8Array): Frames {
  const out: Frames = [];
  let at = PREFACE.length;
  while (at + 9 <= buf.length) {
    const len = (buf[at]! << 16) | (buf[at + 1]! << 8) | buf[at + 2]!;
    if (at + 9 + len > buf.length) break;
    const id = ((buf[at + 5]! & 0x7f) << 24) | (buf[at + 6]! << 16) | (buf[at + 7]! << 8) | buf[at + 8]!;
    out.push([buf[at + 3]!, buf[at + 4]!, id, buf.subarray(at + 9, at + 9 + len)]);
    at += 9 + len;
  }
  return out;
}

type Frames = Array<[number, number, number, Uint8Array]>;

/**
 * A raw node:net server speaking just enough HTTP/2 by hand: it answers the client's SETTINGS
 * with its own and an ACK, records every frame it gets, and calls `onRequest` for each HEADERS
 * frame that opens a stream (nth counts from 0). Needs no node:http2, so no probe() skip.
 */
async function rawH2(onRequest: (sock: net.Socket, streamId: number, nth: number) => void) {
  const seen: Array<{ frames: Frames; closed: boolean }> = [];
  let nth = 0;
  const srv = await rawServer((sock) => {
    const rec = { frames: [] as Frames, closed: false };
    seen.push(rec);
    let buf = new Uint8Array(0);
    let greeted = false;
    const opened = new Set<number>();
    sock.on("error", () => {});
    sock.on("close", () => (rec.closed = true));
    sock.on("data", (c: Uint8Array) => {
      const next = new Uint8Array(buf.length + c.length);
      next.set(buf);
      next.set(c, buf.length);
      buf = next;
      if (buf.length < PREFACE.length) return;
      rec.frames = framesOf(buf);
      if (!greeted && rec.frames.some(([type, flags]) => type === SETTINGS && (flags & 1) === 0)) {
        greeted = true;
        sock.write(encodeSettings([]));
        sock.write(encodeSettingsAck());
      }
      if (!greeted) return;
      for (const [type, , id] of rec.frames) {
        if (type !== HEADERS || opened.has(id)) continue;
        opened.add(id);
        onRequest(sock, id, nth++);
      }
    });
  });
  return Object.assign(srv, { seen });
}

/** HPACK for ":status: 200", the static table's index 8 (RFC 7541 Appendix A). */
const STATUS_200 = new Uint8Array([0x88]);

test("http2 behaviour - RST_STREAM CANCEL mid-body: the body read is stream_reset naming CANCEL; the pool goes on", async () => {
  const timers = new Set<ReturnType<typeof setTimeout>>();
  const srv = await rawH2((sock, id, nth) => {
    sock.write(encodeHeaders(id, STATUS_200, false, 16384));
    if (nth > 0) return void sock.write(encodeData(id, new TextEncoder().encode("fine"), true));
    sock.write(encodeData(id, new Uint8Array(16384).fill(0x61), false));
    const tm = setTimeout(() => {
      timers.delete(tm);
      sock.write(encodeRstStream(id, 0x8));
    }, 50);
    timers.add(tm);
  });
  const pool = new Pool();
  try {
    const res = await get(`${srv.url}/cancel`, { pool, http2PriorKnowledge: true, recvTimeout: 5000 });
    assert.equal(res.status, 200);
    const err = await rejection(res.bytes());
    assert.equal(err.code, "stream_reset", `${err.code}: ${err.message}`);
    assert.match(err.message, /CANCEL/);
    const next = await get(`${srv.url}/ok`, { pool, http2PriorKnowledge: true, recvTimeout: 5000 });
    assert.equal(await next.text(), "fine");
    assert.equal(srv.accepted, 1, "the connection outlives the reset stream");
  } finally {
    await pool.close();
    for (const tm of timers) clearTimeout(tm);
    await srv.close();
  }
});

test("http2 behaviour - DATA on stream 0 from the server is bad_response, and the connection ends with GOAWAY PROTOCOL_ERROR", async () => {
  const srv = await rawH2((sock) => void sock.write(encodeData(0, new TextEncoder().encode("illegal"), false)));
  const seen = srv.seen;
  const pool = new Pool();
  try {
    const err = await rejection(get(`${srv.url}/`, { pool, http2PriorKnowledge: true, recvTimeout: 5000 }));
    assert.equal(err.code, "bad_response", `${err.code}: ${err.message}`);
    await until(() => seen[0]?.closed === true, 5000, "the client closes the connection");
    const goaway = seen[0]!.frames.find(([type]) => type === GOAWAY);
    assert.ok(goaway, `a GOAWAY; frames: ${seen[0]!.frames.map(([ty]) => ty).join(",")}`);
    const code = new DataView(goaway[3].buffer, goaway[3].byteOffset + 4, 4).getUint32(0);
    assert.equal(code, 1, "PROTOCOL_ERROR");
    assert.ok(
      !seen[0]!.frames.some(([type, , id]) => type === DATA && id === 0),
      "the client sent no DATA on stream 0",
    );
    // The next request does not reuse the dead connection.
    const again = await rejection(get(`${srv.url}/`, { pool, http2PriorKnowledge: true, recvTimeout: 5000 }));
    assert.equal(again.code, "bad_response");
    assert.equal(srv.accepted, 2);
  } finally {
    await pool.close();
    await srv.close();
  }
});
