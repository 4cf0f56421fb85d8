// Request-smuggling and desync shapes (RFC 9112 §6.3, §7.1, §5, §4; RFC 9110 §8.6): each must
// be refused with bad_response and its socket thrown away, so that the next request on the same
// Pool opens a new connection (counted on the server) and gets a clean answer. Every shape runs
// on a fresh socket and on a reused keep-alive one.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import type * as net from "node:net";
import { get, Pool } from "../../lib/index.ts";
import { bytes, hansomRejection, ok, scriptedServer, settled, sleep, within } from "./harness.ts";
import type { RawServer, Reply } from "./harness.ts";

const servers: RawServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const H = "HTTP/1.1 200 OK\r\n";
const CHUNKED = `${H}Transfer-Encoding: chunked\r\n\r\n`;
const manyHeaders = (n: number): string => Array.from({ length: n }, (_, i) => `X-H${i}: v\r\n`).join("");

/** Shapes a client must refuse, by name. */
const SHAPES: Array<[string, string]> = [
  ["Content-Length with Transfer-Encoding", `${H}Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n`],
  ["Transfer-Encoding then Content-Length", `${H}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`],
  ["two differing Content-Length fields", `${H}Content-Length: 4\r\nContent-Length: 3\r\n\r\ngood`],
  ["comma-joined differing Content-Lengths", `${H}Content-Length: 4, 3\r\n\r\ngood`],
  ["Content-Length with a plus sign", `${H}Content-Length: +4\r\n\r\ngood`],
  ["Content-Length with a minus sign", `${H}Content-Length: -4\r\n\r\ngood`],
  ["Content-Length with a space inside", `${H}Content-Length: 1 4\r\n\r\ngood`],
  ["Content-Length in hex", `${H}Content-Length: 0x4\r\n\r\ngood`],
  ["Content-Length empty", `${H}Content-Length: \r\n\r\ngood`],
  ["Content-Length past 2^53", `${H}Content-Length: 99999999999999999999\r\n\r\ngood`],
  ["chunk size that overflows", `${CHUNKED}FFFFFFFFFFFFFFFFFFFF\r\ngood\r\n0\r\n\r\n`],
  ["chunk size with a plus sign", `${CHUNKED}+4\r\ngood\r\n0\r\n\r\n`],
  ["chunk size with a minus sign", `${CHUNKED}-4\r\ngood\r\n0\r\n\r\n`],
  ["chunk size with 0x", `${CHUNKED}0x4\r\ngood\r\n0\r\n\r\n`],
  ["chunk size with a leading space", `${CHUNKED} 4\r\ngood\r\n0\r\n\r\n`],
  ["chunk size with a space inside", `${CHUNKED}1 4\r\ngood\r\n0\r\n\r\n`],
  ["chunk size with a trailing space", `${CHUNKED}4 \r\ngood\r\n0\r\n\r\n`],
  ["chunk data not followed by CRLF", `${CHUNKED}4\r\ngoodX\r\n0\r\n\r\n`],
  ["bare CR ending the status line", `HTTP/1.1 200 OK\rContent-Length: 4\r\n\r\ngood`],
  ["bare CR ending a header line", `${H}X-A: 1\rContent-Length: 4\r\n\r\ngood`],
  ["a bare CR where the empty line ending the head belongs", `${H}Content-Length: 4\r\n\r\rgood`],
  ["bare CR ending a chunk-size line", `${CHUNKED}4\rgood\r\n0\r\n\r\n`],
  ["bare CR after chunk data", `${CHUNKED}4\r\ngood\r0\r\n\r\n`],
  ["obs-fold line", `${H}Content-Length: 4\r\nX-A: 1\r\n  folded\r\n\r\ngood`],
  ["obs-fold with a tab", `${H}X-A: 1\r\n\tContent-Length: 4\r\n\r\ngood`],
  ["NUL in a header value", `${H}Content-Length: 4\r\nX-A: a\x00b\r\n\r\ngood`],
  ["a control (0x01) in a header value", `${H}Content-Length: 4\r\nX-A: a\x01b\r\n\r\ngood`],
  ["ESC in a header value", `${H}Content-Length: 4\r\nX-A: a\x1bb\r\n\r\ngood`],
  ["DEL in a header value", `${H}Content-Length: 4\r\nX-A: a\x7fb\r\n\r\ngood`],
  ["NUL in the reason phrase", `HTTP/1.1 200 O\x00K\r\nContent-Length: 4\r\n\r\ngood`],
  ["space between field name and colon", `${H}Content-Length : 4\r\n\r\ngood`],
  ["tab between field name and colon", `${H}Content-Length\t: 4\r\n\r\ngood`],
  ["status 099", `HTTP/1.1 099 X\r\nContent-Length: 4\r\n\r\ngood`],
  ["status 000", `HTTP/1.1 000 X\r\nContent-Length: 4\r\n\r\ngood`],
  ["status 1000", `HTTP/1.1 1000 X\r\nContent-Length: 4\r\n\r\ngood`],
  ["status 20", `HTTP/1.1 20 X\r\nContent-Length: 4\r\n\r\ngood`],
  ["status with a sign", `HTTP/1.1 +200 X\r\nContent-Length: 4\r\n\r\ngood`],
  ["status line over 64 KiB", `HTTP/1.1 200 ${"a".repeat(70_000)}\r\nContent-Length: 4\r\n\r\ngood`],
  [
    "header section over 64 KiB",
    `${H}Content-Length: 4\r\n${("X-Pad: " + "p".repeat(1000) + "\r\n").repeat(70)}\r\ngood`,
  ],
  ["1001 header fields", `${H}Content-Length: 4\r\n${manyHeaders(1001)}\r\ngood`],
  ["1001 trailer fields", `${CHUNKED}4\r\ngood\r\n0\r\n${manyHeaders(1001)}\r\n`],
  [
    "trailer section over 64 KiB",
    `${CHUNKED}4\r\ngood\r\n0\r\n${("X-Pad: " + "p".repeat(1000) + "\r\n").repeat(70)}\r\n`,
  ],
  ["Transfer-Encoding whose final coding is gzip", `${H}Transfer-Encoding: gzip\r\n\r\ngood`],
  ["Transfer-Encoding chunked, gzip", `${H}Transfer-Encoding: chunked, gzip\r\n\r\n4\r\ngood\r\n0\r\n\r\n`],
  [
    "Transfer-Encoding chunked then a gzip line",
    `${H}Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n\r\n4\r\ngood\r\n0\r\n\r\n`,
  ],
  [
    "unsolicited 101 to a request without Upgrade",
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
  ],
];

/** Requests `url` and reads the whole body: the refusal may come with the head or in the body. */
async function fetchAll(url: string, pool: Pool): Promise<string> {
  // Every shape arrives in one write: a second of silence means the client is waiting for
  // bytes that will never come (a refusal it missed).
  const res = await get(url, { pool, recvTimeout: 1000 });
  return res.text();
}

/** The answer on the first connection, request by request; every later connection answers `ok()`. */
async function serve(first: Reply[]): Promise<RawServer> {
  const srv = await scriptedServer((conn, req) => (conn === 0 ? (first[req] ?? null) : ok()));
  servers.push(srv);
  return srv;
}

/** Expects bad_response within a few seconds, the pool back to idle, then a clean answer on a new socket. */
async function assertRefused(srv: RawServer, pool: Pool, socketsBefore: number): Promise<void> {
  const e = await hansomRejection(fetchAll(`${srv.url}/`, pool), 6000);
  assert.equal(e.code, "bad_response", `${e.code}: ${e.message}`);
  await settled(pool);
  assert.equal(await within(fetchAll(`${srv.url}/`, pool), 6000, "the request after the refusal"), "good");
  assert.equal(srv.accepted, socketsBefore + 1, "the next request must open a new connection");
}

for (const [name, shape] of SHAPES) {
  test(`smuggling - ${name} is bad_response, socket discarded (fresh socket)`, async () => {
    const srv = await serve([shape]);
    const pool = new Pool();
    try {
      await assertRefused(srv, pool, 1);
    } finally {
      await pool.close();
    }
  });
  test(`smuggling - ${name} is bad_response, socket discarded (reused keep-alive socket)`, async () => {
    const srv = await serve([ok(), shape]);
    const pool = new Pool();
    try {
      assert.equal(await fetchAll(`${srv.url}/`, pool), "good");
      assert.equal(srv.accepted, 1);
      await assertRefused(srv, pool, 1);
    } finally {
      await pool.close();
    }
  });
}

test("smuggling - bytes on an idle pooled socket never become the next response: the socket is dropped", async () => {
  const evil = `HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL`;
  const srv = await serve([
    (s: net.Socket) => {
      s.write(bytes(ok()));
      setTimeout(() => s.destroyed || s.write(bytes(evil)), 50);
    },
  ]);
  const pool = new Pool();
  try {
    assert.equal(await fetchAll(`${srv.url}/`, pool), "good");
    await sleep(250); // the unsolicited bytes arrive while the socket sits idle in the pool
    assert.equal(await within(fetchAll(`${srv.url}/`, pool), 6000, "the next request"), "good");
    assert.equal(srv.accepted, 2, "the socket that spoke out of turn must not be reused");
  } finally {
    await pool.close();
  }
});

test("smuggling - bytes after a Content-Length body on a keep-alive socket are not the next response", async () => {
  const srv = await serve([`${ok()}HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nEVIL`]);
  const pool = new Pool();
  try {
    assert.equal(await fetchAll(`${srv.url}/`, pool), "good");
    assert.equal(await within(fetchAll(`${srv.url}/`, pool), 6000, "the next request"), "good");
    assert.equal(srv.accepted, 2, "a socket with bytes past the body must not be reused");
  } finally {
    await pool.close();
  }
});

test("smuggling - unsolicited 101 leaves the pool unblocked (inUse back to 0)", async () => {
  const srv = await serve(["HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\nConnection: Upgrade\r\n\r\n"]);
  const pool = new Pool({ maxConnections: 1 });
  try {
    const e = await hansomRejection(get(`${srv.url}/`, { pool }), 4000);
    assert.equal(e.code, "bad_response", e.message);
    assert.equal(pool.stats().inUse, 0, "a refused 101 must not keep its connection checked out");
    assert.equal(
      await within(fetchAll(`${srv.url}/`, pool), 4000, "the request after a 101 (maxConnections 1)"),
      "good",
    );
  } finally {
    await pool.close();
  }
});

test("smuggling - a 101 to a request that asked to Upgrade is a Response, its socket reachable by detach() (control)", async () => {
  const srv = await serve(["HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\nhello"]);
  const pool = new Pool();
  try {
    const res = await within(
      get(`${srv.url}/`, { pool, headers: { connection: "Upgrade", upgrade: "echo" } }),
      4000,
      "an asked-for 101",
    );
    assert.equal(res.status, 101);
    const d = await res.detach();
    let got = Buffer.from(d.buffer).toString("latin1");
    const reader = d.socket.readable.getReader();
    while (got.length < 5) {
      const r = await within(reader.read(), 3000, "the upgraded bytes");
      if (r.done) break;
      got += Buffer.from(r.value).toString("latin1");
    }
    assert.equal(got, "hello");
    reader.releaseLock();
    await d.socket.close();
    await settled(pool);
  } finally {
    await pool.close();
  }
});

test("smuggling - megabytes of chunk extension are bad_response fast, not recv_timeout", async () => {
  // The extension never ends: a client without a limit reads until the test's bound.
  const filler = bytes(";" + "e".repeat(64 * 1024 - 1));
  const srv = await serve([
    (s: net.Socket) => {
      s.write(bytes(`${CHUNKED}4`));
      const pump = (): void => {
        while (!s.destroyed && s.write(filler));
        if (!s.destroyed) s.once("drain", pump);
      };
      pump();
    },
  ]);
  const pool = new Pool();
  try {
    const t0 = Date.now();
    const e = await hansomRejection(
      get(`${srv.url}/`, { pool, recvTimeout: 10_000 }).then((r) => r.bytes()),
      5000,
      "a body with an endless chunk extension",
    );
    const ms = Date.now() - t0;
    assert.equal(e.code, "bad_response", `${e.code}: ${e.message}`);
    assert.ok(ms < 3000, `refused after ${ms} ms`);
    await settled(pool);
  } finally {
    await pool.close();
  }
});

test("smuggling - HTTP/1.2 200 OK is accepted as HTTP/1.1 (RFC 9110 §2.5)", async () => {
  const srv = await serve(["HTTP/1.2 200 OK\r\nContent-Length: 4\r\n\r\ngood", ok()]);
  const pool = new Pool();
  try {
    const res = await within(get(`${srv.url}/`, { pool }), 4000, "an HTTP/1.2 response");
    assert.equal(res.status, 200);
    assert.equal(res.httpVersion, "1.1");
    assert.equal(await res.text(), "good");
  } finally {
    await pool.close();
  }
});
