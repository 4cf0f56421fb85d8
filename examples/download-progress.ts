// Download with a progress bar: a local server sends 8 MiB in pieces, hansom streams the body
// to a file and draws the bar from onProgress.
// Run: node examples/download-progress.ts (Node 24) | deno run -A examples/download-progress.ts | bun run examples/download-progress.ts
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { open, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { get } from "../lib/index.ts";
import type { Progress } from "../lib/index.ts";

const SIZE = 8 * 1024 * 1024;

// The server: a Content-Length, then 64 KiB pieces a little apart, so the bar has time to move.
const server = http.createServer((_req, res) => {
  res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(SIZE) });
  const piece = new Uint8Array(64 * 1024).fill(42);
  let sent = 0;
  const next = (): void => {
    if (sent >= SIZE) return void res.end();
    sent += piece.byteLength;
    if (res.write(piece)) setTimeout(next, 2);
    else res.once("drain", next);
  };
  next();
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/big.bin`;

function bar({ loaded, total }: Progress): string {
  const width = 30;
  if (total === undefined) return `${(loaded / 1048576).toFixed(1)} MiB`;
  const done = Math.round((loaded / total) * width);
  return `[${"#".repeat(done)}${".".repeat(width - done)}] ${Math.floor((loaded / total) * 100)}% of ${(total / 1048576).toFixed(0)} MiB`;
}

// Redraw one line on a terminal; print every quarter otherwise (a CI log, a pipe).
const tty = process.stdout.isTTY === true;
let quarter = -1;
function onProgress(p: Progress): void {
  if (tty) process.stdout.write(`\r${bar(p)}`);
  else if (p.total && Math.floor((p.loaded / p.total) * 4) > quarter) {
    quarter = Math.floor((p.loaded / p.total) * 4);
    console.log(bar(p));
  }
}

const file = join(tmpdir(), `hansom-download-${process.pid}.bin`);
const out = await open(file, "w");
try {
  const res = await get(url, { onProgress });
  if (res.status !== 200) throw new Error(`unexpected status ${res.status}`);
  // The body is an async iterable of Uint8Array chunks; each write is awaited, so a slow disk
  // slows the download down instead of filling memory.
  for await (const chunk of res) await out.write(chunk);
  if (tty) process.stdout.write("\n");
  const { size } = await stat(file);
  console.log(`saved ${size} bytes to ${file} in ${res.info().timings.total} ms`);
  if (size !== SIZE) throw new Error(`expected ${SIZE} bytes`);
} finally {
  await out.close();
  await rm(file, { force: true });
  server.close();
}
