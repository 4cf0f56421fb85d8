// Integration: what hansom encodes, a real server-side parser (@fastify/busboy behind node:http on
// loopback) reads back as the same fields, filenames, types and bytes; and a multipart response
// from that server decodes through Response.multipart().
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { createServer, request as httpRequest } from "node:http";
import type { Server, IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Busboy } from "@fastify/busboy";
import { encodeFormData, encodeMultipart } from "../../lib/multipart/encode.ts";
import { multipartEventStream } from "../../lib/multipart/writer.ts";
import type { Part } from "../../lib/multipart/encode.ts";
import type { SendPartEvent } from "../../lib/multipart/writer.ts";
import type { EncodedBody } from "../../lib/body.ts";

interface Seen {
  name: string;
  filename: string | null;
  type: string;
  data: string /* base64 */;
}

const enc = new TextEncoder();
let server: Server;
let base = "";
let dir = "";
const FILE = new Uint8Array(150_000).map((_, i) => (i * 31 + 7) & 255);
let filePath = "";

/** Parses a multipart request with busboy; resolves with every part in order. */
function parseWithBusboy(req: IncomingMessage): Promise<Seen[]> {
  return new Promise((resolve, reject) => {
    const seen: Seen[] = [];
    const pending: Promise<void>[] = [];
    const bb = new Busboy({ headers: req.headers as { "content-type": string }, limits: { fileSize: 1 << 24 } });
    bb.on("field", (name: string, value: string, _nt: boolean, _vt: boolean, _enc: string, type: string) => {
      seen.push({ name, filename: null, type, data: Buffer.from(value).toString("base64") });
    });
    bb.on(
      "file",
      (name: string, stream: NodeJS.ReadableStream, filename: string | undefined, _enc: string, type: string) => {
        const entry: Seen = { name, filename: filename ?? null, type, data: "" };
        seen.push(entry);
        const chunks: Buffer[] = [];
        pending.push(
          new Promise((done, fail) => {
            stream.on("data", (c: Buffer) => chunks.push(c));
            stream.on("end", () => {
              entry.data = Buffer.concat(chunks).toString("base64");
              done();
            });
            stream.on("error", fail);
          }),
        );
      },
    );
    bb.on("error", reject);
    bb.on("finish", () => void Promise.all(pending).then(() => resolve(seen), reject));
    req.pipe(bb);
  });
}

const RESPONSE_BOUNDARY = "resp-boundary-0123";

before(async () => {
  dir = await mkdtemp(join(tmpdir(), "hansom-mp-busboy-"));
  filePath = join(dir, "upload.bin");
  await writeFile(filePath, FILE);
  server = createServer((req, res) => {
    if (req.url === "/multipart-response") {
      void (async () => {
        const body = await encodeMultipart(
          [
            { name: "first", value: "skip me ".repeat(10_000) },
            { name: "second", value: "kept" },
            { mixed: "m", boundary: "in", parts: [{ name: "x", value: "nested" }] },
          ],
          RESPONSE_BOUNDARY,
        );
        res.writeHead(200, { "content-type": `multipart/mixed; boundary="${RESPONSE_BOUNDARY}"` });
        for await (const c of body.open() as AsyncIterable<Uint8Array>) res.write(c);
        res.end();
      })();
      return;
    }
    parseWithBusboy(req).then(
      (seen) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            seen,
            chunked: req.headers["transfer-encoding"] === "chunked",
            length: req.headers["content-length"] ?? null,
          }),
        );
      },
      (err: Error) => {
        res.writeHead(400);
        res.end(String(err));
      },
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await rm(dir, { recursive: true, force: true });
});

/** Sends an EncodedBody with node:http and returns the server's view. */
function send(body: EncodedBody): Promise<{ seen: Seen[]; chunked: boolean; length: string | null }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { "content-type": body.contentType! };
    if (body.length !== null) headers["content-length"] = String(body.length);
    const req = httpRequest(`${base}/parse`, { method: "POST", headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString();
        if (res.statusCode !== 200) reject(new Error(`server: ${text}`));
        else resolve(JSON.parse(text));
      });
    });
    req.on("error", reject);
    void (async () => {
      for await (const c of body.open() as AsyncIterable<Uint8Array>) {
        if (!req.write(c)) await new Promise((r) => req.once("drain", r));
      }
      req.end();
    })().catch((e: unknown) => req.destroy(e as Error));
  });
}

const b64 = (s: string | Uint8Array) => Buffer.from(typeof s === "string" ? enc.encode(s) : s).toString("base64");

function parts(): Part[] {
  return [
    { name: "greeting", value: "héllo wörld" },
    { name: 'we"ird\r\nname', value: "x" },
    { name: "raw", value: new Uint8Array([0, 255, 13, 10, 45, 45]) },
    { name: "doc", file: filePath, filename: "résumé.pdf" },
    { name: "plain", file: filePath },
    { name: "streamed", stream: new Blob(["from a stream"]).stream(), length: 13, filename: "s.txt" },
  ];
}

const EXPECTED: Seen[] = [
  { name: "greeting", filename: null, type: "text/plain", data: b64("héllo wörld") },
  // busboy does not undo the %22/%0D/%0A escapes, as browsers' peers do not.
  { name: "we%22ird%0D%0Aname", filename: null, type: "text/plain", data: b64("x") },
  // An octet-stream part is a file to busboy even without a filename.
  {
    name: "raw",
    filename: null,
    type: "application/octet-stream",
    data: b64(new Uint8Array([0, 255, 13, 10, 45, 45])),
  },
  { name: "doc", filename: "résumé.pdf", type: "application/pdf", data: b64(FILE) },
  { name: "plain", filename: "upload.bin", type: "application/octet-stream", data: b64(FILE) },
  { name: "streamed", filename: "s.txt", type: "text/plain", data: b64("from a stream") },
];

test("multipart interop - busboy reads encodeMultipart's fields, filenames and bytes", {
  timeout: 30_000,
}, async () => {
  const body = await encodeMultipart(parts());
  const got = await send(body);
  assert.deepEqual(got.seen, EXPECTED);
  assert.equal(got.chunked, false);
  assert.equal(got.length, String(body.length));
});

test("multipart interop - busboy reads encodeFormData's entries", { timeout: 30_000 }, async () => {
  const fd = new FormData();
  fd.append("a", "1");
  fd.append("a", "ünï");
  fd.append("f", new File([FILE], "big.png", { type: "image/png" }));
  fd.append("b", new Blob([enc.encode("blob")]));
  const got = await send(await encodeFormData(fd));
  assert.deepEqual(got.seen, [
    { name: "a", filename: null, type: "text/plain", data: b64("1") },
    { name: "a", filename: null, type: "text/plain", data: b64("ünï") },
    { name: "f", filename: "big.png", type: "image/png", data: b64(FILE) },
    { name: "b", filename: "blob", type: "application/octet-stream", data: b64("blob") },
  ]);
});

test("multipart interop - busboy reads a chunked SendPartEvent stream", { timeout: 30_000 }, async () => {
  async function* events(): AsyncGenerator<SendPartEvent> {
    yield { type: "data", name: "field", content: "value" };
    yield { type: "file", path: filePath, name: "upload" };
    yield { type: "part", name: "manual", headers: { "content-type": "text/plain" } };
    for (let i = 0; i < 5; i++) yield { type: "part_bin", bytes: enc.encode(`chunk${i};`) };
    yield { type: "end_of_part" };
    yield { type: "eof" };
  }
  const got = await send(multipartEventStream(events()));
  assert.equal(got.chunked, true);
  assert.deepEqual(got.seen, [
    { name: "field", filename: null, type: "text/plain", data: b64("value") },
    { name: "upload", filename: "upload.bin", type: "application/octet-stream", data: b64(FILE) },
    { name: "manual", filename: null, type: "text/plain", data: b64("chunk0;chunk1;chunk2;chunk3;chunk4;") },
  ]);
});

test("multipart interop - through hansom's request(): multipart and FormData bodies, multipart responses", {
  timeout: 30_000,
}, async () => {
  // Loaded here so a work-in-progress client fails this test alone, not the file.
  const { request, HansomError } = await import("../../lib/index.ts");
  const res = await request("POST", `${base}/parse`, { body: { multipart: parts() } });
  assert.equal(res.status, 200);
  const got = (await res.json()) as { seen: Seen[]; chunked: boolean };
  assert.deepEqual(got.seen, EXPECTED);
  assert.equal(got.chunked, false);

  const fd = new FormData();
  fd.append("k", "v");
  const res2 = await request("POST", `${base}/parse`, { body: fd });
  assert.deepEqual(((await res2.json()) as { seen: Seen[] }).seen, [
    { name: "k", filename: null, type: "text/plain", data: b64("v") },
  ]);

  const res3 = await request("GET", `${base}/multipart-response`);
  const seen: string[] = [];
  const dec = new TextDecoder();
  for await (const ev of res3.multipart()) {
    if (ev.type === "headers") {
      const name = /name="([^"]*)"/.exec(ev.headers[0]![1])![1]!;
      seen.push(name);
      if (name === "first") await res3.skipPart();
    } else if (ev.type === "body") seen.push(dec.decode(ev.chunk));
    else seen.push(ev.type === "mp_mixed" ? `mp_mixed ${ev.boundary}` : ev.type);
  }
  assert.deepEqual(seen, [
    "first",
    "end_of_part",
    "second",
    "kept",
    "end_of_part",
    "mp_mixed in",
    "x",
    "nested",
    "end_of_part",
    "mp_mixed_eof",
    "eof",
  ]);
  assert.ok(HansomError);
});
