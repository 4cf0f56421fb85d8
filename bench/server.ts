// The benchmark's HTTP server, run in its own process so that its work does not share the
// client's event loop. Plain node:http, so Node, Deno and Bun can all start it:
//   node dist/bench/server.js | deno run -A bench/server.ts | bun bench/server.ts
// It listens on 127.0.0.1, port 0, and prints the port as its first line of output.
//   GET  /small           30 bytes of text
//   GET  /download?bytes=N N bytes, Content-Length framed, written with backpressure
//   POST /upload          counts the request body and replies with the count as text
// It exits when its stdin closes, so it never outlives the bench that spawned it.
import { createServer } from "node:http";
import type { IncomingMessage, ServerResponse } from "node:http";
import process from "node:process";

const SMALL = new TextEncoder().encode("hansom bench: thirty bytes ok\n");
// One chunk written over and over: the server should cost the same for every client.
const CHUNK = new Uint8Array(256 * 1024).fill(0x61);

function small(res: ServerResponse): void {
  res.writeHead(200, { "content-type": "text/plain", "content-length": SMALL.length });
  res.end(SMALL);
}

function download(res: ServerResponse, total: number): void {
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": total });
  let left = total;
  const pump = (): void => {
    while (left > 0) {
      const n = Math.min(left, CHUNK.length);
      left -= n;
      if (!res.write(n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n))) {
        res.once("drain", pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

function upload(req: IncomingMessage, res: ServerResponse): void {
  let count = 0;
  req.on("data", (c: Uint8Array) => (count += c.length));
  req.on("end", () => {
    const body = String(count);
    res.writeHead(200, { "content-type": "text/plain", "content-length": body.length });
    res.end(body);
  });
}

const server = createServer((req, res) => {
  const url = req.url ?? "/";
  if (req.method === "GET" && url === "/small") return small(res);
  if (req.method === "GET" && url.startsWith("/download?bytes=")) {
    const total = Number(url.slice("/download?bytes=".length));
    if (Number.isSafeInteger(total) && total >= 0) return download(res, total);
  }
  if (req.method === "POST" && url === "/upload") return upload(req, res);
  res.writeHead(404, { "content-length": 0 });
  res.end();
});
// Idle keep-alive connections must survive the long download and upload phases in between
// the small-request scenarios; node's 5 s default would close them under some clients.
server.keepAliveTimeout = 120_000;
server.headersTimeout = 121_000;

server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("bench server: no TCP address");
  process.stdout.write(`${addr.port}\n`);
});

process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
