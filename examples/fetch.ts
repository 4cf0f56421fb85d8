// hansom/fetch: the WHATWG fetch() over hansom, resolving to the platform's own Response. A
// local server shows fetch's rules where they are not hackney's: redirects followed by default
// (a 303 after POST becomes a GET), redirect: "manual", decompression on, failures as a
// TypeError whose cause is the HansomError, aborts rejected with the signal's reason.
// Run: node examples/fetch.ts (Node 24) | deno run -A examples/fetch.ts | bun run examples/fetch.ts
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { Pool, isHansomError } from "../lib/index.ts";
import { fetch } from "../lib/fetch/index.ts";

const items: Array<{ id: number; name: string }> = [];

const server = http.createServer((req, res) => {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  if (path === "/items" && req.method === "POST") {
    let text = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (text += c));
    req.on("end", () => {
      items.push({ id: items.length + 1, ...(JSON.parse(text) as { name: string }) });
      res.writeHead(303, { location: "/items" }); // "see the list": fetch follows it with a GET
      res.end();
    });
    return;
  }
  if (path === "/items") {
    // Compressed whenever the client allows it, as many servers do.
    const body = JSON.stringify(items);
    if (/gzip/.test(String(req.headers["accept-encoding"]))) {
      res.writeHead(200, { "content-type": "application/json", "content-encoding": "gzip" });
      res.end(gzipSync(body));
    } else {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(body);
    }
    return;
  }
  if (path === "/old") {
    res.writeHead(301, { location: "/items" });
    res.end();
    return;
  }
  if (path === "/slow") return void setTimeout(() => res.end("too late"), 2000);
  res.writeHead(404).end();
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const pool = new Pool({ maxConnections: 4 });

try {
  // POST, then the 303 is followed as a GET of the list: one call, the final answer.
  const res = await fetch(`${base}/items`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "apple" }),
    hansom: { pool }, // hansom's own options go here: pool, proxy, tls, timeouts, retry...
  });
  assert.ok(res instanceof Response, "the platform's Response");
  assert.equal(res.redirected, true);
  assert.equal(res.url, `${base}/items`);
  // Decoded, while the headers stay as the server sent them (as in Node's fetch).
  assert.equal(res.headers.get("content-encoding"), "gzip");
  console.log(res.status, res.headers.get("content-type"), await res.json());

  // redirect: "manual" gives the 3xx itself.
  const manual = await fetch(`${base}/old`, { redirect: "manual", hansom: { pool } });
  console.log("manual:", manual.status, manual.headers.get("location"));
  await manual.body?.cancel();

  // The body is a byte stream read from the socket as you read it; with decompression off,
  // it is what the server sent.
  const raw = await fetch(`${base}/items`, {
    headers: { "accept-encoding": "gzip" },
    hansom: { pool, decompress: false },
  });
  const chunks: Uint8Array[] = [];
  for await (const chunk of raw.body!) chunks.push(chunk);
  assert.deepEqual([...chunks[0]!.subarray(0, 2)], [0x1f, 0x8b], "the gzip magic number");
  console.log(`decompress: false: ${chunks.reduce((n, c) => n + c.byteLength, 0)} gzip bytes`);

  // Network failures are a TypeError, as fetch has it; the HansomError is its cause.
  await assert.rejects(fetch("http://127.0.0.1:1/", { hansom: { connectTimeout: 2000 } }), (e: unknown) => {
    assert.ok(e instanceof TypeError && isHansomError(e.cause, "econnrefused"));
    console.log(`failure: TypeError, cause ${e.cause.code}: ${e.message}`);
    return true;
  });

  // An abort rejects with the signal's reason: here AbortSignal.timeout's TimeoutError.
  await assert.rejects(fetch(`${base}/slow`, { signal: AbortSignal.timeout(100), hansom: { pool } }), (e: unknown) => {
    assert.equal((e as DOMException).name, "TimeoutError");
    console.log(`abort: ${(e as DOMException).name}`);
    return true;
  });
} finally {
  await pool.close();
  server.closeAllConnections();
  server.close();
}
