// Http2Connection over a real RawSocket (the runtime's adapter) against node:http2 (h2c).
import { after, before, test } from "node:test";
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import { Http2Connection } from "../../lib/http2/connection.ts";
import type { Http2ConnectionOptions } from "../../lib/http2/connection.ts";
import { failedBeforeResponse } from "../../lib/exchange.ts";
import type { BodySource, RequestSpec } from "../../lib/exchange.ts";
import type { EncodedBody } from "../../lib/body.ts";
import { getAdapter } from "../../lib/runtime/index.ts";
import { HansomError } from "../../lib/errors.ts";
import { bodyOf, probe, runtime, serve, sha } from "./h2-server.ts";
import type { Served } from "./h2-server.ts";
import { concat } from "./support.ts";

let skip: string | null = null;
let plain: Served;
let limited: Served;
before(async () => {
  skip = await probe();
  if (skip !== null) {
    console.log(`# http2 connection specs skipped: ${skip}`);
    return;
  }
  plain = await serve();
  limited = await serve({ maxConcurrentStreams: 5, initialWindowSize: 16384 });
});
after(async () => {
  await plain?.close();
  await limited?.close();
});

function skipped(t: TestContext): boolean {
  if (skip === null) return false;
  t.skip(skip);
  return true;
}

function spec(s: Served, method: string, path: string, o: Partial<RequestSpec> = {}): RequestSpec {
  return {
    method,
    scheme: "http",
    authority: `127.0.0.1:${s.port}`,
    path,
    absoluteForm: false,
    headers: [],
    body: null,
    noBody: method === "HEAD",
    expectContinue: false,
    upgrade: false,
    lastRequest: false,
    recvTimeout: 5000,
    maxHeaderSize: 65536,
    ...o,
  };
}

const bytesBody = (b: Uint8Array, piece = 65536): EncodedBody => ({
  length: b.length,
  replayable: true,
  open: () => Array.from({ length: Math.ceil(b.length / piece) }, (_, i) => b.subarray(i * piece, (i + 1) * piece)),
});

/** A connection on a fresh socket, and the release verdicts it reported. */
async function dial(
  s: Served,
  o: Http2ConnectionOptions = {},
): Promise<{ conn: Http2Connection; releases: boolean[] }> {
  const sock = await (await getAdapter()).connect({ host: "127.0.0.1", port: s.port, timeout: 2000 });
  const releases: boolean[] = [];
  return { conn: new Http2Connection("h2-spec", sock, (_c, reusable) => releases.push(reusable), o), releases };
}

/** Reads a body to its end; `pauseFirst` answers false to the first chunk and reads again after a pause. */
function readAll(
  source: BodySource,
  pauseFirst = false,
): Promise<{ body: Uint8Array; trailers: Array<[string, string]> | null }> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    let paused = !pauseFirst;
    const sink = {
      data(c: Uint8Array) {
        chunks.push(c.slice());
        if (paused) return true;
        paused = true;
        setTimeout(() => source.read(sink), 100);
        return false;
      },
      end: (trailers: Array<[string, string]> | null) => resolve({ body: concat(chunks), trailers }),
      error: reject,
    };
    source.read(sink);
  });
}

test("h2 connection - 100 concurrent exchanges share one socket; one reusable release each", async (t) => {
  if (skipped(t)) return;
  const { conn, releases } = await dial(plain);
  try {
    assert.equal(conn.protocol, "h2");
    const sizes = Array.from({ length: 100 }, (_, i) => (i * 4099) % 150_000);
    const results = await Promise.all(
      sizes.map(async (n) => {
        const r = await conn.exchange(spec(plain, "GET", `/get?n=${n}`));
        assert.equal(r.head.status, 200);
        assert.equal(r.head.httpVersion, "2");
        assert.equal(r.head.contentLength, n);
        if (n === 0) {
          assert.equal(r.body, null);
          assert.equal(r.empty, true);
          return new Uint8Array(0);
        }
        return (await readAll(r.body!)).body;
      }),
    );
    results.forEach((b, i) => {
      assert.equal(sha(b), sha(bodyOf(sizes[i]!)), `/get?n=${sizes[i]}`);
    });
    assert.deepEqual(
      releases,
      sizes.map(() => true),
    );
    assert.equal(conn.served, 100);
    assert.equal(conn.active, 0);
    assert.equal(conn.idle, true);
  } finally {
    conn.destroy();
  }
});

test("h2 connection - capacity follows SETTINGS_MAX_CONCURRENT_STREAMS; extra exchanges wait for a stream", async (t) => {
  if (skipped(t)) return;
  const { conn, releases } = await dial(limited);
  try {
    const first = await conn.exchange(spec(limited, "GET", "/get?n=10"));
    assert.equal(conn.capacity, 5);
    await readAll(first.body!);
    limited.peakStreams = 0;
    const all = await Promise.all(
      Array.from({ length: 20 }, () =>
        conn.exchange(spec(limited, "GET", "/get?n=20000")).then((r) => readAll(r.body!)),
      ),
    );
    assert.ok(all.every((r) => sha(r.body) === sha(bodyOf(20000))));
    assert.ok(limited.peakStreams <= 5, `peak ${limited.peakStreams}`);
    assert.equal(releases.length, 21);
  } finally {
    conn.destroy();
  }
});

test("h2 connection - an 8 MiB upload into a 16 KiB window, with progress", async (t) => {
  if (skipped(t)) return;
  const { conn } = await dial(limited);
  try {
    const body = bodyOf(8 << 20);
    const progress: Array<[number, boolean | undefined]> = [];
    const r = await conn.exchange(
      spec(limited, "POST", "/echo", { body: bytesBody(body), onUpload: (n, done) => progress.push([n, done]) }),
    );
    assert.equal(new TextDecoder().decode((await readAll(r.body!)).body), `${body.length} ${sha(body)}`);
    assert.deepEqual(progress[progress.length - 1], [body.length, true]);
  } finally {
    conn.destroy();
  }
});

test("h2 connection - a paused reader holds back its stream only, then reads the rest", async (t) => {
  if (skipped(t)) return;
  const { conn } = await dial(plain, { initialWindowSize: 65535 });
  try {
    const big = await conn.exchange(spec(plain, "GET", "/get?n=3000000"));
    const reading = readAll(big.body!, true);
    // Meanwhile other streams flow.
    const small = await conn.exchange(spec(plain, "GET", "/get?n=100"));
    assert.equal((await readAll(small.body!)).body.length, 100);
    assert.equal(sha((await reading).body), sha(bodyOf(3000000)));
  } finally {
    conn.destroy();
  }
});

test("h2 connection - trailers reach the reader; 204 and HEAD have no body", async (t) => {
  if (skipped(t)) return;
  const { conn } = await dial(plain);
  try {
    const r = await conn.exchange(spec(plain, "GET", "/trailers"));
    const got = await readAll(r.body!);
    assert.equal(new TextDecoder().decode(got.body), "part one,part two");
    assert.deepEqual(got.trailers, [
      ["x-checksum", "abc123"],
      ["x-count", "2"],
    ]);
    const empty = await conn.exchange(spec(plain, "GET", "/empty"));
    assert.deepEqual([empty.head.status, empty.body, empty.empty], [204, null, false]);
    await assert.rejects(
      conn.exchange(spec(plain, "GET", "/get?n=5", { maxHeaderSize: 20 })),
      (e: unknown) =>
        e instanceof HansomError &&
        e.code === "bad_response" &&
        /response head larger than 20 bytes \(the maxHeaderSize option\)/.test(e.message),
    );
    const head = await conn.exchange(spec(plain, "HEAD", "/get?n=500"));
    assert.deepEqual([head.head.status, head.head.contentLength, head.body], [200, 500, null]);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(conn.active, 0);
    assert.throws(
      () => (r.body as BodySource).detach(),
      (e: unknown) => e instanceof HansomError && /not available on HTTP\/2/.test(e.message),
    );
  } finally {
    conn.destroy();
  }
});

test("h2 connection - cancel, abort, a server reset and recvTimeout fail one stream; the connection stays reusable", async (t) => {
  if (skipped(t)) return;
  const { conn, releases } = await dial(plain);
  try {
    const big = await conn.exchange(spec(plain, "GET", "/get?n=5000000"));
    big.body!.cancel();
    const ac = new AbortController();
    const aborted = conn.exchange(spec(plain, "GET", "/hang", { signal: ac.signal }));
    setTimeout(() => ac.abort(), 20);
    await assert.rejects(aborted, (e: unknown) => e instanceof HansomError && e.code === "aborted");
    // Bun's node:http2 (1.4) answers stream.close(code) before respond() with an empty DATA
    // frame and no HEADERS, not RST_STREAM: a malformed response there, a reset elsewhere.
    const resetError =
      runtime === "Bun"
        ? /DATA before the response head \(PROTOCOL_ERROR\)/
        : /reset the HTTP\/2 stream \(INTERNAL_ERROR\)/;
    await assert.rejects(
      conn.exchange(spec(plain, "GET", "/reset")),
      (e: unknown) => e instanceof HansomError && resetError.test(e.message),
    );
    await assert.rejects(
      conn.exchange(spec(plain, "GET", "/hang", { recvTimeout: 150 })),
      (e: unknown) => e instanceof HansomError && e.code === "recv_timeout",
    );
    assert.deepEqual(releases, [true, true, true, true]);
    await new Promise((r) => setTimeout(r, 300)); // the liveness PING after the timeout is answered
    const after = await conn.exchange(spec(plain, "GET", "/get?n=7"));
    assert.deepEqual((await readAll(after.body!)).body, bodyOf(7));
    assert.equal(conn.closed, false);
  } finally {
    conn.destroy();
  }
});

test("h2 connection - a server GOAWAY closes an idle connection and refuses new exchanges", async (t) => {
  if (skipped(t)) return;
  const { conn, releases } = await dial(plain);
  try {
    const r = await conn.exchange(spec(plain, "GET", "/get?n=1"));
    await readAll(r.body!);
    let closedIdle = false;
    conn.watchIdle(() => (closedIdle = true));
    for (const s of plain.sessions) s.goaway();
    for (let i = 0; i < 100 && !closedIdle; i++) await new Promise((w) => setTimeout(w, 10));
    assert.equal(closedIdle, true);
    assert.equal(conn.closed, true);
    const err = await conn.exchange(spec(plain, "GET", "/get?n=1")).then(
      () => null,
      (e: HansomError) => e,
    );
    assert.ok(err && err.code === "closed" && failedBeforeResponse(err));
    assert.deepEqual(releases, [true, false]);
  } finally {
    conn.destroy();
  }
});

test("h2 connection - a request the server is still answering survives its GOAWAY", async (t) => {
  if (skipped(t)) return;
  const { conn } = await dial(plain);
  try {
    const pending = conn.exchange(spec(plain, "GET", "/delay?ms=100"));
    await new Promise((w) => setTimeout(w, 30));
    for (const s of plain.sessions) s.goaway();
    const r = await pending;
    assert.equal(new TextDecoder().decode((await readAll(r.body!)).body), "late");
    await new Promise((w) => setTimeout(w, 20));
    assert.equal(conn.closed, true);
    assert.equal(conn.socket.closed, true, "the drained connection closed its socket");
  } finally {
    conn.destroy();
  }
});
