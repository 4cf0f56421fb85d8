// NDJSON through Web Streams: a local server streams one JSON object per line, and the response
// body goes through TextDecoderStream and two TransformStreams (lines, then JSON.parse), so each
// record is handled as soon as its line is complete, whatever the chunk boundaries.
// Run: node examples/ndjson.ts (Node 24) | deno run -A examples/ndjson.ts | bun run examples/ndjson.ts
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { get } from "../lib/index.ts";

interface Reading {
  sensor: string;
  at: number;
  celsius: number;
}

// The server writes records in uneven pieces, splitting lines (and UTF-8 characters) apart.
const server = http.createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/x-ndjson" });
  let text = "";
  for (let i = 0; i < 6; i++)
    text += JSON.stringify({ sensor: i % 2 ? "nord" : "süd", at: i, celsius: 20 + i / 4 }) + "\n";
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  const timer = setInterval(() => {
    const n = 7 + (at % 23);
    res.write(bytes.subarray(at, at + n));
    at += n;
    if (at >= bytes.length) {
      clearInterval(timer);
      res.end();
    }
  }, 5);
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/readings`;

/** Splits text into lines; the last, unfinished line waits for the next chunk. */
function lines(): TransformStream<string, string> {
  let rest = "";
  return new TransformStream({
    transform(chunk, out) {
      const parts = (rest + chunk).split("\n");
      rest = parts.pop()!;
      for (const line of parts) if (line.trim() !== "") out.enqueue(line);
    },
    flush(out) {
      if (rest.trim() !== "") out.enqueue(rest);
    },
  });
}

/** Parses each line as JSON. */
function parseJson<T>(): TransformStream<string, T> {
  return new TransformStream({ transform: (line, out) => out.enqueue(JSON.parse(line) as T) });
}

try {
  const res = await get(url);
  console.log(res.status, res.headers.get("content-type"));
  const records = res
    .body! // TextDecoderStream's declared type differs between the DOM and Node typings; at runtime
    // it is the same TransformStream<Uint8Array, string> everywhere.
    .pipeThrough(new TextDecoderStream() as unknown as TransformStream<Uint8Array, string>)
    .pipeThrough(lines())
    .pipeThrough(parseJson<Reading>());
  const reader = records.getReader();
  let count = 0;
  for (let r = await reader.read(); !r.done; r = await reader.read()) {
    console.log(`  ${r.value.sensor.padEnd(5)} t=${r.value.at} ${r.value.celsius.toFixed(2)} °C`);
    count++;
  }
  if (count !== 6) throw new Error(`expected 6 records, got ${count}`);
  console.log(`${count} records`);
} finally {
  server.close();
}
