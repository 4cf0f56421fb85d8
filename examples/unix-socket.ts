// A server on a Unix domain socket, reached the two ways hansom has: an http+unix:// URL (the
// percent-encoded socket path is the host, and the Host header) and the socketPath option on
// an http:// URL (the Host stays the URL's). Connections to the socket are pooled as TCP ones.
// Run: node examples/unix-socket.ts (Node 24) | deno run -A examples/unix-socket.ts | bun run examples/unix-socket.ts
import assert from "node:assert/strict";
import * as http from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool, get, parseUrl, post } from "../lib/index.ts";

const dir = await mkdtemp(join(tmpdir(), "hansom-unix-"));
const socket = join(dir, "app.sock");

// The server answers with what it saw: the Host header and the request line.
const server = http.createServer((req, res) => {
  if (req.url === "/v1/moved") {
    res.writeHead(302, { location: "/v1/info" }); // relative: stays on the socket
    res.end();
    return;
  }
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (c: string) => (body += c));
  req.on("end", () => {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ host: req.headers.host, request: `${req.method} ${req.url}`, body }));
  });
});
await new Promise<void>((resolve) => server.listen(socket, resolve));

const pool = new Pool();
try {
  // 1. An http+unix:// URL: the host is the socket path, percent-encoded.
  const url = `http+unix://${encodeURIComponent(socket)}`;
  console.log("parseUrl:", parseUrl(`${url}/v1/info?verbose=1`).host);
  const a = await get(`${url}/v1/info?verbose=1`, { pool });
  const seenA = (await a.json()) as { host: string; request: string };
  console.log("http+unix:", seenA);
  assert.equal(seenA.host, encodeURIComponent(socket));

  // The same connection again (kept alive in the pool), with a JSON body.
  const b = await post(`${url}/v1/items`, { pool, json: { name: "apple" } });
  console.log("reused:", b.info().reused, await b.json());

  // A relative redirect stays on the socket; res.url is an http+unix:// URL.
  const c = await get(`${url}/v1/moved`, { pool, followRedirect: true });
  console.log("redirected to:", c.url);
  await c.skip();

  // 2. socketPath: any http:// URL, connected to the socket; its host is never looked up.
  const d = await get("http://app.internal:8080/v1/info", { pool, socketPath: socket });
  const seenD = (await d.json()) as { host: string };
  console.log("socketPath:", seenD);
  assert.equal(seenD.host, "app.internal:8080");

  console.log("peer:", d.peer, "| pool:", pool.stats());
} finally {
  await pool.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await rm(dir, { recursive: true, force: true });
}
