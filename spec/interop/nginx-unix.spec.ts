// request() against nginx listening on a Unix socket, reached two ways: an http+unix URL (the
// percent-encoded socket path is the host, and so the Host header) and the socketPath option on
// an http URL (the Host stays the URL's). nginx's access log shows, from the server's side, the
// Host it got and that keep-alive requests shared one connection. Skips when nginx is missing.
import { test, before, after } from "node:test";
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import { Pool, request } from "../../lib/index.ts";
import { UNIX_HELLO, startNginxUnix } from "./nginx.ts";
import type { LogLine, LoggedNginx } from "./nginx.ts";

let nginx: (LoggedNginx & { socket: string }) | undefined;
let skip: string | undefined;

before(async () => {
  try {
    nginx = await startNginxUnix();
  } catch (e) {
    skip = `nginx on a unix socket: ${(e as Error).message.trim().replace(/\s*\n\s*/g, " | ")}`;
    console.log(`# interop: skipping ${skip}`);
  }
});

after(async () => {
  await nginx?.stop();
});

function server(t: TestContext): (LoggedNginx & { socket: string }) | null {
  if (skip !== undefined) {
    t.skip(skip);
    return null;
  }
  return nginx!;
}

const T = { timeout: 20000 };
/** The log lines for `path`, in order. */
const linesFor = (n: LoggedNginx, path: string) => n.log().filter((l) => l.request.split(" ")[1] === path);

test("interop nginx unix - http+unix URL: status, body, and the encoded path as Host", T, async (t) => {
  const n = server(t);
  if (!n) return;
  const pool = new Pool();
  try {
    const host = encodeURIComponent(n.socket);
    const res = await request("GET", `http+unix://${host}/hello.txt?via=url`, { pool });
    assert.equal(res.status, 200);
    assert.equal(res.httpVersion, "1.1");
    assert.equal(res.headers.get("content-length"), String(UNIX_HELLO.length));
    assert.match(res.headers.get("server") ?? "", /^nginx/);
    assert.equal(await res.text(), UNIX_HELLO);
    const missing = await request("GET", `http+unix://${host}/missing.txt`, { pool });
    assert.equal(missing.status, 404);
    await missing.skip();
    const [line] = linesFor(n, "/hello.txt?via=url");
    assert.ok(line, "nginx logged the request");
    assert.equal(line.host, host);
    assert.equal(line.status, 200);
  } finally {
    await pool.close();
  }
});

test("interop nginx unix - socketPath on an http URL keeps the URL's Host", T, async (t) => {
  const n = server(t);
  if (!n) return;
  const pool = new Pool();
  try {
    // The name is never resolved: the socket is the peer.
    const res = await request("GET", "http://unix-origin.invalid:8080/hello.txt?via=option", {
      pool,
      socketPath: n.socket,
    });
    assert.equal(res.status, 200);
    assert.equal(await res.text(), UNIX_HELLO);
    const [line] = linesFor(n, "/hello.txt?via=option");
    assert.ok(line, "nginx logged the request");
    assert.equal(line.host, "unix-origin.invalid:8080");
  } finally {
    await pool.close();
  }
});

test("interop nginx unix - keep-alive: GET, POST, GET share one connection on each route", T, async (t) => {
  const n = server(t);
  if (!n) return;
  const routes: Array<[string, string, { socketPath?: string }]> = [
    ["url", `http+unix://${encodeURIComponent(n.socket)}`, {}],
    ["option", "http://localhost", { socketPath: n.socket }],
  ];
  for (const [name, base, extra] of routes) {
    const pool = new Pool();
    try {
      const tag = `ka-${name}`;
      const first = await request("GET", `${base}/hello.txt?${tag}=1`, { pool, ...extra });
      assert.equal(first.info().reused, false);
      assert.equal(await first.text(), UNIX_HELLO);
      assert.deepEqual({ inUse: pool.stats().inUse, free: pool.stats().free }, { inUse: 0, free: 1 }, name);
      const posted = await request("POST", `${base}/echo?${tag}=2`, { pool, ...extra, body: "12345" });
      assert.equal(posted.info().reused, true, name);
      assert.equal(await posted.text(), "POST 5\n");
      const third = await request("GET", `${base}/hello.txt?${tag}=3`, { pool, ...extra });
      assert.equal(third.info().reused, true, name);
      assert.equal(await third.text(), UNIX_HELLO);
      assert.equal(pool.stats().free, 1, `${name}: one idle connection after three requests`);
      const lines: LogLine[] = n.log().filter((l) => l.request.includes(`?${tag}=`));
      assert.equal(lines.length, 3, name);
      assert.deepEqual(
        lines.map((l) => l.requests),
        [1, 2, 3],
        `${name}: nginx counted the requests on one connection`,
      );
      assert.equal(new Set(lines.map((l) => l.connection)).size, 1, name);
    } finally {
      await pool.close();
    }
  }
});
