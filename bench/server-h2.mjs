// The benchmark's HTTP/2 server: node:http2 over TLS (ALPN "h2" only, so every client can speak
// it and none can fall back to HTTP/1.1 unseen), on the stream API, bodies precomputed. Plain
// JavaScript so the bench always runs it with Node 20: `node bench/server-h2.mjs <tls dir>`
// with server.pem and server-key.pem in that directory. Listens on 127.0.0.1 port 0, prints the
// port as its first line; then answers each "stats" line on stdin with one JSON line of counts
// (h2 sessions, streams, TLS connections that offered no ALPN), which the driver uses to
// check that a client really spoke h2. Exits when its stdin closes.
//   GET /small              30-byte body (workload H1)
//   GET /download?bytes=N   N bytes, written with backpressure (H2)
import http2 from "node:http2";
import { readFileSync } from "node:fs";
import process from "node:process";

const dir = process.argv[2];
if (!dir) throw new Error("usage: server-h2.mjs <dir with server.pem and server-key.pem>");

const SMALL_BODY = Buffer.from("hansom bench: thirty bytes ok\n", "latin1");
const BLOCK = Buffer.alloc(256 * 1024, 0x61);
const stats = { sessions: 0, streams: 0, refused: 0 };

const server = http2.createSecureServer({
  cert: readFileSync(`${dir}/server.pem`),
  key: readFileSync(`${dir}/server-key.pem`),
  allowHTTP1: false,
  // Above workload H1's 100 in flight, so the server's limit is never what a client waits on.
  settings: { maxConcurrentStreams: 256, initialWindowSize: 1 << 20 },
});

// A client that offered no ALPN at all lands here (RFC 9113 §3.2): counted, then closed. One that
// offered only http/1.1 fails the TLS handshake itself (no_application_protocol).
server.on("unknownProtocol", (socket) => {
  stats.refused++;
  socket.destroy();
});
server.on("session", () => stats.sessions++);
server.on("stream", (stream, headers) => {
  stats.streams++;
  stream.on("error", () => {});
  // Read the request side to its END_STREAM: a stream left unread is reset (NO_ERROR) by Node
  // once the response is written, sometimes before the response's own END_STREAM goes out.
  stream.resume();
  const path = headers[":path"] ?? "/";
  if (path === "/small") {
    stream.respond({ ":status": 200, "content-type": "text/plain", "content-length": SMALL_BODY.length });
    stream.end(SMALL_BODY);
    return;
  }
  const m = /^\/download\?bytes=(\d+)$/.exec(path);
  if (!m) {
    stream.respond({ ":status": 404, "content-length": 0 });
    stream.end();
    return;
  }
  const total = Number(m[1]);
  stream.respond({ ":status": 200, "content-type": "application/octet-stream", "content-length": total });
  let left = total;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, BLOCK.length);
      left -= n;
      if (!stream.write(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n))) {
        stream.once("drain", pump);
        return;
      }
    }
    stream.end();
  };
  pump();
});

server.listen(0, "127.0.0.1", () => process.stdout.write(`${server.address().port}\n`));

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (s) => {
  input += s;
  let i;
  while ((i = input.indexOf("\n")) >= 0) {
    const line = input.slice(0, i).trim();
    input = input.slice(i + 1);
    if (line === "stats") process.stdout.write(`${JSON.stringify(stats)}\n`);
  }
});
process.stdin.on("end", () => process.exit(0));
