// Responses through a real loopback socket: valid ones (written in random splits) arrive
// exactly as sent; random and mutated bytes end in a readable Response or a HansomError, never
// another exception, an unhandled rejection, a hang, a leaked connection or runaway memory.
// Seeded (HOSTILE_SEED replays a failure); the seed is printed when one fails.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import type * as net from "node:net";
import { setImmediate } from "node:timers";
import fc from "fast-check";
import { get, HansomError, Pool } from "../../lib/index.ts";
import type { Response } from "../../lib/index.ts";
import { latin1, noUnhandled, rawServer, readRequests, rss, settled, sleep, within } from "./harness.ts";
import type { RawServer } from "./harness.ts";
import { check, expectedHeaders, expectedKeepAlive, responseModel, runSeed, wire } from "./responses.ts";

const SEED = runSeed();
const servers: RawServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

/** What the server does with the socket of the current case. */
let script: (s: net.Socket) => void = (s) => s.destroy();
const srv = await rawServer((s) => script(s));
servers.push(srv);

/** Writes `b` in pieces cut at `cuts` (a tick apart), then optionally ends the socket. */
async function writeSplit(s: net.Socket, b: Uint8Array, cuts: number[], end: boolean): Promise<void> {
  s.setNoDelay(true);
  const at = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
  let prev = 0;
  for (const a of [...at, b.length]) {
    if (s.destroyed) return;
    if (a > prev) s.write(b.subarray(prev, a));
    prev = a;
    await new Promise((r) => setImmediate(r));
  }
  if (end && !s.destroyed) s.end();
}

/** Reads a body one of the ways there are (they must all behave). */
async function readBody(res: Response, way: number): Promise<Uint8Array> {
  if (way === 0 || !res.body) return res.bytes();
  const parts: Uint8Array[] = [];
  if (way === 1) {
    for await (const c of res) parts.push(c);
  } else {
    const reader = res.body.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  }
  return Buffer.concat(parts);
}

test("fuzz socket - valid responses in random write splits arrive exactly, keep-alive reused", async () => {
  await check(
    "valid responses through a socket",
    SEED,
    fc.asyncProperty(
      responseModel,
      fc.array(fc.nat(), { maxLength: 10 }),
      fc.integer({ min: 0, max: 2 }),
      async (m, cuts, way) => {
        const bytes = wire(m);
        script = (s) => {
          readRequests(s, () => void writeSplit(s, bytes, cuts, m.framing === "close"));
        };
        const pool = new Pool({ maxConnections: 2 });
        const before = srv.accepted;
        try {
          for (let round = 0; round < 2; round++) {
            const res = await within(get(`${srv.url}/`, { pool, recvTimeout: 3000 }), 8000, "a valid response");
            assert.equal(res.status, m.status);
            assert.equal(res.statusText, m.reason);
            assert.equal(res.httpVersion, m.minor === 0 ? "1.0" : "1.1");
            assert.deepEqual(res.rawHeaders, expectedHeaders(m));
            const body = await within(readBody(res, way), 8000, "a valid body");
            assert.equal(body.length, m.body.length, "body length");
            assert.ok(Buffer.from(body).equals(Buffer.from(m.body)), "body bytes");
            assert.deepEqual(res.trailers ?? [], m.trailers);
            await settled(pool);
          }
          const keepAlive = expectedKeepAlive(m);
          assert.equal(
            srv.accepted - before,
            keepAlive ? 1 : 2,
            `sockets opened for two requests (keep-alive ${keepAlive})`,
          );
        } finally {
          await pool.close();
        }
      },
    ),
    30,
  );
});

type Mutation =
  | { kind: "flip"; at: number; bit: number }
  | { kind: "insert"; at: number; bytes: Uint8Array }
  | { kind: "delete"; at: number; len: number }
  | { kind: "dup"; at: number; len: number }
  | { kind: "special"; at: number; byte: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant("insert" as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant("delete" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant("dup" as const), at: fc.nat(), len: fc.integer({ min: 1, max: 64 }) }),
  // Bytes that matter to the framing: CR, LF, NUL, SP, HTAB, ':', ';', ',', '-', '+', digits, hex.
  fc.record({
    kind: fc.constant("special" as const),
    at: fc.nat(),
    byte: fc.constantFrom(13, 10, 0, 32, 9, 58, 59, 44, 45, 43, 48, 57, 102, 70, 120, 127, 255),
  }),
);

function mutate(b: Uint8Array, ms: Mutation[]): Uint8Array {
  let out = Buffer.from(b);
  for (const m of ms) {
    const at = out.length === 0 ? 0 : m.at % out.length;
    if (m.kind === "flip") {
      if (out.length) out[at] = out[at]! ^ (1 << m.bit);
    } else if (m.kind === "insert") out = Buffer.concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
    else if (m.kind === "delete") out = Buffer.concat([out.subarray(0, at), out.subarray(at + m.len)]);
    else if (m.kind === "dup")
      out = Buffer.concat([out.subarray(0, at + m.len), out.subarray(at, at + m.len), out.subarray(at + m.len)]);
    else if (out.length) out[at] = m.byte;
  }
  return out;
}

/** Hostile inputs: mutated valid responses, random bytes, and random bytes after a status line. */
const hostileBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(responseModel, fc.array(mutation, { minLength: 1, maxLength: 6 }))
      .map(([m, ms]) => mutate(wire(m), ms)),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 3000 }) },
  {
    weight: 2,
    arbitrary: fc.uint8Array({ maxLength: 800 }).map((r) => Buffer.concat([Buffer.from("HTTP/1.1 200 OK\r\n"), r])),
  },
  {
    weight: 1,
    arbitrary: fc
      .uint8Array({ maxLength: 400 })
      .map((r) => Buffer.concat([Buffer.from("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"), r])),
  },
);

test("fuzz socket - random and mutated bytes end in a Response or a HansomError, nothing else", async () => {
  const rss0 = rss();
  const outcomes = new Map<string, number>();
  await noUnhandled(() =>
    check(
      "hostile bytes through a socket",
      SEED,
      fc.asyncProperty(
        hostileBytes,
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.integer({ min: 0, max: 2 }),
        fc.boolean(),
        async (b, cuts, way, early) => {
          // early: the bytes go out as soon as the socket is accepted, before the request is read.
          script = (s) => {
            if (early) void writeSplit(s, b, cuts, true);
            else readRequests(s, () => void writeSplit(s, b, cuts, true));
          };
          const pool = new Pool({ maxConnections: 2 });
          let outcome = "";
          try {
            const res = await within(
              get(`${srv.url}/`, { pool, recvTimeout: 2000 }),
              6000,
              `a request answered with ${JSON.stringify(latin1(b).slice(0, 200))}`,
            );
            await within(readBody(res, way), 6000, `the body of ${JSON.stringify(latin1(b).slice(0, 200))}`);
            outcome = "response";
          } catch (e) {
            if (!(e instanceof HansomError)) {
              throw new Error(
                `not a HansomError for ${JSON.stringify(latin1(b).slice(0, 300))}: ${e instanceof Error ? e.stack : String(e)}`,
              );
            }
            outcome = e.code;
          } finally {
            await settled(pool);
            await pool.close();
          }
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        },
      ),
      300,
    ),
  );
  // The client must have closed or released every socket: the server sees none left open.
  const until = Date.now() + 3000;
  while (srv.open() > 0 && Date.now() < until) await sleep(20);
  assert.equal(srv.open(), 0, "sockets the client left open");
  const grown = rss() - rss0;
  assert.ok(grown < 256 * 1024 * 1024, `RSS grew ${(grown / 1048576).toFixed(0)} MiB over the fuzz run`);
  console.log(`fuzz socket outcomes (seed ${SEED}): ${JSON.stringify(Object.fromEntries(outcomes))}`);
});
