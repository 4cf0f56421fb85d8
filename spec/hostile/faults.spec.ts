// Network faults at every stage of a response: resets (RST) and closes (FIN) during connect,
// head, body and between chunks, silent and slow servers, a TLS server that never shakes
// hands. Each ends in the right error code within its bound, and leaves the pool healthy:
// nothing checked out, and the next request on it succeeds.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import type * as net from "node:net";
import { get, request, Pool } from "../../lib/index.ts";
import type { AsyncStream, HansomError } from "../../lib/index.ts";
import {
  bytes,
  hansomRejection,
  ok,
  pattern,
  rawServer,
  readRequests,
  reset,
  scriptedServer,
  settled,
  sleep,
  within,
} from "./harness.ts";
import type { RawServer, Reply } from "./harness.ts";

const servers: RawServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

/** A server whose first connection runs `fault`; later ones answer ok(). */
async function faulty(fault: Reply): Promise<RawServer> {
  const srv = await scriptedServer((conn) => (conn === 0 ? fault : ok()));
  servers.push(srv);
  return srv;
}

/** After a fault: nothing left checked out, and the pool serves the next request on a new socket. */
async function assertHealthy(srv: RawServer, pool: Pool): Promise<void> {
  await settled(pool);
  const res = await within(get(`${srv.url}/`, { pool }), 5000, "the request after the fault");
  assert.equal(await within(res.text(), 5000, "the body after the fault"), "good");
  await settled(pool);
}

/** Runs one request against a fault; returns its error (from the head or the body read). */
async function faultError(srv: RawServer, pool: Pool, opts: { recvTimeout?: number } = {}): Promise<HansomError> {
  return hansomRejection(
    get(`${srv.url}/`, { pool, recvTimeout: opts.recvTimeout ?? 3000 }).then((r) => r.bytes()),
    8000,
  );
}

const BODY = pattern(1, 30_000);
const later = (ms: number, f: () => void): void => void setTimeout(f, ms);

const RESETS: Array<[string, (s: net.Socket) => void]> = [
  [
    "during the head",
    (s) => {
      s.write(bytes("HTTP/1.1 200 OK\r\nContent-Le"));
      later(30, () => reset(s));
    },
  ],
  [
    "mid-body (Content-Length)",
    (s) => {
      s.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"));
      s.write(BODY);
      later(30, () => reset(s));
    },
  ],
  [
    "mid-body (chunked, inside a chunk)",
    (s) => {
      s.write(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ngood\r\n100\r\nabc"));
      later(30, () => reset(s));
    },
  ],
  [
    "between chunks",
    (s) => {
      s.write(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ngood\r\n"));
      later(30, () => reset(s));
    },
  ],
];

test("faults - reset during connect (accept, then RST) is econnreset; pool healthy", async () => {
  const srv = await rawServer((s, i) => {
    if (i === 0) return reset(s);
    readRequests(s, () => s.write(bytes(ok())));
  });
  servers.push(srv);
  const pool = new Pool();
  try {
    const e = await faultError(srv, pool);
    assert.equal(e.code, "econnreset", `${e.code}: ${e.message}`);
    await assertHealthy(srv, pool);
  } finally {
    await pool.close();
  }
});

for (const [when, fault] of RESETS) {
  test(`faults - reset ${when} is econnreset; pool healthy`, async () => {
    const srv = await faulty(fault);
    const pool = new Pool();
    try {
      const e = await faultError(srv, pool);
      assert.equal(e.code, "econnreset", `${e.code}: ${e.message}`);
      await assertHealthy(srv, pool);
    } finally {
      await pool.close();
    }
  });
}

test("faults - FIN in the head is closed; pool healthy", async () => {
  const srv = await faulty((s) => s.end(bytes("HTTP/1.1 200 OK\r\nContent-Length: 4\r\nX-")));
  const pool = new Pool();
  try {
    const e = await faultError(srv, pool);
    assert.equal(e.code, "closed", `${e.code}: ${e.message}`);
    await assertHealthy(srv, pool);
  } finally {
    await pool.close();
  }
});

/** The ways of reading a body that must all report the same partialBody. */
const READS: Array<[string, (url: string, pool: Pool) => Promise<unknown>]> = [
  ["bytes()", (url, pool) => get(url, { pool }).then((r) => r.bytes())],
  ["withBody", (url, pool) => get(url, { pool, withBody: true })],
  [
    "for await",
    async (url, pool) => {
      for await (const _ of await get(url, { pool }));
    },
  ],
  [
    "body.getReader()",
    async (url, pool) => {
      const reader = (await get(url, { pool })).body!.getReader();
      while (!(await reader.read()).done);
    },
  ],
];

for (const [how, read] of READS) {
  test(`faults - FIN mid-body (Content-Length) is closed with partialBody = exactly the bytes sent, read by ${how}`, async () => {
    const srv = await faulty((s) => {
      s.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"));
      s.end(BODY);
    });
    const pool = new Pool();
    try {
      const e = await hansomRejection(read(`${srv.url}/`, pool), 8000);
      assert.equal(e.code, "closed", `${e.code}: ${e.message}`);
      assert.ok(e.partialBody, "partialBody is set");
      assert.equal(e.partialBody.length, BODY.length, "partialBody length");
      assert.ok(Buffer.from(e.partialBody).equals(Buffer.from(BODY)), "partialBody bytes");
      await assertHealthy(srv, pool);
    } finally {
      await pool.close();
    }
  });
}

test("faults - FIN mid-body read through stopAsync() is closed, never a short body that looks whole", async () => {
  const srv = await faulty((s) => {
    s.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"));
    s.end(BODY);
  });
  const pool = new Pool();
  try {
    const stream = (await request("GET", `${srv.url}/`, { pool, async: true })) as AsyncStream;
    assert.equal((await stream.next()).value?.type, "status");
    await sleep(100); // the FIN is in by now
    const res = await stream.stopAsync();
    const e = await hansomRejection(res.bytes(), 5000, "reading a truncated body after stopAsync()");
    assert.equal(e.code, "closed", `${e.code}: ${e.message}`);
    await assertHealthy(srv, pool);
  } finally {
    await pool.close();
  }
});

test("faults - FIN mid-body (chunked) is closed with partialBody = the decoded bytes sent", async () => {
  const srv = await faulty((s) =>
    s.end(bytes("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\ngood\r\n6\r\n-bytes\r\n20\r\npartial")),
  );
  const pool = new Pool();
  try {
    const e = await faultError(srv, pool);
    assert.equal(e.code, "closed", `${e.code}: ${e.message}`);
    assert.equal(Buffer.from(e.partialBody ?? []).toString("latin1"), "good-bytespartial");
    await assertHealthy(srv, pool);
  } finally {
    await pool.close();
  }
});

test("faults - a server that accepts and never answers is recv_timeout; pool healthy", async () => {
  const srv = await faulty(null);
  const pool = new Pool();
  try {
    const t0 = Date.now();
    const e = await faultError(srv, pool, { recvTimeout: 300 });
    const ms = Date.now() - t0;
    assert.equal(e.code, "recv_timeout", `${e.code}: ${e.message}`);
    assert.ok(ms >= 280 && ms < 2000, `recv_timeout after ${ms} ms (recvTimeout 300)`);
    await assertHealthy(srv, pool);
  } finally {
    await pool.close();
  }
});

test("faults - a server that stops mid-body is recv_timeout with the body read started", async () => {
  const srv = await faulty((s) => s.write(bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")));
  const pool = new Pool();
  try {
    const e = await faultError(srv, pool, { recvTimeout: 300 });
    assert.equal(e.code, "recv_timeout", `${e.code}: ${e.message}`);
    await assertHealthy(srv, pool);
  } finally {
    await pool.close();
  }
});

test("faults - one byte every 200 ms under recvTimeout 500 succeeds", async () => {
  const head = "HTTP/1.1 200 OK\r\nContent-Length: 8\r\n\r\n";
  const srv = await faulty((s) => {
    // The head in three slow pieces, then the body one byte at a time.
    const pieces = [head.slice(0, 5), head.slice(5, 20), head.slice(20), ..."12345678"];
    let i = 0;
    const tick = (): void => {
      if (s.destroyed || i === pieces.length) return;
      s.write(bytes(pieces[i++]!));
      setTimeout(tick, 200);
    };
    tick();
  });
  const pool = new Pool();
  try {
    const res = await within(get(`${srv.url}/`, { pool, recvTimeout: 500 }), 5000, "a slow head");
    assert.equal(await within(res.text(), 5000, "a slow body"), "12345678");
    await settled(pool);
  } finally {
    await pool.close();
  }
});

test("faults - a TLS server that never completes the handshake is connect_timeout", async () => {
  const srv = await rawServer(() => {}); // takes the ClientHello, says nothing
  servers.push(srv);
  const pool = new Pool();
  try {
    const t0 = Date.now();
    const e = await hansomRejection(
      get(`https://127.0.0.1:${srv.port}/`, { pool, connectTimeout: 500, recvTimeout: 5000 }),
      6000,
    );
    const ms = Date.now() - t0;
    assert.equal(e.code, "connect_timeout", `${e.code}: ${e.message}`);
    assert.ok(ms >= 450 && ms < 3000, `connect_timeout after ${ms} ms (connectTimeout 500)`);
    await settled(pool);
  } finally {
    await pool.close();
  }
});

test("faults - a connection that is refused is econnrefused; pool healthy after", async () => {
  const srv = await rawServer(() => {});
  const port = srv.port;
  await srv.close();
  const pool = new Pool();
  try {
    const e = await hansomRejection(get(`http://127.0.0.1:${port}/`, { pool }), 5000);
    assert.equal(e.code, "econnrefused", `${e.code}: ${e.message}`);
    assert.deepEqual(pool.stats(), { inUse: 0, free: 0, queued: 0, maxConnections: 50 });
  } finally {
    await pool.close();
  }
});
