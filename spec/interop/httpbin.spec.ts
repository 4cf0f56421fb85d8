// request() against httpbin (gunicorn, Debian's python3-httpbin): decoded content codings,
// a CookieJar across a redirect, the retry option on a real 503, redirects, and what httpbin
// echoes of hansom's headers and JSON body. Retry-After is checked against a node:http server
// of this file. httpbin skips when it is not installed (bash .ci/interop.sh), with the reason.
import { test, before, after } from "node:test";
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { CookieJar, Pool, request } from "../../lib/index.ts";
import { startHttpbin } from "./httpbin.ts";
import type { Running } from "./servers.ts";

let httpbin: Running | undefined;
let skip: string | undefined;
const pool = new Pool();

before(async () => {
  try {
    // A second try covers a port taken between choosing it and gunicorn binding it.
    httpbin = await startHttpbin().catch(() => startHttpbin());
  } catch (e) {
    skip = `httpbin: ${(e as Error).message.trim().replace(/\s*\n\s*/g, " | ")}`;
    console.log(`# interop: skipping ${skip}`);
  }
});

after(async () => {
  await pool.close();
  await httpbin?.stop();
});

/** The httpbin base URL, or null after marking the test skipped. */
function base(t: TestContext): string | null {
  if (skip !== undefined) {
    t.skip(skip);
    return null;
  }
  return `http://127.0.0.1:${httpbin!.port}`;
}

const T = { timeout: 20000 };
type Echo = { headers: Record<string, string>; json?: unknown; url?: string };

for (const [path, coding, flag] of [
  ["/gzip", "gzip", "gzipped"],
  ["/deflate", "deflate", "deflated"],
  ["/brotli", "br", "brotli"],
] as const) {
  test(`interop httpbin - ${path} is decoded with decompress (${coding})`, T, async (t) => {
    const b = base(t);
    if (!b) return;
    const res = await request("GET", b + path, { pool, decompress: true });
    if (res.status !== 200) {
      const why = `httpbin answered ${path} with ${res.status}: this httpbin cannot encode ${coding}`;
      await res.skip();
      console.log(`# interop: skipping ${path}: ${why}`);
      t.skip(why);
      return;
    }
    assert.equal(res.headers.get("content-encoding"), coding);
    assert.equal(res.info().decoded, coding);
    const body = (await res.json()) as Echo & Record<string, unknown>;
    assert.equal(body[flag], true);
    assert.match(body.headers["Accept-Encoding"] ?? "", new RegExp(`\\b${coding}\\b`), "hansom offered the coding");
  });
}

test("interop httpbin - without decompress the gzip body stays as sent", T, async (t) => {
  const b = base(t);
  if (!b) return;
  const res = await request("GET", `${b}/gzip`, { pool });
  assert.equal(res.info().decoded, null);
  const raw = await res.bytes();
  assert.deepEqual([...raw.subarray(0, 2)], [0x1f, 0x8b], "a gzip member header (RFC 1952 §2.3.1)");
});

test("interop httpbin - a CookieJar keeps a cookie set before a redirect and sends it after", T, async (t) => {
  const b = base(t);
  if (!b) return;
  const jar = new CookieJar();
  const res = await request("GET", `${b}/cookies/set?name=value`, { pool, cookieJar: jar, followRedirect: true });
  assert.equal(res.status, 200);
  assert.equal(res.redirects.length, 1);
  assert.equal(new URL(res.url).pathname, "/cookies");
  assert.deepEqual(await res.json(), { cookies: { name: "value" } });
  assert.deepEqual(
    jar.cookies(b).map((c) => [c.name, c.value, c.domain, c.path]),
    [["name", "value", "127.0.0.1", "/"]],
  );
  const again = await request("GET", `${b}/cookies`, { pool, cookieJar: jar });
  assert.deepEqual(await again.json(), { cookies: { name: "value" } });
  const deleted = await request("GET", `${b}/cookies/delete?name`, { pool, cookieJar: jar, followRedirect: true });
  assert.deepEqual(await deleted.json(), { cookies: {} });
  assert.deepEqual(jar.cookies(b), []);
});

test("interop httpbin - /status/503 with retry: three attempts, then the 503", T, async (t) => {
  const b = base(t);
  if (!b) return;
  const backoffs: number[] = [];
  const res = await request("GET", `${b}/status/503`, {
    pool,
    retry: { limit: 2, backoff: (attempt) => (backoffs.push(attempt), 10) },
  });
  assert.equal(res.status, 503);
  assert.equal(res.info().attempts, 3);
  assert.deepEqual(backoffs, [1, 2]);
  await res.skip();
  const once = await request("GET", `${b}/status/200`, { pool, retry: { limit: 2, backoff: () => 10 } });
  assert.equal(once.status, 200);
  assert.equal(once.info().attempts, 1);
  await once.skip();
});

test("interop retry - Retry-After: 1 on a 503 is waited out before the retry", T, async () => {
  const seen: number[] = [];
  const server = http.createServer((_req, res) => {
    seen.push(Date.now());
    if (seen.length === 1) {
      res.writeHead(503, { "retry-after": "1", "content-type": "text/plain" });
      res.end("busy\n");
    } else {
      res.end("ok\n");
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const started = Date.now();
    // The default backoff would wait at most a few hundred ms: only Retry-After makes it a second.
    const res = await request("GET", url, { pool, retry: { limit: 1 } });
    const waited = Date.now() - started;
    assert.equal(res.status, 200);
    assert.equal(await res.text(), "ok\n");
    assert.equal(res.info().attempts, 2);
    assert.equal(seen.length, 2);
    assert.ok(seen[1]! - seen[0]! >= 950, `the retry came ${seen[1]! - seen[0]!} ms after the 503`);
    assert.ok(waited < 5000, `took ${waited} ms`);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});

test("interop httpbin - /redirect/3 is followed to /get", T, async (t) => {
  const b = base(t);
  if (!b) return;
  const res = await request("GET", `${b}/redirect/3`, { pool, followRedirect: true });
  assert.equal(res.status, 200);
  assert.equal(new URL(res.url).pathname, "/get");
  assert.equal(res.redirects.length, 3);
  assert.ok(res.redirects.every((r) => r.status === 302));
  assert.equal(res.info().redirects, 3);
  const body = (await res.json()) as Echo;
  assert.equal(body.url, `${b}/get`);
  const stopped = await request("GET", `${b}/redirect/3`, { pool, followRedirect: true, maxRedirect: 2 }).then(
    () => null,
    (e: { code?: string }) => e.code,
  );
  assert.equal(stopped, "max_redirect");
});

test("interop httpbin - /headers shows hansom's User-Agent and the caller's headers", T, async (t) => {
  const b = base(t);
  if (!b) return;
  const res = await request("GET", `${b}/headers`, { pool, headers: { "X-Hansom-Interop": "yes" } });
  const { headers } = (await res.json()) as Echo;
  assert.match(headers["User-Agent"] ?? "", /^hansom\/\d/);
  assert.equal(headers["X-Hansom-Interop"], "yes");
  assert.equal(headers["Host"], `127.0.0.1:${httpbin!.port}`);
});

test('interop httpbin - /post echoes a json body under "json"', T, async (t) => {
  const b = base(t);
  if (!b) return;
  const value = { name: "hansom", list: [1, 2, 3], nested: { ok: true, text: "päss ✓" } };
  const res = await request("POST", `${b}/post`, { pool, json: value });
  assert.equal(res.status, 200);
  const body = (await res.json()) as Echo;
  assert.deepEqual(body.json, value);
  assert.equal(body.headers["Content-Type"], "application/json");
  assert.equal(body.headers["Content-Length"], String(new TextEncoder().encode(JSON.stringify(value)).byteLength));
});
