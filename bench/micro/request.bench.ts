// The whole per-request path of request() with no network: URL, options, pool checkout, head
// encoding, the write, the parse of a precomputed response and the body read, all through a
// stub socket adapter (stub-socket.ts) put in place with lib/runtime's setAdapter. What this
// measures is hansom's own cost per request, the part the socket benches cannot isolate.
//   node dist/bench/micro/request.bench.js
import { bench, do_not_optimize, run } from "mitata";
import { Pool, request } from "../../lib/index.ts";
import { setAdapter } from "../../lib/runtime/index.ts";
import { stubAdapter } from "./stub-socket.ts";

const enc = new TextEncoder();
const BODY = "hansom bench: thirty bytes ok\n";
const SMALL = enc.encode(
  `HTTP/1.1 200 OK\r\nDate: Mon, 01 Dec 2025 00:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: ${BODY.length}\r\n\r\n${BODY}`,
);
const fields = ["Date: Mon, 01 Dec 2025 00:00:00 GMT", "Content-Type: text/plain", `Content-Length: ${BODY.length}`];
for (let i = fields.length; i < 50; i++)
  fields.push(`X-Bench-Field-${String(i).padStart(2, "0")}: value-${i}-${"v".repeat(16 + (i % 7) * 4)}`);
const FIFTY = enc.encode(`HTTP/1.1 200 OK\r\n${fields.join("\r\n")}\r\n\r\n${BODY}`);

// Port 9 answers the small response, port 10 the 50-field one; nothing is ever dialled.
const stub = stubAdapter((spec) => (spec.port === 10 ? FIFTY : SMALL));
const prev = await setAdapter(stub);
const pool = new Pool({ maxConnections: 64 });
const URL_SMALL = "http://127.0.0.1:9/small";
const URL_50 = "http://127.0.0.1:10/h50";

async function get(url: string, fieldCount: number): Promise<void> {
  const res = await request("GET", url, { pool });
  const b = await res.bytes();
  if (res.status !== 200 || b.length !== BODY.length || res.rawHeaders.length !== fieldCount) {
    throw new Error(`stub request: status ${res.status}, ${b.length} bytes, ${res.rawHeaders.length} fields`);
  }
  do_not_optimize(b);
}

// Every request and its body must actually go through the stub before anything is timed.
await get(URL_SMALL, 3);
await get(URL_50, 50);
if (stub.sockets.length !== 2 || stub.sockets.some((s) => s.written === 0))
  throw new Error("the stub adapter was not used");

bench("request() + bytes(), 30 B body, keep-alive (stub socket)", () => get(URL_SMALL, 3));
bench("request() + bytes(), 50 header fields (stub socket)", () => get(URL_50, 50));
bench("32 concurrent request() + bytes(), per batch (stub socket)", () =>
  Promise.all(Array.from({ length: 32 }, () => get(URL_SMALL, 3))),
);

await run();
await pool.close();
await setAdapter(prev);
