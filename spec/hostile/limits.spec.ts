// Limits hold however the body is read: maxBody (and maxLength) is body_too_large for every
// reader and every framing, with nothing left checked out; maxHeaderSize bounds heads and
// trailers; a slow consumer of a 1 GiB body keeps memory flat (backpressure reaches the socket).
import { test, after } from "node:test";
import assert from "node:assert/strict";
import type * as net from "node:net";
import { get, request, Pool } from "../../lib/index.ts";
import type { Response, ResponseEvent, AsyncStream } from "../../lib/index.ts";
import {
  bytes,
  gc,
  hansomRejection,
  ok,
  rawServer,
  readRequests,
  rss,
  scriptedServer,
  settled,
  sleep,
  within,
} from "./harness.ts";
import type { RawServer } from "./harness.ts";

const servers: RawServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const LIMIT = 50_000;
const BIG = "x".repeat(120_000);
const chunked = (body: string, size = 7000): string => {
  let s = "";
  for (let i = 0; i < body.length; i += size)
    s += `${Math.min(size, body.length - i).toString(16)}\r\n${body.slice(i, i + size)}\r\n`;
  return `${s}0\r\n\r\n`;
};
const MP = "multipart/form-data; boundary=XyZ";
const multipartBody = `--XyZ\r\nContent-Disposition: form-data; name="f"\r\n\r\n${BIG}\r\n--XyZ--\r\n`;

/** The same 120 KB JSON-ish body framed three ways. */
const FRAMINGS: Array<[string, (body: string, type?: string) => string, boolean]> = [
  [
    "Content-Length",
    (b, t = "application/json") => `HTTP/1.1 200 OK\r\nContent-Type: ${t}\r\nContent-Length: ${b.length}\r\n\r\n${b}`,
    false,
  ],
  [
    "chunked",
    (b, t = "application/json") =>
      `HTTP/1.1 200 OK\r\nContent-Type: ${t}\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(b)}`,
    false,
  ],
  ["close-delimited", (b, t = "application/json") => `HTTP/1.1 200 OK\r\nContent-Type: ${t}\r\n\r\n${b}`, true],
];

const json = `"${BIG}"`;

/** Every way of reading a body, each given the response promise's options. */
const READERS: Array<[string, (url: string, pool: Pool) => Promise<unknown>]> = [
  ["withBody", (url, pool) => get(url, { pool, maxBody: LIMIT, withBody: true })],
  ["bytes()", (url, pool) => get(url, { pool, maxBody: LIMIT }).then((r) => r.bytes())],
  ["text()", (url, pool) => get(url, { pool, maxBody: LIMIT }).then((r) => r.text())],
  ["json()", (url, pool) => get(url, { pool, maxBody: LIMIT }).then((r) => r.json())],
  ["arrayBuffer()", (url, pool) => get(url, { pool, maxBody: LIMIT }).then((r) => r.arrayBuffer())],
  [
    "for await",
    async (url, pool) => {
      for await (const _ of await get(url, { pool, maxBody: LIMIT }));
    },
  ],
  [
    "body.getReader()",
    async (url, pool) => {
      const reader = (await get(url, { pool, maxBody: LIMIT })).body!.getReader();
      while (!(await reader.read()).done);
    },
  ],
  [
    "body.pipeTo()",
    async (url, pool) => {
      await (await get(url, { pool, maxBody: LIMIT })).body!.pipeTo(new WritableStream());
    },
  ],
  [
    "bytes({ maxLength }) without maxBody",
    (url, pool) => get(url, { pool }).then((r) => r.bytes({ maxLength: LIMIT })),
  ],
  [
    "text({ maxLength }) under a larger maxBody",
    (url, pool) => get(url, { pool, maxBody: 10 * LIMIT }).then((r) => r.text({ maxLength: LIMIT })),
  ],
  ["json({ maxLength })", (url, pool) => get(url, { pool }).then((r) => r.json({ maxLength: LIMIT }))],
  ["arrayBuffer({ maxLength })", (url, pool) => get(url, { pool }).then((r) => r.arrayBuffer({ maxLength: LIMIT }))],
  [
    "async: true events",
    async (url, pool) => {
      const stream = (await request("GET", url, { pool, maxBody: LIMIT, async: true })) as AsyncStream;
      for await (const ev of stream) if (ev.type === "error") throw ev.error;
    },
  ],
  [
    'async: "once" with next()',
    async (url, pool) => {
      const stream = (await request("GET", url, { pool, maxBody: LIMIT, async: "once" })) as AsyncStream;
      for (let r = await stream.next(); !r.done; r = await stream.next())
        if (r.value.type === "error") throw r.value.error;
    },
  ],
  [
    "streamTo",
    async (url, pool) => {
      let failure: unknown = null;
      const sink = new WritableStream<ResponseEvent>({
        write(ev) {
          if (ev.type === "error") failure = ev.error;
        },
      });
      await request("GET", url, { pool, maxBody: LIMIT, streamTo: sink });
      const until = Date.now() + 5000;
      while (!failure && Date.now() < until) await sleep(10);
      if (failure) throw failure;
    },
  ],
  [
    "stopAsync() then bytes()",
    async (url, pool) => {
      const stream = (await request("GET", url, { pool, maxBody: LIMIT, async: true })) as AsyncStream;
      await stream.next(); // status
      const res: Response = await stream.stopAsync();
      await res.bytes();
    },
  ],
];

for (const [framing, frame, closes] of FRAMINGS) {
  for (const [how, read] of READERS) {
    test(`limits - maxBody holds for ${how} on a ${framing} body`, async () => {
      const srv = await scriptedServer((conn) =>
        conn === 0 ? (s: net.Socket) => (closes ? s.end(bytes(frame(json))) : s.write(bytes(frame(json)))) : ok(),
      );
      servers.push(srv);
      const pool = new Pool();
      try {
        const e = await hansomRejection(read(`${srv.url}/`, pool), 8000, `reading past maxBody with ${how}`);
        assert.equal(e.code, "body_too_large", `${e.code}: ${e.message}`);
        await settled(pool);
        assert.equal(
          await within(
            get(`${srv.url}/`, { pool }).then((r) => r.text()),
            5000,
            "the next request",
          ),
          "good",
        );
      } finally {
        await pool.close();
      }
    });
  }
  test(`limits - maxBody holds for multipart() on a ${framing} body`, async () => {
    const srv = await scriptedServer(
      () => (s: net.Socket) =>
        closes ? s.end(bytes(frame(multipartBody, MP))) : s.write(bytes(frame(multipartBody, MP))),
    );
    servers.push(srv);
    const pool = new Pool();
    try {
      const e = await hansomRejection(
        (async () => {
          const res = await get(`${srv.url}/`, { pool, maxBody: LIMIT });
          for await (const _ of res.multipart());
        })(),
        8000,
      );
      assert.equal(e.code, "body_too_large", `${e.code}: ${e.message}`);
      await settled(pool);
    } finally {
      await pool.close();
    }
  });
}

test("limits - a body of exactly maxBody bytes is read whole, one more byte is body_too_large", async () => {
  const srv = await scriptedServer((_c, i) => ok("y".repeat(i === 0 ? LIMIT : LIMIT + 1)));
  servers.push(srv);
  const pool = new Pool();
  try {
    assert.equal((await (await get(`${srv.url}/`, { pool, maxBody: LIMIT })).bytes()).length, LIMIT);
    const e = await hansomRejection(get(`${srv.url}/`, { pool, maxBody: LIMIT }).then((r) => r.bytes()));
    assert.equal(e.code, "body_too_large");
    await settled(pool);
  } finally {
    await pool.close();
  }
});

test("limits - skip() drains past maxBody (discarded bytes are not kept) and the socket is reused", async () => {
  const srv = await scriptedServer(() => ok(BIG));
  servers.push(srv);
  const pool = new Pool();
  try {
    await (await get(`${srv.url}/`, { pool, maxBody: LIMIT })).skip();
    await (await get(`${srv.url}/`, { pool, maxBody: LIMIT })).skip();
    assert.equal(srv.accepted, 1);
  } finally {
    await pool.close();
  }
});

const HEAD_8K = `HTTP/1.1 200 OK\r\nX-Pad: ${"p".repeat(8000)}\r\nContent-Length: 4\r\n\r\ngood`;
const HEAD_9K = `HTTP/1.1 200 OK\r\nX-Pad: ${"p".repeat(9000)}\r\nContent-Length: 4\r\n\r\ngood`;

test("limits - maxHeaderSize: a head under it is read, one over it is bad_response", async () => {
  const srv = await scriptedServer((conn) => (conn === 0 ? HEAD_8K : HEAD_9K));
  servers.push(srv);
  const pool = new Pool();
  try {
    assert.equal(await (await get(`${srv.url}/`, { pool, maxHeaderSize: 8192 })).text(), "good");
    await pool.close();
    const e = await hansomRejection(get(`${srv.url}/`, { pool, maxHeaderSize: 8192 }));
    assert.equal(e.code, "bad_response", e.message);
    assert.match(e.message, /maxHeaderSize/);
    await settled(pool);
  } finally {
    await pool.close();
  }
});

test("limits - maxHeaderSize bounds the trailer section too", async () => {
  const trailers = `X-T: ${"t".repeat(9000)}\r\n`;
  const srv = await scriptedServer(
    () => `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\ngood\r\n0\r\n${trailers}\r\n`,
  );
  servers.push(srv);
  const pool = new Pool();
  try {
    const e = await hansomRejection(get(`${srv.url}/`, { pool, maxHeaderSize: 8192 }).then((r) => r.text()));
    assert.equal(e.code, "bad_response", e.message);
    await settled(pool);
  } finally {
    await pool.close();
  }
});

test("limits - a slow consumer of a 1 GiB body stays under 64 MiB RSS growth", async () => {
  const GiB = 1024 * 1024 * 1024;
  const block = new Uint8Array(1024 * 1024).fill(97);
  let sent = 0;
  const srv = await rawServer((s) =>
    readRequests(s, () => {
      s.write(bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${GiB}\r\n\r\n`));
      const pump = (): void => {
        while (sent < GiB && !s.destroyed) {
          sent += block.length;
          if (!s.write(block)) return void s.once("drain", pump);
        }
      };
      pump();
    }),
  );
  servers.push(srv);
  const pool = new Pool();
  try {
    gc();
    const base = rss();
    // Live memory is what must stay flat: RSS is sampled right after a forced GC where the
    // runtime has one (Bun lets ~150 MiB of read buffers wait for a lazy GC otherwise).
    let peak = base;
    let lazyPeak = base;
    let ahead = 0;
    let got = 0;
    let n = 0;
    const res = await get(`${srv.url}/`, { pool, recvTimeout: 10_000 });
    await within(
      (async () => {
        for await (const c of res) {
          got += c.length;
          // Slow: a pause every 256 chunks, long enough for the socket to back up.
          if (++n % 256 === 0) {
            await sleep(1);
            lazyPeak = Math.max(lazyPeak, rss());
            ahead = Math.max(ahead, sent - got);
            gc();
            peak = Math.max(peak, rss());
          }
        }
      })(),
      80_000,
      "reading 1 GiB",
    );
    assert.equal(got, GiB);
    const grown = peak - base;
    const mib = (x: number): string => (x / 1048576).toFixed(1);
    assert.ok(
      grown < 64 * 1024 * 1024,
      `RSS grew ${mib(grown)} MiB reading 1 GiB slowly (${mib(lazyPeak - base)} MiB before GC; the server got ${mib(ahead)} MiB ahead of the reader)`,
    );
    await settled(pool);
  } finally {
    await pool.close();
  }
});
