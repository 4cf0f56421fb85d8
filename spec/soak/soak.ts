// Soak: many requests through one Pool against a loopback server that resets, stalls, closes
// keep-alive sockets right after answering, and sends sized or chunked bodies. Every response
// body and every request body is checked against its FNV-1a checksum, incrementally.
//
//   npm run soak          Node 20 (compiled: dist/spec/soak/soak.js)
//   npm run soak:deno     deno run -A spec/soak/soak.ts
//   npm run soak:bun      bun spec/soak/soak.ts
//   SOAK_REQUESTS=20000 (default 200000), SOAK_CONCURRENCY=64, SOAK_SEED=<n> to replay.
//
// Exits 1 if a body is wrong, a request without an injected fault fails (other than a
// non-idempotent POST on a socket the server had just closed), a faulted one succeeds, a
// request outlives its deadline, a socket is left open on either side, or RSS keeps growing.
import { request, Pool } from "../../lib/index.ts";
import type { HansomError } from "../../lib/index.ts";
import { Fnv, SOURCE, rng } from "./bytes.ts";
import { startServer } from "./server.ts";
import { gcForced, reading } from "./memory.ts";
import type { Reading } from "./memory.ts";
import type { Fault } from "./server.ts";

const TOTAL = Number(process.env.SOAK_REQUESTS ?? 200_000);
const CONCURRENCY = Number(process.env.SOAK_CONCURRENCY ?? 64);
const SEED = Number(process.env.SOAK_SEED ?? Date.now() % 0x7fffffff);
const DEADLINE = 30_000;
const MiB = 1024 * 1024;

const random = rng(SEED);

/** Body sizes: mostly small, a tail up to 4 MiB. */
function size(): number {
  const r = random();
  if (r < 0.15) return 0;
  if (r < 0.75) return Math.floor(random() * 1024);
  if (r < 0.95) return 1024 + Math.floor(random() * 63 * 1024);
  if (r < 0.99) return 64 * 1024 + Math.floor(random() * 448 * 1024);
  return 512 * 1024 + Math.floor(random() * 3.5 * MiB);
}

/** Faults, about one request in eight. */
function fault(): Fault {
  const r = random();
  if (r < 0.875) return "none";
  const faults: Fault[] = [
    "reset-head",
    "reset-body",
    "stall",
    "close-after",
    "close-after",
    "conn-close",
    "silent",
    "bad",
  ];
  return faults[Math.floor(random() * faults.length)]!;
}

/** Codes each fault may end in (a fault that cannot fail has none). */
const EXPECTED: Record<Fault, string[]> = {
  none: [],
  "reset-head": ["econnreset", "closed"],
  "reset-body": ["econnreset", "closed"],
  stall: [],
  "close-after": [],
  "conn-close": [],
  silent: ["recv_timeout"],
  bad: ["bad_response"],
};

const stats = {
  done: 0,
  ok: 0,
  errors: new Map<string, number>(),
  wrongBodies: [] as string[],
  unexpected: [] as string[],
  hangs: 0,
  bytesVerified: 0,
  staleNonIdempotent: 0,
};

const memory: { start: number; peak: number; warm: Reading | null; mid: Reading | null; end: Reading | null } = {
  start: 0,
  peak: 0,
  warm: null,
  mid: null,
  end: null,
};
const rss = (): number => process.memoryUsage().rss;

function note(list: string[], what: string): void {
  if (list.length < 20) list.push(what);
  else list.length++;
}

async function one(base: string, pool: Pool, id: number): Promise<void> {
  const post = random() < 0.4;
  const f = fault();
  const respSize = f === "reset-body" || f === "stall" ? Math.max(size(), 2048) : size();
  const respOff = Math.floor(random() * (SOURCE.length - respSize));
  const frame = random() < 0.5 ? "chunked" : "length";
  const url = `${base}/?id=${id}&off=${respOff}&size=${respSize}&frame=${frame}&fault=${f}`;
  let body: Uint8Array | AsyncIterable<Uint8Array> | undefined;
  const headers: Array<[string, string]> = [];
  if (post) {
    const n = size();
    const off = Math.floor(random() * (SOURCE.length - n));
    const bytes = SOURCE.subarray(off, off + n);
    headers.push(["x-sum", String(new Fnv().update(bytes).h)], ["x-len", String(n)]);
    // Half the uploads stream (chunked), half have a known length.
    body =
      random() < 0.5
        ? bytes
        : (async function* () {
            for (let i = 0; i < n; i += 100_000) yield bytes.subarray(i, i + 100_000);
          })();
  }
  const ac = new AbortController();
  let hung = false;
  const timer = setTimeout(() => {
    hung = true;
    ac.abort();
  }, DEADLINE);
  try {
    const res = await request(post ? "POST" : "GET", url, {
      pool,
      body,
      headers,
      signal: ac.signal,
      recvTimeout: f === "silent" ? 300 : 5000,
    });
    if (res.headers.get("x-id") !== String(id))
      note(stats.wrongBodies, `request ${id} got the response of ${res.headers.get("x-id")}`);
    if (post && res.headers.get("x-body") !== "ok")
      note(stats.wrongBodies, `request ${id}: the server got a wrong request body`);
    const got = new Fnv();
    for await (const c of res) got.update(c);
    const want = new Fnv().update(SOURCE.subarray(respOff, respOff + respSize));
    if (got.n !== want.n || got.h !== want.h) {
      note(
        stats.wrongBodies,
        `request ${id} (${frame}, fault ${f}): ${got.n} bytes sum ${got.h}, expected ${want.n} bytes sum ${want.h}`,
      );
    } else {
      stats.bytesVerified += got.n + (post ? Number(headers[1]![1]) : 0);
    }
    if (EXPECTED[f].length > 0) note(stats.unexpected, `request ${id} with fault ${f} succeeded`);
    stats.ok++;
  } catch (e) {
    const err = e as HansomError;
    const code = hung ? "deadline" : (err.code ?? `not a HansomError: ${String(e)}`);
    stats.errors.set(code, (stats.errors.get(code) ?? 0) + 1);
    if (hung) stats.hangs++;
    else if (!EXPECTED[f].includes(code)) {
      // A POST is not retried on a reused socket that the server closed (the pool's retry rule).
      if (post && (code === "closed" || code === "econnreset") && /not idempotent/.test(err.message))
        stats.staleNonIdempotent++;
      else note(stats.unexpected, `request ${id} (${post ? "POST" : "GET"}, fault ${f}): ${code}: ${err.message}`);
    }
  } finally {
    clearTimeout(timer);
    stats.done++;
  }
}

async function main(): Promise<number> {
  const runtime =
    typeof (globalThis as { Deno?: unknown }).Deno !== "undefined"
      ? "deno"
      : typeof (globalThis as { Bun?: unknown }).Bun !== "undefined"
        ? "bun"
        : `node ${process.version}`;
  console.log(`soak: ${TOTAL} requests, concurrency ${CONCURRENCY}, seed ${SEED} (SOAK_SEED to replay), ${runtime}`);
  const server = await startServer();
  const base = `http://127.0.0.1:${server.port}`;
  const pool = new Pool({ maxConnections: Math.max(1, Math.floor(CONCURRENCY / 2)) });
  memory.start = memory.peak = rss();
  const t0 = Date.now();
  const sampler = setInterval(() => {
    memory.peak = Math.max(memory.peak, rss());
  }, 100);
  const progress = setInterval(() => {
    console.log(
      `  ${stats.done}/${TOTAL} in ${((Date.now() - t0) / 1000).toFixed(0)} s, rss ${(rss() / MiB).toFixed(0)} MiB, pool ${JSON.stringify(pool.stats())}`,
    );
  }, 5000);
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < TOTAL) {
        const id = next++;
        await one(base, pool, id);
        if (id === Math.floor(TOTAL / 10)) memory.warm = reading();
        if (id === Math.floor(TOTAL / 2)) memory.mid = reading();
      }
    }),
  );
  clearInterval(progress);
  clearInterval(sampler);
  const seconds = (Date.now() - t0) / 1000;
  const poolAtEnd = pool.stats();
  await pool.close();
  const until = Date.now() + 3000;
  while (server.open() > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  const serverOpen = server.open();
  memory.end = reading();
  await server.close();

  const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;
  console.log(
    `requests: ${stats.done} in ${seconds.toFixed(1)} s (${(stats.done / seconds).toFixed(0)}/s), ${stats.ok} ok`,
  );
  console.log(`errors by code: ${JSON.stringify(Object.fromEntries([...stats.errors].sort()))}`);
  console.log(`POSTs not retried on a socket the server closed: ${stats.staleNonIdempotent}`);
  console.log(`bytes verified: ${stats.bytesVerified} (${mib(stats.bytesVerified)})`);
  const warm = memory.warm ?? reading();
  const mid = memory.mid ?? warm;
  const end = memory.end;
  const at = (r: Reading): string => `rss ${mib(r.rss)} heap ${mib(r.heap)} buffers ${mib(r.buffers)}`;
  console.log(
    `rss: start ${mib(memory.start)}, peak ${mib(memory.peak)}; ${gcForced ? "after a forced GC" : "no forced GC on this runtime"}: after warm-up (10%) ${at(warm)}, at 50% ${at(mid)}, end ${at(end)}`,
  );
  console.log(
    `sockets at the end: client pool ${JSON.stringify(poolAtEnd)} (then closed), server open ${serverOpen}, server accepted ${server.accepted}`,
  );
  console.log(`server: request bodies wrong ${server.badBodies}, requests unparsable ${server.badRequests}`);

  const failures: string[] = [];
  if (stats.wrongBodies.length)
    failures.push(`${stats.wrongBodies.length} wrong bodies:\n    ${stats.wrongBodies.filter(Boolean).join("\n    ")}`);
  if (server.badBodies || server.badRequests)
    failures.push(
      `the server got ${server.badBodies} wrong request bodies and ${server.badRequests} unparsable requests`,
    );
  if (stats.unexpected.length)
    failures.push(
      `${stats.unexpected.length} unexpected outcomes:\n    ${stats.unexpected.filter(Boolean).join("\n    ")}`,
    );
  if (stats.hangs) failures.push(`${stats.hangs} requests outlived their ${DEADLINE} ms deadline`);
  if (poolAtEnd.inUse !== 0 || poolAtEnd.queued !== 0)
    failures.push(
      `the pool still had ${poolAtEnd.inUse} in use and ${poolAtEnd.queued} queued after every request ended`,
    );
  if (serverOpen !== 0) failures.push(`${serverOpen} sockets still open on the server after pool.close()`);
  // Unbounded growth: past warm-up, memory may wobble with GC, not climb in both halves of the
  // run (a per-request leak), nor by hundreds of MiB overall.
  const climbs = (a: Reading, b: Reading): boolean =>
    b.heap - a.heap > 32 * MiB || b.buffers - a.buffers > 64 * MiB || b.rss - a.rss > 96 * MiB;
  if (climbs(warm, mid) && climbs(mid, end))
    failures.push(`memory climbs through the run: ${at(warm)} after warm-up, ${at(mid)} at 50%, ${at(end)} at the end`);
  if (end.rss - warm.rss > 256 * MiB || memory.peak - warm.rss > 768 * MiB)
    failures.push(`RSS grew from ${mib(warm.rss)} after warm-up to ${mib(end.rss)} (peak ${mib(memory.peak)})`);
  if (failures.length) {
    console.log(`SOAK FAILED (seed ${SEED}):\n  ${failures.join("\n  ")}`);
    return 1;
  }
  console.log("soak passed");
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error("soak crashed:", e);
    process.exit(1);
  },
);
