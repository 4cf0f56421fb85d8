// Unix domain sockets, as hackney has them: http+unix URLs whose host is the percent-encoded
// socket path, and the socketPath option on any http URL. The Host header is the encoded path
// or the URL's host; pools key on the path.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as http from "node:http";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { get, post, parseUrl, Pool } from "../lib/index.ts";
import { rejection } from "./helpers/errors.ts";

/** A node:http server on a socket file; it answers with the Host it saw and the path. */
async function unixServer(path: string) {
  let accepted = 0;
  const server = http.createServer((req, res) => {
    if (req.url === "/redirect") {
      res.statusCode = 302;
      res.setHeader("location", "/final?x=1");
      res.end();
      return;
    }
    let n = 0;
    req.on("data", (c: Uint8Array) => (n += c.byteLength));
    req.on("end", () => res.end(JSON.stringify({ host: req.headers.host, url: req.url, got: n })));
  });
  server.on("connection", () => accepted++);
  await new Promise<void>((resolve) => server.listen(path, resolve));
  return {
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

test("unix socket - parseUrl reads an http+unix URL's host as the decoded socket path", () => {
  const u = parseUrl("http+unix://%2Fvar%2Frun%2Fdocker.sock/v1.43/containers/json?all=1");
  assert.equal(u.scheme, "http+unix");
  assert.equal(u.host, "/var/run/docker.sock");
  assert.equal(u.path, "/v1.43/containers/json");
  assert.equal(u.qs, "all=1");
  assert.equal(u.href, "http+unix://%2Fvar%2Frun%2Fdocker.sock/v1.43/containers/json?all=1");
  assert.throws(
    () => parseUrl("http+unix:///x"),
    (e: unknown) => (e as { code?: string }).code === "invalid_url",
  );
});

test("unix socket - http+unix URLs and socketPath reach the socket; Host and pool keys follow the path", async () => {
  const dir = mkdtempSync(join(tmpdir(), "hansom-unix-"));
  const a = join(dir, "a.sock");
  const b = join(dir, "b.sock");
  const sa = await unixServer(a);
  const sb = await unixServer(b);
  const pool = new Pool();
  try {
    const enc = encodeURIComponent(a);
    const r1 = (await (await get(`http+unix://${enc}/v1/info?q=1`, { pool })).json()) as { host: string; url: string };
    assert.deepEqual(r1, { host: enc, url: "/v1/info?q=1", got: 0 });
    const r2 = (await (await post(`http+unix://${enc}/up`, { pool, body: "x".repeat(100_000) })).json()) as {
      got: number;
    };
    assert.equal(r2.got, 100_000);
    assert.equal(sa.accepted(), 1, "one kept-alive connection for both requests");
    const r3 = (await (await get("http://docker.local/containers", { pool, socketPath: b })).json()) as {
      host: string;
    };
    assert.equal(r3.host, "docker.local", "with socketPath the Host is the URL's");
    const r4 = (await (await get("http://docker.local/containers", { pool, socketPath: a })).json()) as {
      host: string;
    };
    assert.equal(r4.host, "docker.local");
    assert.deepEqual([sa.accepted(), sb.accepted()], [2, 1], "pools key on the socket path");
    const red = await get(`http+unix://${enc}/redirect`, { pool, followRedirect: true });
    assert.equal(((await red.json()) as { url: string }).url, "/final?x=1");
    assert.equal(red.url, `http+unix://${enc}/final?x=1`);
    const missing = await rejection(get(`http+unix://${encodeURIComponent(join(dir, "none.sock"))}/`, { pool }));
    console.log(`# missing socket: ${missing.code}: ${missing.message}`);
    assert.equal(missing.code, "econnrefused", missing.message);
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
    await sa.close();
    await sb.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("unix socket - a redirect from a TCP origin to an http+unix URL is refused; https with socketPath is invalid_option", async () => {
  const { httpServer } = await import("./helpers/servers.ts");
  const srv = await httpServer((_req, res) => {
    res.statusCode = 302;
    res.setHeader("location", "http+unix://%2Fvar%2Frun%2Fdocker.sock/containers/json");
    res.end();
  });
  try {
    const err = await rejection(get(`${srv.url}/`, { pool: false, followRedirect: true }));
    assert.equal(err.code, "invalid_url");
    assert.match(err.message, /http\+unix/);
    assert.equal((await rejection(get("https://x.test/", { socketPath: "/tmp/none.sock" }))).code, "invalid_option");
  } finally {
    await srv.close();
  }
});
