// The public types say received bytes are Uint8Array<ArrayBuffer> (as fetch's are): these specs
// check that every way of reading them really hands out views of plain ArrayBuffers, never of
// SharedArrayBuffers, on each runtime and protocol.
import { test } from "node:test";
import assert from "node:assert/strict";
import type * as net from "node:net";
import * as zlib from "node:zlib";
import { get, Pool } from "../../lib/index.ts";
import type { HansomError } from "../../lib/index.ts";
import { rejection } from "../helpers/errors.ts";
import { httpServer, rawServer } from "../helpers/servers.ts";
import { probe, serve } from "../http2/h2-server.ts";

/** Fails unless `b` is a Uint8Array over a plain ArrayBuffer. */
function assertPlain(b: Uint8Array, what: string): void {
  assert.ok(b instanceof Uint8Array, `${what} is a Uint8Array`);
  assert.equal(Object.prototype.toString.call(b.buffer), "[object ArrayBuffer]", `${what} is backed by an ArrayBuffer`);
  if (typeof SharedArrayBuffer === "function")
    assert.ok(!(b.buffer instanceof SharedArrayBuffer), `${what} is not shared memory`);
}

/** Reads a body stream to the end, checking each chunk. */
async function readStream(body: ReadableStream<Uint8Array>, what: string): Promise<number> {
  let n = 0;
  const reader = body.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    assertPlain(r.value, what);
    n += r.value.byteLength;
  }
  return n;
}

const text = "0123456789".repeat(2000);

test("received bytes - chunks from body, iteration, bytes(), events and multipart are ArrayBuffer-backed (HTTP/1.1)", async () => {
  const srv = await httpServer((req, res) => {
    if (req.url === "/gzip") {
      res.setHeader("content-encoding", "gzip");
      res.end(zlib.gzipSync(text));
      return;
    }
    if (req.url === "/multipart") {
      res.setHeader("content-type", "multipart/form-data; boundary=XyZ");
      res.end(`--XyZ\r\ncontent-disposition: form-data; name="a"\r\n\r\n${text}\r\n--XyZ--\r\n`);
      return;
    }
    // Chunked, several writes: the reader sees more than one chunk.
    res.write(text.slice(0, 7000));
    setTimeout(() => res.end(text.slice(7000)), 5);
  });
  const pool = new Pool();
  try {
    assert.equal(await readStream((await get(srv.url, { pool })).body!, "a body stream chunk"), text.length);
    let n = 0;
    for await (const c of await get(srv.url, { pool })) {
      assertPlain(c, "an iterated chunk");
      n += c.byteLength;
    }
    assert.equal(n, text.length);
    assertPlain(await (await get(srv.url, { pool })).bytes(), "bytes()");
    const buffered = await get(srv.url, { pool, withBody: true });
    for await (const c of buffered) assertPlain(c, "a withBody chunk");
    assert.equal(
      await readStream((await get(`${srv.url}/gzip`, { pool, decompress: true })).body!, "a decoded chunk"),
      text.length,
    );
    for await (const c of await get(`${srv.url}/gzip`, { pool, decompress: true }))
      assertPlain(c, "an iterated decoded chunk");
    let data = 0;
    for await (const ev of await get(srv.url, { pool, async: true })) {
      if (ev.type === "data") {
        assertPlain(ev.chunk, "a data event");
        data++;
      }
    }
    assert.ok(data > 0, "data events arrived");
    let parts = 0;
    for await (const ev of (await get(`${srv.url}/multipart`, { pool })).multipart()) {
      if (ev.type === "body") {
        assertPlain(ev.chunk, "a multipart body chunk");
        parts++;
      }
    }
    assert.ok(parts > 0, "multipart body events arrived");
  } finally {
    await pool.close();
    await srv.close();
  }
});

test("received bytes - partialBody, detach() buffer and the detached readable are ArrayBuffer-backed", async () => {
  const held = new Set<net.Socket>();
  const srv = await rawServer((s) => {
    held.add(s);
    s.on("close", () => held.delete(s));
    s.once("data", (req) => {
      if (String(req).startsWith("GET /short")) {
        s.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
        return;
      }
      s.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nfirst");
      s.once("data", () => s.write("after detach"));
    });
  });
  try {
    const err: HansomError = await rejection((await get(`${srv.url}/short`, { pool: false })).bytes());
    assert.equal(err.code, "closed");
    assertPlain(err.partialBody!, "partialBody");
    const res = await get(`${srv.url}/detach`, { pool: false });
    const d = await res.detach();
    assertPlain(d.buffer, "the detached buffer");
    const w = d.socket.writable.getWriter();
    await w.write(new TextEncoder().encode("more"));
    w.releaseLock();
    const r = d.socket.readable.getReader();
    let got = "";
    const dec = new TextDecoder();
    while (!got.includes("after detach")) {
      const c = await r.read();
      if (c.done) break;
      assertPlain(c.value, "a detached readable chunk");
      got += dec.decode(c.value);
    }
    assert.match(got, /after detach/);
    r.releaseLock();
    await d.socket.close();
  } finally {
    for (const s of held) s.destroy();
    await srv.close();
  }
});

test("received bytes - HTTP/2 body chunks are ArrayBuffer-backed", async (t) => {
  const skip = await probe();
  if (skip !== null) {
    t.skip(skip);
    return;
  }
  const srv = await serve();
  const pool = new Pool();
  try {
    const url = `http://127.0.0.1:${srv.port}/get?n=100000`;
    assert.equal(
      await readStream((await get(url, { pool, http2PriorKnowledge: true })).body!, "an h2 body stream chunk"),
      100000,
    );
    for await (const c of await get(url, { pool, http2PriorKnowledge: true })) assertPlain(c, "an iterated h2 chunk");
    assertPlain(await (await get(url, { pool, http2PriorKnowledge: true })).bytes(), "h2 bytes()");
  } finally {
    await pool.close();
    await srv.close();
  }
});
