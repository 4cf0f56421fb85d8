// request() against nginx speaking HTTP/2 on TLS (ALPN h2, RFC 9113 §3.2): the protocol agreed,
// 200 concurrent streams with their bodies checked, a 16 MiB download through `for await`, POSTs
// answered by nginx and by an upstream nginx proxies to, and HTTP/1.1 when h2 is not offered.
// nginx's access log confirms each protocol from the server's side. Skips when nginx is missing.
import { test, before, after } from "node:test";
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Pool, request } from "../../lib/index.ts";
import type { RequestOptions } from "../../lib/index.ts";
import { tlsFixtures } from "../helpers/proxies.ts";
import { H2_FILES, bigSha256, patternBytes, startNginxH2 } from "./nginx.ts";
import type { LoggedNginx } from "./nginx.ts";

let nginx: LoggedNginx | undefined;
let skip: string | undefined;
const pool = new Pool();

/** The upstream nginx proxies /upstream/* to: answers with what it received. */
const upstream = http.createServer((req, res) => {
  const hash = createHash("sha256");
  let length = 0;
  req.on("data", (c: Uint8Array) => {
    length += c.byteLength;
    hash.update(c);
  });
  req.on("end", () => {
    res.setHeader("content-type", "application/json");
    res.end(
      JSON.stringify({
        method: req.method,
        url: req.url,
        length,
        sha256: hash.digest("hex"),
        type: req.headers["content-type"] ?? null,
      }),
    );
  });
});

before(async () => {
  await new Promise<void>((resolve) => upstream.listen(0, "127.0.0.1", resolve));
  const port = (upstream.address() as AddressInfo).port;
  try {
    // A second try covers a port taken between choosing it and nginx binding it.
    nginx = await startNginxH2(port).catch(() => startNginxH2(port));
  } catch (e) {
    skip = `nginx with http2: ${(e as Error).message.trim().replace(/\s*\n\s*/g, " | ")}`;
    console.log(`# interop: skipping ${skip}`);
  }
});

after(async () => {
  await pool.close();
  await nginx?.stop();
  upstream.closeAllConnections();
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
});

function server(t: TestContext): LoggedNginx | null {
  if (skip !== undefined) {
    t.skip(skip);
    return null;
  }
  return nginx!;
}

const h2: RequestOptions = { pool, tls: { ca: tlsFixtures.ca }, protocols: ["h2", "http/1.1"] };
const url = (n: LoggedNginx, path: string) => `https://localhost:${n.port}${path}`;
const T = { timeout: 30000 };

test("interop nginx h2 - ALPN h2 is agreed: httpVersion 2, and nginx logs HTTP/2.0", T, async (t) => {
  const n = server(t);
  if (!n) return;
  const res = await request("GET", url(n, "/small.bin?first"), h2);
  assert.equal(res.status, 200);
  assert.equal(res.httpVersion, "2");
  assert.equal(res.info().httpVersion, "2");
  assert.equal(res.headers.get("content-length"), String(H2_FILES.small.bytes.byteLength));
  assert.deepEqual(await res.bytes(), H2_FILES.small.bytes);
  const line = n.log().find((l) => l.request.includes("/small.bin?first"));
  assert.equal(line?.protocol, "HTTP/2.0");
  // nginx turns :authority into the Host it logs (hansom sends no Host field on h2).
  assert.equal(line?.host, `localhost:${n.port}`);
});

/** 200 GETs of small.bin at once through `p` (after one that opens an h2 connection); the connections nginx saw for them. */
async function concurrentGets(n: LoggedNginx, p: Pool, tag: string): Promise<Map<number, number>> {
  const warm = await request("GET", url(n, "/small.bin?warm"), { ...h2, pool: p });
  assert.equal(warm.httpVersion, "2");
  await warm.skip();
  const expected = H2_FILES.small.bytes;
  const bodies = await Promise.all(
    Array.from({ length: 200 }, async (_, i) => {
      const res = await request("GET", url(n, `/small.bin?${tag}=${i}`), { ...h2, pool: p });
      assert.equal(res.httpVersion, "2");
      assert.equal(res.status, 200);
      return res.bytes();
    }),
  );
  for (const [i, body] of bodies.entries()) {
    assert.equal(body.byteLength, expected.byteLength, `request ${i}`);
    assert.ok(Buffer.from(body).equals(expected), `request ${i}: body differs`);
  }
  assert.equal(p.stats().inUse, 0);
  const lines = n.log().filter((l) => l.request.includes(`/small.bin?${tag}=`));
  assert.equal(lines.length, 200);
  assert.ok(lines.every((l) => l.protocol === "HTTP/2.0" && l.status === 200));
  const perConnection = new Map<number, number>();
  for (const l of lines) perConnection.set(l.connection, (perConnection.get(l.connection) ?? 0) + 1);
  return perConnection;
}

test("interop nginx h2 - 200 concurrent GETs multiplexed, every body intact", T, async (t) => {
  const n = server(t);
  if (!n) return;
  const p = new Pool();
  try {
    const perConnection = await concurrentGets(n, p, "c");
    // The warm connection takes as many streams as it may run at once (nginx allows 128; hansom
    // caps a connection at 100); the rest go where the pool puts them.
    const busiest = Math.max(...perConnection.values());
    assert.ok(busiest >= 100, `the busiest connection carried only ${busiest} of 200 requests`);
    assert.ok(perConnection.size <= p.maxConnections);
  } finally {
    await p.close();
  }
});

test("interop nginx h2 - 200 concurrent GETs on one connection: past its stream limit they queue", T, async (t) => {
  const n = server(t);
  if (!n) return;
  const p = new Pool({ maxConnections: 1 });
  try {
    const perConnection = await concurrentGets(n, p, "one");
    assert.deepEqual([...perConnection.values()], [200]);
  } finally {
    await p.close();
  }
});

test("interop nginx h2 - a 16 MiB file through for await: byte count and SHA-256", T, async (t) => {
  const n = server(t);
  if (!n) return;
  const res = await request("GET", url(n, H2_FILES.big.path), h2);
  assert.equal(res.httpVersion, "2");
  assert.equal(res.status, 200);
  const hash = createHash("sha256");
  let total = 0;
  let chunks = 0;
  for await (const chunk of res) {
    total += chunk.byteLength;
    chunks++;
    hash.update(chunk);
  }
  assert.equal(total, H2_FILES.big.size);
  assert.ok(chunks > 1, "the body came in pieces");
  assert.equal(hash.digest("hex"), bigSha256);
});

test("interop nginx h2 - POST answered by nginx, and a 2 MiB POST proxied to an upstream", T, async (t) => {
  const n = server(t);
  if (!n) return;
  const own = await request("POST", url(n, "/post"), { ...h2, body: "a=1&b=2" });
  assert.equal(own.httpVersion, "2");
  assert.equal(own.status, 200);
  assert.equal(await own.text(), "posted POST 7\n");
  const payload = patternBytes(2 * 1024 * 1024, 23);
  const res = await request("POST", url(n, "/upstream/sink?x=1"), {
    ...h2,
    body: payload,
    headers: { "content-type": "application/octet-stream" },
  });
  assert.equal(res.httpVersion, "2");
  assert.equal(res.status, 200);
  const seen = (await res.json()) as {
    method: string;
    url: string;
    length: number;
    sha256: string;
    type: string | null;
  };
  assert.deepEqual(seen, {
    method: "POST",
    url: "/sink?x=1",
    length: payload.byteLength,
    sha256: createHash("sha256").update(payload).digest("hex"),
    type: "application/octet-stream",
  });
  const json = await request("POST", url(n, "/upstream/json"), { ...h2, json: { hello: "h2" } });
  const echoed = (await json.json()) as { length: number; type: string };
  assert.equal(echoed.length, JSON.stringify({ hello: "h2" }).length);
  assert.equal(echoed.type, "application/json");
});

test("interop nginx h2 - without protocols the same server answers over HTTP/1.1", T, async (t) => {
  const n = server(t);
  if (!n) return;
  const res = await request("GET", url(n, "/small.bin?plain"), { pool, tls: { ca: tlsFixtures.ca } });
  assert.equal(res.httpVersion, "1.1");
  assert.equal(res.status, 200);
  assert.deepEqual(await res.bytes(), H2_FILES.small.bytes);
  const line = n.log().find((l) => l.request.includes("/small.bin?plain"));
  assert.equal(line?.protocol, "HTTP/1.1");
  assert.equal(line?.host, `localhost:${n.port}`);
});
