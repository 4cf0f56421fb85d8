// hansom/fetch against the shared fetch behaviour checks, then what is hansom's own: the
// TypeError's cause is a HansomError, init.hansom reaches request(), clone() keeps url.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { fetch } from "../../lib/fetch/index.ts";
import { HansomError, Pool } from "../../lib/index.ts";
import { httpServer, rawServer } from "../helpers/servers.ts";
import { fetchBehaviour } from "./behaviour.ts";

fetchBehaviour("hansom fetch", fetch);

/** The rejection of `p`; fails the test when it resolves. */
async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail("expected a rejection");
}

test("hansom fetch - a network failure's cause is the HansomError", async () => {
  const gone = await httpServer(() => {});
  const url = `${gone.url}/`;
  await gone.close();
  const err = await rejectionOf(fetch(url));
  assert.ok(err instanceof TypeError);
  assert.ok(err.cause instanceof HansomError, `cause is a HansomError, got ${String(err.cause)}`);
  assert.equal(err.cause.code, "econnrefused");
});

test("hansom fetch - a body cut short errors the stream with a TypeError, cause closed", async () => {
  const srv = await rawServer((s) => {
    s.on("data", () => s.end("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"));
  });
  try {
    const res = await fetch(`${srv.url}/`);
    const err = await rejectionOf(res.text());
    assert.ok(err instanceof TypeError, `a TypeError, got ${String(err)}`);
    assert.ok(err.cause instanceof HansomError);
    assert.equal(err.cause.code, "closed");
  } finally {
    await srv.close();
  }
});

test("hansom fetch - bad input is a TypeError: invalid URL, credentials, forbidden method, bad header", async () => {
  const srv = await httpServer((_req, res) => res.end("x"));
  try {
    for (const p of [
      fetch("not a url"),
      fetch("ftp://127.0.0.1/"),
      fetch(`http://user:pw@127.0.0.1:${srv.port}/`),
      fetch(`${srv.url}/`, { method: "TRACE" }),
      fetch(`${srv.url}/`, { headers: { "x-bad": "a\nb" } }),
      fetch(`${srv.url}/`, { redirect: "sometimes" as RequestRedirect }),
    ]) {
      const err = await rejectionOf(p);
      assert.ok(err instanceof TypeError, `a TypeError, got ${String(err)}`);
    }
    assert.equal(srv.accepted, 0, "nothing was sent");
  } finally {
    await srv.close();
  }
});

test("hansom fetch - init.hansom reaches request(): pool, decompress false", async () => {
  const gz = zlib.gzipSync("plain text");
  const srv = await httpServer((req, res) => {
    res.writeHead(200, {
      "content-encoding": "gzip",
      "x-accept-encoding": String(req.headers["accept-encoding"] ?? ""),
    });
    res.end(gz);
  });
  const pool = new Pool();
  try {
    const res = await fetch(`${srv.url}/`, { hansom: { pool, decompress: false } });
    assert.equal(res.headers.get("x-accept-encoding"), "", "no Accept-Encoding without decompress");
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), new Uint8Array(gz));
    assert.equal(pool.stats().free, 1, "the connection is back in the given pool");
    const decoded = await fetch(`${srv.url}/`, { hansom: { pool } });
    assert.match(decoded.headers.get("x-accept-encoding")!, /gzip/);
    assert.equal(await decoded.text(), "plain text");
  } finally {
    await pool.close();
    await srv.close();
  }
});

test("hansom fetch - init.hansom may not set what fetch's init says", async () => {
  for (const hansom of [
    { headers: { a: "1" } },
    { body: "x" },
    { signal: new AbortController().signal },
    { followRedirect: true },
    { async: true as const },
  ]) {
    const err = await rejectionOf(fetch("http://127.0.0.1:1/", { hansom }));
    assert.ok(err instanceof TypeError, `a TypeError for ${Object.keys(hansom)[0]}`);
  }
});

test("hansom fetch - init.hansom.maxRedirect replaces the limit of 20", async () => {
  const srv = await httpServer((req, res) => {
    const n = Number(new URL(req.url!, "http://x").searchParams.get("n"));
    if (n > 0) res.writeHead(302, { location: `/?n=${n - 1}` }).end();
    else res.end("done");
  });
  try {
    assert.equal(await (await fetch(`${srv.url}/?n=2`, { hansom: { maxRedirect: 2 } })).text(), "done");
    assert.ok((await rejectionOf(fetch(`${srv.url}/?n=3`, { hansom: { maxRedirect: 2 } }))) instanceof TypeError);
  } finally {
    await srv.close();
  }
});

test("hansom fetch - basicAuth stays with the first origin across a redirect", async () => {
  const seen: Array<string | undefined> = [];
  const other = await httpServer((req, res) => {
    seen.push(req.headers.authorization);
    res.end("other");
  });
  const srv = await httpServer((req, res) => {
    seen.push(req.headers.authorization);
    if (req.url === "/away") res.writeHead(302, { location: `${other.url}/` }).end();
    else if (req.url === "/here") res.writeHead(302, { location: "/end" }).end();
    else res.end("end");
  });
  try {
    await (await fetch(`${srv.url}/here`, { hansom: { basicAuth: ["u", "p"] } })).text();
    await (await fetch(`${srv.url}/away`, { hansom: { basicAuth: ["u", "p"] } })).text();
    const basic = `Basic ${btoa("u:p")}`;
    assert.deepEqual(seen, [basic, basic, basic, undefined]);
  } finally {
    await srv.close();
    await other.close();
  }
});

test("hansom fetch - a Request built from a string is sent again after a 307", async () => {
  const srv = await httpServer(async (req, res) => {
    const parts: Uint8Array[] = [];
    for await (const c of req) parts.push(c as Uint8Array);
    if (req.url === "/first") res.writeHead(307, { location: "/second" }).end();
    else res.end(`${req.method} ${Buffer.concat(parts).toString()}`);
  });
  try {
    const res = await fetch(new Request(`${srv.url}/first`, { method: "POST", body: "again" }));
    assert.equal(await res.text(), "POST again");
    assert.equal(res.redirected, true);
  } finally {
    await srv.close();
  }
});

test("hansom fetch - clone() keeps url and redirected", async () => {
  const srv = await httpServer((req, res) => {
    if (req.url === "/a") res.writeHead(301, { location: "/b" }).end();
    else res.end("b");
  });
  try {
    const res = await fetch(`${srv.url}/a`);
    const c = res.clone();
    assert.equal(c.url, `${srv.url}/b`);
    assert.equal(c.redirected, true);
    assert.equal(await c.text(), "b");
    assert.equal(await res.text(), "b");
  } finally {
    await srv.close();
  }
});

test("hansom fetch - a cancelled body gives the connection up, the next request works", async () => {
  const srv = await httpServer((_req, res) => {
    res.writeHead(200, { "content-length": "200000" });
    res.write(new Uint8Array(1000));
  });
  const pool = new Pool();
  try {
    const res = await fetch(`${srv.url}/`, { hansom: { pool } });
    await res.body!.cancel();
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
    await srv.close();
  }
});

test("hansom fetch - a 101 the request asked for: status 101, null body, the socket given up", async () => {
  const srv = await rawServer((s) => {
    s.on("data", () =>
      s.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: upgrade\r\n\r\nhello"),
    );
  });
  const pool = new Pool();
  try {
    const res = await fetch(`${srv.url}/`, { headers: { connection: "upgrade", upgrade: "echo" }, hansom: { pool } });
    assert.ok(res instanceof globalThis.Response);
    assert.equal(res.status, 101);
    assert.equal(res.ok, false);
    assert.equal(res.body, null);
    assert.equal(res.headers.get("upgrade"), "echo");
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
    await srv.close();
  }
});
