// decompress: true end to end against a node:http server that compresses with node:zlib: each
// coding decoded through every reader, Accept-Encoding sent, headers kept, info().decoded,
// maxBody on decoded bytes (a bomb stops early), corrupt data is bad_response.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { get, Pool } from "../lib/index.ts";
import { rejection } from "./helpers/errors.ts";
import { httpServer } from "./helpers/servers.ts";

const text = "hansom decodes this body. ".repeat(2000);
const plain = new TextEncoder().encode(text);
const ENCODERS: Record<string, (b: Uint8Array) => Uint8Array> = {
  gzip: (b) => zlib.gzipSync(b),
  "x-gzip": (b) => zlib.gzipSync(b),
  deflate: (b) => zlib.deflateSync(b),
  "deflate-raw": (b) => zlib.deflateRawSync(b), // sent as "deflate": servers that send raw deflate
  br: (b) => zlib.brotliCompressSync(b),
};

async function server() {
  const seen: string[] = [];
  const srv = await httpServer((req, res) => {
    seen.push(String(req.headers["accept-encoding"] ?? ""));
    const coding = req.url!.slice(1);
    if (coding === "bomb") {
      res.setHeader("content-encoding", "gzip");
      const gz = zlib.createGzip();
      gz.pipe(res);
      const zeros = new Uint8Array(1 << 20);
      let sent = 0;
      const pump = (): void => {
        while (sent < 1024 && gz.write(zeros)) sent++;
        if (sent < 1024) gz.once("drain", pump);
        else gz.end();
      };
      res.on("close", () => gz.destroy());
      pump();
      return;
    }
    if (coding === "corrupt") {
      res.setHeader("content-encoding", "gzip");
      res.end(new Uint8Array([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3, 4, 5, 6, 7, 8]));
      return;
    }
    if (coding === "unknown") {
      res.setHeader("content-encoding", "compress");
      res.end("not really compressed");
      return;
    }
    res.setHeader("content-encoding", coding === "deflate-raw" ? "deflate" : coding);
    res.end(ENCODERS[coding]!(plain));
  });
  return { srv, seen };
}

test("decompress - each coding is decoded through bytes(), text(), for await and body", async () => {
  const { srv, seen } = await server();
  const pool = new Pool();
  try {
    for (const coding of Object.keys(ENCODERS)) {
      const a = await get(`${srv.url}/${coding}`, { pool, decompress: true });
      assert.equal(
        a.headers.get("content-encoding"),
        coding === "deflate-raw" ? "deflate" : coding,
        "headers keep Content-Encoding",
      );
      assert.equal(a.info().decoded, coding === "x-gzip" ? "gzip" : coding === "deflate-raw" ? "deflate" : coding);
      assert.equal(await a.text(), text, coding);
      const b = await get(`${srv.url}/${coding}`, { pool, decompress: true });
      let n = 0;
      for await (const c of b) n += c.byteLength;
      assert.equal(n, plain.byteLength);
      const c = await get(`${srv.url}/${coding}`, { pool, decompress: true });
      const s = await new Response(c.body).text();
      assert.equal(s, text);
    }
    assert.match(seen[0]!, /gzip/);
    const raw = await get(`${srv.url}/gzip`, { pool });
    assert.equal(raw.info().decoded, null, "off by default: bytes as sent");
    assert.notEqual((await raw.bytes()).byteLength, plain.byteLength);
    assert.equal(seen.at(-1), "", "no Accept-Encoding without decompress");
    const unknown = await get(`${srv.url}/unknown`, { pool, decompress: true });
    assert.equal(unknown.info().decoded, null);
    assert.equal(await unknown.text(), "not really compressed");
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
    await srv.close();
  }
});

test("decompress - maxBody counts decoded bytes: a gzip bomb stops at the limit; corrupt data is bad_response", async () => {
  const { srv } = await server();
  const pool = new Pool();
  try {
    const before = process.memoryUsage().rss;
    const bomb = await get(`${srv.url}/bomb`, { pool, decompress: true, maxBody: 4 << 20 });
    const err = await rejection(bomb.bytes());
    assert.equal(err.code, "body_too_large");
    assert.ok(process.memoryUsage().rss - before < 256 << 20, "memory stays bounded");
    const corrupt = await get(`${srv.url}/corrupt`, { pool, decompress: true });
    assert.equal((await rejection(corrupt.bytes())).code, "bad_response");
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
    await srv.close();
  }
});
