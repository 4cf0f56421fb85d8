// Microbenchmark of request head serialisation (encodeHead): `node dist/bench/micro/encode.bench.js`.
// Beside it, the obvious alternative in the same run: one template string through TextEncoder,
// with no validation, which is the floor for producing the same bytes.
import { bench, do_not_optimize, run, summary } from "mitata";
import { encodeHead } from "../../lib/http1/encode.ts";
import type { RequestHeadInit } from "../../lib/http1/encode.ts";

const enc = new TextEncoder();

// What request() sends for a plain GET, and a GET with the headers an API client adds.
const plain: RequestHeadInit = {
  method: "GET",
  target: "/small",
  headers: [
    ["Host", "127.0.0.1:8080"],
    ["User-Agent", "hansom/0.1"],
  ],
};
const api: RequestHeadInit = {
  method: "GET",
  target: "/v1/items?page=2&per_page=50&sort=created",
  headers: [
    ["Host", "api.example.com"],
    ["User-Agent", "hansom/0.1"],
    ["Accept", "application/json"],
    ["Accept-Encoding", "gzip, br"],
    ["Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0MiJ9.c2lnbmF0dXJl"],
    ["X-Request-Id", "5f3c9a2e-7d41-4b8e-9c1a-2e6f0b7d3a91"],
    ["Cookie", "session=3q2+7wAAAAB1c2VyLTQyOmFkbWlu; theme=dark"],
    ["Cache-Control", "no-cache"],
    ["X-Trace", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"],
    ["If-None-Match", '"33a64df551425fcc55e4d42a148795d9f25f89d4"'],
  ],
};

/** The floor: the same bytes from one string, nothing checked. */
function naive(init: RequestHeadInit): Uint8Array {
  let s = `${init.method} ${init.target} HTTP/1.1\r\n`;
  for (const [n, v] of init.headers) s += `${n}: ${v}\r\n`;
  return enc.encode(`${s}\r\n`);
}

// Same output, or the comparison means nothing.
for (const h of [plain, api]) {
  if (naive(h).join() !== encodeHead(h).join()) throw new Error("encodeHead and the naive encoder disagree");
}

summary(() => {
  bench("encodeHead: GET, 2 headers", () => do_not_optimize(encodeHead(plain)));
  bench("template + TextEncoder: GET, 2 headers", () => do_not_optimize(naive(plain)));
});
summary(() => {
  bench("encodeHead: GET, 10 headers", () => do_not_optimize(encodeHead(api)));
  bench("template + TextEncoder: GET, 10 headers", () => do_not_optimize(naive(api)));
});

await run();
