// The benchmark's HTTP/1.1 server: raw node:net, keep-alive, every response precomputed, so it
// does a few hundred nanoseconds of work per request and is never what a client waits for.
// Plain JavaScript so the bench always runs it with Node 20 (`node bench/server.mjs`), whatever
// runtime the driver is. Listens on 127.0.0.1 port 0 and prints the port as its first line; exits
// when its stdin closes, so it never outlives the driver.
//   GET  /small               30-byte body, Content-Length (workloads A, B)
//   GET  /h50                 the same body under 50 header fields (E)
//   GET  /chunked?kib=N       N KiB body as N chunks of 1 KiB (F)
//   GET  /download?bytes=N    N bytes, Content-Length, written with backpressure (C)
//   POST /upload              counts a Content-Length or chunked body, answers the count (D)
import net from "node:net";
import process from "node:process";

const SMALL_BODY = "hansom bench: thirty bytes ok\n";
const DATE = "Date: Mon, 01 Dec 2025 00:00:00 GMT\r\n";
const latin1 = (s) => Buffer.from(s, "latin1");

const SMALL = latin1(`HTTP/1.1 200 OK\r\n${DATE}Content-Type: text/plain\r\nContent-Length: ${SMALL_BODY.length}\r\n\r\n${SMALL_BODY}`);

/** 50 field lines of the kinds a CDN-fronted API sends, then the same small body. */
function fiftyHeaders() {
  const fields = [
    DATE.trimEnd(), "Server: bench/1.0", "Content-Type: text/plain; charset=utf-8", `Content-Length: ${SMALL_BODY.length}`,
    "Cache-Control: private, max-age=0, no-cache", "Vary: Accept-Encoding, Origin", "X-Request-Id: 5f3c9a2e-7d41-4b8e-9c1a-2e6f0b7d3a91",
    "Strict-Transport-Security: max-age=63072000; includeSubDomains; preload", "X-Content-Type-Options: nosniff", "X-Frame-Options: DENY",
    "Set-Cookie: session=3q2+7wAAAAB1c2VyLTQyOmFkbWlu; Path=/; HttpOnly; Secure; SameSite=Lax", "Set-Cookie: theme=dark; Path=/; Max-Age=31536000",
    "ETag: \"33a64df551425fcc55e4d42a148795d9f25f89d4\"", "Last-Modified: Wed, 21 Oct 2015 07:28:00 GMT", "Access-Control-Allow-Origin: *",
    "Access-Control-Expose-Headers: X-Request-Id, X-RateLimit-Remaining", "X-RateLimit-Limit: 5000", "X-RateLimit-Remaining: 4987", "X-RateLimit-Reset: 1764547200",
    "Content-Security-Policy: default-src 'self'; img-src 'self' data:; frame-ancestors 'none'", "Referrer-Policy: strict-origin-when-cross-origin",
    "Permissions-Policy: geolocation=(), microphone=()", "Via: 1.1 varnish, 1.1 cdn-edge", "X-Cache: HIT", "X-Cache-Hits: 3", "Age: 42",
  ];
  for (let i = fields.length; i < 50; i++) fields.push(`X-Bench-Field-${String(i).padStart(2, "0")}: value-${i}-${"v".repeat(16 + (i % 7) * 4)}`);
  return latin1(`HTTP/1.1 200 OK\r\n${fields.join("\r\n")}\r\n\r\n${SMALL_BODY}`);
}
const H50 = fiftyHeaders();

const chunkedCache = new Map();
/** `kib` chunks of 1 KiB, then the last chunk (RFC 9112 §7.1), as one buffer. */
function chunked(kib) {
  let b = chunkedCache.get(kib);
  if (!b) {
    const one = `400\r\n${"c".repeat(1024)}\r\n`;
    b = latin1(`HTTP/1.1 200 OK\r\n${DATE}Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n${one.repeat(kib)}0\r\n\r\n`);
    chunkedCache.set(kib, b);
  }
  return b;
}

// One block written over and over: a download costs the server a syscall per 256 KiB.
const BLOCK = Buffer.alloc(256 * 1024, 0x61);
const NOT_FOUND = latin1("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
const CRLF2 = latin1("\r\n\r\n");

/** Writes `total` body bytes after `head`, waiting for drain, then calls `done`. */
function download(sock, total, done) {
  sock.write(latin1(`HTTP/1.1 200 OK\r\n${DATE}Content-Type: application/octet-stream\r\nContent-Length: ${total}\r\n\r\n`));
  let left = total;
  const pump = () => {
    while (left > 0) {
      const n = Math.min(left, BLOCK.length);
      left -= n;
      if (!sock.write(n === BLOCK.length ? BLOCK : BLOCK.subarray(0, n))) {
        sock.once("drain", pump);
        return;
      }
    }
    done();
  };
  pump();
}

function counted(n) {
  const s = String(n);
  return latin1(`HTTP/1.1 200 OK\r\n${DATE}Content-Type: text/plain\r\nContent-Length: ${s.length}\r\n\r\n${s}`);
}

// Request body states: none, Content-Length, and the chunked framing (RFC 9112 §7.1).
const B_NONE = 0, B_LENGTH = 1, B_SIZE = 2, B_EXT = 3, B_DATA = 4, B_DATA_CR = 5, B_DATA_LF = 6, B_TRAILER = 7;

/**
 * One keep-alive connection: heads, then bodies of POSTs, one request at a time. Reads may
 * reuse one buffer, so anything kept past a read is copied.
 */
function serve(sock) {
  sock.setNoDelay(true);
  let pending = null; // bytes of an unfinished head
  let busy = false; // a download is being written; reads wait (clients do not pipeline)
  let held = null;
  let body = B_NONE, left = 0, size = 0, count = 0, lineLen = 0;

  const finishUpload = () => {
    body = B_NONE;
    sock.write(counted(count));
  };

  /** Consumes request body bytes from `b` at `i`; returns the index after them. */
  const bodyBytes = (b, i) => {
    const n = b.length;
    while (i < n && body !== B_NONE) {
      if (body === B_LENGTH) {
        const k = Math.min(left, n - i);
        count += k;
        left -= k;
        i += k;
        if (left === 0) finishUpload();
      } else if (body === B_DATA) {
        const k = Math.min(left, n - i);
        count += k;
        left -= k;
        i += k;
        if (left === 0) body = B_DATA_CR;
      } else {
        const c = b[i++];
        if (body === B_SIZE) {
          const d = c >= 48 && c <= 57 ? c - 48 : (c | 32) >= 97 && (c | 32) <= 102 ? (c | 32) - 87 : -1;
          if (d >= 0) size = size * 16 + d;
          else if (c === 10) {
            if (size === 0) (body = B_TRAILER), (lineLen = 0);
            else (body = B_DATA), (left = size);
          } else body = B_EXT;
        } else if (body === B_EXT) {
          if (c === 10) {
            if (size === 0) (body = B_TRAILER), (lineLen = 0);
            else (body = B_DATA), (left = size);
          }
        } else if (body === B_DATA_CR) body = B_DATA_LF;
        else if (body === B_DATA_LF) (body = B_SIZE), (size = 0);
        else if (body === B_TRAILER) {
          if (c === 10) {
            if (lineLen === 0) finishUpload();
            lineLen = 0;
          } else if (c !== 13) lineLen++;
        }
      }
    }
    return i;
  };

  /** Answers the head in `b[0, end)` (end excludes the blank line). */
  const answer = (b, end) => {
    // The common GETs are told apart by bytes, with no string made: "GET /s", "GET /h".
    if (b[0] === 0x47 && b[3] === 0x20 && b[4] === 0x2f) {
      if (b[5] === 0x73 && b[10] === 0x20) return sock.write(SMALL); // GET /small
      if (b[5] === 0x68 && b[8] === 0x20) return sock.write(H50); // GET /h50
    }
    const lineEnd = b.indexOf(13);
    const line = b.toString("latin1", 0, lineEnd);
    const sp = line.indexOf(" ");
    const method = line.slice(0, sp);
    const target = line.slice(sp + 1, line.indexOf(" ", sp + 1));
    if (method === "GET") {
      if (target === "/small") return sock.write(SMALL);
      if (target === "/h50") return sock.write(H50);
      if (target.startsWith("/chunked?kib=")) return sock.write(chunked(Number(target.slice(13))));
      if (target.startsWith("/download?bytes=")) {
        busy = true;
        return download(sock, Number(target.slice(16)), () => {
          busy = false;
          if (held) {
            const h = held;
            held = null;
            onData(h);
          }
        });
      }
    } else if (method === "POST" && target === "/upload") {
      const head = b.toString("latin1", lineEnd, end).toLowerCase();
      count = 0;
      const len = /\ncontent-length:[ \t]*(\d+)/.exec(head);
      if (len) {
        left = Number(len[1]);
        body = B_LENGTH;
        if (left === 0) finishUpload();
      } else if (/\ntransfer-encoding:[^\n]*chunked/.test(head)) {
        body = B_SIZE;
        size = 0;
      } else finishUpload();
      return;
    }
    sock.end(NOT_FOUND);
  };

  const onData = (chunk) => {
    if (busy) {
      held = held ? Buffer.concat([held, chunk]) : Buffer.from(chunk); // copies: reads reuse one buffer
      return;
    }
    let b = pending ? Buffer.concat([pending, chunk]) : chunk;
    pending = null;
    let i = 0;
    while (i < b.length) {
      if (body !== B_NONE) {
        i = bodyBytes(b, i);
        continue;
      }
      if (busy) {
        held = Buffer.from(b.subarray(i));
        return;
      }
      const e = b.indexOf(CRLF2, i);
      if (e < 0) {
        pending = Buffer.from(b.subarray(i)); // copy: `b` may be a pooled buffer
        return;
      }
      answer(i === 0 ? b : b.subarray(i), e - i);
      i = e + 4;
    }
  };
  sock.on("data", onData);
  sock.on("error", () => sock.destroy());
}

// Reads go through `onread` into one buffer, as the raw client's do: no allocation and no stream
// machinery per read, which takes about a fifth off the server's CPU per small request. net.Server
// has no onread option, so each accepted handle is rewrapped in a Socket that has one (through
// `_handle`, undocumented but stable); where that is missing, the plain socket serves.
const READ = Buffer.allocUnsafe(256 * 1024);
const server = net.createServer({ pauseOnConnect: true }, (accepted) => {
  const handle = accepted._handle;
  if (!handle) {
    serve(accepted);
    accepted.resume();
    return;
  }
  accepted._handle = null;
  const sock = new net.Socket({ handle, onread: { buffer: READ, callback: (n, b) => void sock.emit("data", b.subarray(0, n)) } });
  serve(sock);
  sock.resume();
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.stdin.on("close", () => process.exit(0));
