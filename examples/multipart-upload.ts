// Multipart upload: a form with a text field, a file streamed from disk and a stream of known
// length, sent as { multipart: [...] }. The local server parses what arrived with the Web
// platform's own multipart parser (Request.formData()) and answers with what it found.
// Run: node examples/multipart-upload.ts (Node 24) | deno run -A examples/multipart-upload.ts | bun run examples/multipart-upload.ts
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { boundary, multipartLength, post } from "../lib/index.ts";
import type { Part } from "../lib/index.ts";

// The server: collect the body, hand it to Request.formData(), describe each field.
const server = http.createServer((req, res) => {
  const chunks: Uint8Array[] = [];
  req.on("data", (c: Uint8Array) => chunks.push(c));
  req.on("end", async () => {
    const body = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
    let at = 0;
    for (const c of chunks) {
      body.set(c, at);
      at += c.byteLength;
    }
    const form = await new Request("http://upload.local/", {
      method: "POST",
      headers: { "content-type": req.headers["content-type"]! },
      body,
    }).formData();
    const fields = [...form].map(([name, v]) =>
      typeof v === "string" ? { name, value: v } : { name, filename: (v as File).name, type: v.type, size: v.size },
    );
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ contentLength: req.headers["content-length"], fields }));
  });
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/upload`;

const file = join(tmpdir(), `hansom-report-${process.pid}.csv`);
await writeFile(file, "day,visits\nmon,12\ntue,19\n");
const log = new TextEncoder().encode("line one\nline two\n");

// Parts are built by a function because a stream part can be read only once.
const parts = (): Part[] => [
  { name: "title", value: "Weekly report" }, // text/plain; charset=utf-8
  { name: "report", file, filename: "report.csv" }, // streamed from disk, type from .csv
  {
    name: "log",
    stream: new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(log);
        c.close();
      },
    }),
    length: log.byteLength, // known length: Content-Length for the whole body
    filename: "run.log",
  },
];

try {
  const b = boundary();
  const expected = await multipartLength(parts(), b);
  const res = await post(url, {
    body: { multipart: parts() },
    // Our own boundary, so multipartLength above counts the same bytes.
    headers: { "content-type": `multipart/form-data; boundary=${b}` },
  });
  const answer = (await res.json()) as { contentLength: string; fields: unknown[] };
  console.log(res.status, `Content-Length ${answer.contentLength} (multipartLength said ${expected})`);
  for (const f of answer.fields) console.log(" ", JSON.stringify(f));
  if (Number(answer.contentLength) !== expected || answer.fields.length !== 3)
    throw new Error("unexpected upload result");
} finally {
  await rm(file, { force: true });
  server.close();
}
