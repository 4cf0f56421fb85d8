import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, openSync, ftruncateSync, closeSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { post, boundary, multipartLength } from "../../lib/index.ts";
import { httpServer } from "../helpers/servers.ts";

test("multipart upload - a 1 GiB file part streams with flat memory and the exact length", {
  timeout: 120_000,
}, async () => {
  const dir = mkdtempSync(join(tmpdir(), "hansom-mp-"));
  const file = join(dir, "big.bin");
  // A sparse file: 1 GiB to read, no disk written.
  const fd = openSync(file, "w");
  ftruncateSync(fd, 1024 * 1024 * 1024);
  closeSync(fd);
  let received = 0;
  let peak = 0;
  const rss0 = process.memoryUsage().rss;
  const srv = await httpServer((req, res) => {
    req.on("data", (c: Buffer) => {
      received += c.length;
      if ((received & 0x3ffffff) < c.length) peak = Math.max(peak, process.memoryUsage().rss - rss0);
    });
    req.on("end", () => res.end(String(received)));
  });
  try {
    const parts = [
      { name: "note", value: "big upload" },
      { name: "blob", file },
    ];
    const b = boundary();
    const expected = await multipartLength(parts, b);
    const res = await post(srv.url, {
      pool: false,
      body: { multipart: parts },
      headers: { "content-type": `multipart/form-data; boundary=${b}` },
    });
    assert.equal(Number(await res.text()), expected);
    assert.ok(expected > 1024 * 1024 * 1024);
    // Uncollected garbage counts in RSS, so the bound is loose; reading the file whole would pass 1 GiB.
    assert.ok(peak < 192 * 1024 * 1024, `memory grew by ${Math.round(peak / 1048576)} MiB for a 1 GiB file`);
  } finally {
    await srv.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
