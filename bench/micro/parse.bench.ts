// Microbenchmark of the response parser alone, on buffered bytes: `node dist/bench/micro/parse.bench.js`.
// Beside it, on Node, the runtime's own llhttp binding in the same run, so the numbers are a
// ratio and not an absolute that means nothing on a shared machine (STYLE.md §10).
import { bench, do_not_optimize, run, summary } from "mitata";
import { ResponseParser } from "../../lib/http1/parse.ts";

const enc = new TextEncoder();
const MiB = 1 << 20;
const CHUNK = 64 * 1024;

function split(b: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

const lengthMsg = split(
  concat(enc.encode(`HTTP/1.1 200 OK\r\nContent-Length: ${MiB}\r\n\r\n`), new Uint8Array(MiB).fill(97)),
  CHUNK,
);
const chunkedBody: Uint8Array[] = [enc.encode("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")];
for (let i = 0; i < MiB / 16384; i++)
  chunkedBody.push(enc.encode("4000\r\n"), new Uint8Array(16384).fill(97), enc.encode("\r\n"));
chunkedBody.push(enc.encode("0\r\n\r\n"));
const chunkedMsg = split(chunkedBody.reduce(concat), CHUNK);
const small = enc.encode(
  "HTTP/1.1 200 OK\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nServer: bench\r\nContent-Type: text/plain; charset=utf-8\r\n" +
    "Cache-Control: no-store\r\nConnection: keep-alive\r\nContent-Length: 13\r\n\r\nHello, world!",
);

// Workload E's head (50 field lines) and F's body (64 chunks of 1 KiB), as the bench server sends them.
const fiftyFields = [
  "Date: Mon, 01 Dec 2025 00:00:00 GMT",
  "Server: bench/1.0",
  "Content-Type: text/plain; charset=utf-8",
  "Content-Length: 13",
  "Cache-Control: private, max-age=0, no-cache",
];
for (let i = fiftyFields.length; i < 50; i++)
  fiftyFields.push(`X-Bench-Field-${String(i).padStart(2, "0")}: value-${i}-${"v".repeat(16 + (i % 7) * 4)}`);
const fifty = enc.encode(`HTTP/1.1 200 OK\r\n${fiftyFields.join("\r\n")}\r\n\r\nHello, world!`);
const kibChunks = enc.encode(
  `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${`400\r\n${"c".repeat(1024)}\r\n`.repeat(64)}0\r\n\r\n`,
);

let bodyBytes = 0;
const parser = new ResponseParser({
  onHead() {},
  onBody(c) {
    bodyBytes += c.length;
  },
  onComplete() {},
});

/** Feeds pieces as a connection does: execute stops after onHead and onComplete. */
function parse(pieces: Uint8Array[]): void {
  parser.reset(false);
  for (const piece of pieces) {
    let off = 0;
    while (off < piece.length && parser.state !== "done") off += parser.execute(piece.subarray(off));
  }
  if (parser.state !== "done") throw new Error("bench message did not complete");
}

// Node's internal llhttp binding, when reachable (deprecated API, Node only).
interface LlhttpParser {
  initialize(type: number, resource: object): void;
  execute(b: Uint8Array): unknown;
  [k: number]: unknown;
}
let llhttp:
  | {
      HTTPParser: {
        new (): LlhttpParser;
        RESPONSE: number;
        kOnBody: number;
        kOnMessageComplete: number;
        kOnHeadersComplete: number;
      };
    }
  | undefined;
try {
  const proc = (globalThis as { process?: { binding?(n: string): unknown; noDeprecation?: boolean } }).process;
  if (proc) proc.noDeprecation = true;
  llhttp = proc?.binding?.("http_parser") as typeof llhttp;
} catch {
  llhttp = undefined;
}
function llhttpFeed(pieces: Uint8Array[], fresh: boolean): () => void {
  const H = llhttp!.HTTPParser;
  const p = new H();
  p.initialize(H.RESPONSE, {});
  p[H.kOnHeadersComplete] = () => {};
  p[H.kOnBody] = (b: Uint8Array) => {
    bodyBytes += b.length;
  };
  p[H.kOnMessageComplete] = () => {};
  return () => {
    if (fresh) p.initialize(H.RESPONSE, {});
    for (const piece of pieces) p.execute(piece);
  };
}

summary(() => {
  bench("hansom: 1 MiB Content-Length body, 64 KiB chunks", () => parse(lengthMsg));
  if (llhttp) bench("llhttp: 1 MiB Content-Length body, 64 KiB chunks", llhttpFeed(lengthMsg, true));
});
summary(() => {
  bench("hansom: 1 MiB chunked body (16 KiB chunks), 64 KiB reads", () => parse(chunkedMsg));
  if (llhttp) bench("llhttp: 1 MiB chunked body (16 KiB chunks), 64 KiB reads", llhttpFeed(chunkedMsg, true));
});
summary(() => {
  bench("hansom: small response (6 headers, 13 B body)", () => parse([small]));
  if (llhttp) bench("llhttp: small response (6 headers, 13 B body)", llhttpFeed([small], false));
});

summary(() => {
  bench("hansom: 50 header fields, 13 B body", () => parse([fifty]));
  if (llhttp) bench("llhttp: 50 header fields, 13 B body", llhttpFeed([fifty], false));
});
summary(() => {
  bench("hansom: 64 KiB chunked body in 1 KiB chunks, one read", () => parse([kibChunks]));
  if (llhttp) bench("llhttp: 64 KiB chunked body in 1 KiB chunks, one read", llhttpFeed([kibChunks], false));
});

await run();
do_not_optimize(bodyBytes);
