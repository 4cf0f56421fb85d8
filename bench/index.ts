// hansom beside its peers, in one run, against one loopback server in a separate process.
//   Node:  npm run bench            (node dist/bench/index.js)
//   Deno:  deno run -A bench/index.ts
//   Bun:   bun bench/index.ts
// On Node the peers are undici.request (the baseline of every ratio), undici.fetch, node:http,
// Node's fetch and @whatwg-node/fetch; on Deno and Bun, the runtime's own fetch (the baseline).
// A rate alone says little on a shared machine; the ratio measured in the same run does
// (STYLE.md §10). Every call checks its status and byte count, so a fast wrong answer fails.
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { measure } from "mitata";
import { globalFetchPeer, hansomPeer, MAX_CONNECTIONS, nodePeers } from "./peers.ts";
import type { Peer } from "./peers.ts";

const MiB = 1 << 20;
const SMALL_LENGTH = 30;
const CONCURRENCY = 32;
const DOWNLOAD_BYTES = 256 * MiB;
const UPLOAD_BYTES = 64 * MiB;
/** Measurements per peer and scenario, after one untimed warm-up. BENCH_ROUNDS=3 for a quick look. */
const ROUNDS = Math.max(1, Number(process.env["BENCH_ROUNDS"]) || 7);
/** Milliseconds of small requests per measurement. */
const SLICE_MS = 300;

type Runtime = "node" | "deno" | "bun";
const runtime: Runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

interface Server {
  origin: string;
  stop(): void;
}

/** Starts bench/server in a child process of this same runtime and waits for its port. */
async function startServer(): Promise<Server> {
  // Run from dist/ (compiled .js) or from source (.ts on Deno and Bun): take the sibling.
  const ext = import.meta.url.endsWith(".ts") ? "ts" : "js";
  const script = fileURLToPath(new URL(`./server.${ext}`, import.meta.url));
  const args = runtime === "deno" ? ["run", "-A", script] : [script];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ["pipe", "pipe", "inherit"] });
  const port = await new Promise<number>((resolve, reject) => {
    let out = "";
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`bench server exited early (code ${code})`)));
    child.stdout?.setEncoding("utf8");
    child.stdout?.on("data", (s: string) => {
      out += s;
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(Number(out.slice(0, nl)));
    });
  });
  child.removeAllListeners("exit");
  return {
    origin: `http://127.0.0.1:${port}`,
    stop() {
      child.stdin?.end(); // the server exits when its stdin closes
      child.kill();
    },
  };
}

function check(what: string, got: number | string, want: number | string): void {
  if (got !== want) throw new Error(`${what}: got ${got}, expected ${want}`);
}

/** One pass over every scenario with small sizes, so a broken peer fails before timing. */
async function verify(peers: Peer[], origin: string, upload: Uint8Array<ArrayBuffer>): Promise<void> {
  for (const p of peers) {
    check(`${p.name} small GET`, await p.getAll(`${origin}/small`), SMALL_LENGTH);
    check(`${p.name} download`, await p.download(`${origin}/download?bytes=${3 * MiB + 7}`), 3 * MiB + 7);
    check(`${p.name} upload`, await p.upload(`${origin}/upload`, upload.subarray(0, MiB + 3)), String(MiB + 3));
  }
}

/** One measurement: a rate, and the client's own CPU time (user + system) per unit of work. */
interface Sample {
  rate: number;
  cpu: number;
}

/** What one scenario measured: per peer, medians over the rounds. */
interface Result {
  unit: string;
  cpuUnit: string;
  rates: Map<string, number>;
  /** Rate over the baseline's rate in the same round. */
  ratios: Map<string, number>;
  cpu: Map<string, number>;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Microseconds of CPU this process has used. The server is another process: this is the client alone. */
function cpuNow(): number {
  const u = process.cpuUsage();
  return u.user + u.system;
}

/**
 * Measures every peer ROUNDS times, taking the peers in turn within each round, so a slow
 * patch of a shared machine lands on all of them alike. The ratio is taken within each round
 * (peer / baseline, measured moments apart) and its median reported: steadier than a ratio of
 * medians when the machine's speed drifts. Each round starts one peer further on, so no peer
 * always runs right after the same other one and pays for its garbage (no forced GC between
 * samples: on V8 that flushes the bytecode of whoever is not running, and they pay again).
 */
async function scenario(title: string, unit: string, cpuUnit: string, peers: Peer[], baseline: string, warmups: number, sample: (p: Peer) => Promise<Sample>): Promise<Result> {
  console.log(`\n## ${title}`);
  // Warm-up: connections open, and the JIT done with every peer's hot path (a second or so on V8).
  for (const p of peers) for (let i = 0; i < warmups; i++) await sample(p);
  const rates = new Map<string, number[]>(peers.map((p) => [p.name, []]));
  const ratios = new Map<string, number[]>(peers.map((p) => [p.name, []]));
  const cpus = new Map<string, number[]>(peers.map((p) => [p.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    const round = new Map<string, Sample>();
    for (let i = 0; i < peers.length; i++) {
      const p = peers[(r + i) % peers.length]!;
      round.set(p.name, await sample(p));
    }
    const base = round.get(baseline)!.rate;
    for (const [name, s] of round) {
      rates.get(name)!.push(s.rate);
      ratios.get(name)!.push(s.rate / base);
      cpus.get(name)!.push(s.cpu);
    }
  }
  const result: Result = { unit, cpuUnit, rates: new Map(), ratios: new Map(), cpu: new Map() };
  for (const p of peers) {
    const xs = rates.get(p.name)!;
    const [rate, ratio, cpu] = [median(xs), median(ratios.get(p.name)!), median(cpus.get(p.name)!)];
    result.rates.set(p.name, rate);
    result.ratios.set(p.name, ratio);
    result.cpu.set(p.name, cpu);
    const range = `${fmt(Math.min(...xs))} .. ${fmt(Math.max(...xs))}`;
    console.log(`${p.name.padEnd(20)} ${fmt(rate).padStart(8)} ${unit}  ${ratio.toFixed(2)}x  (range ${range})  client CPU ${cpu.toFixed(1)} ${cpuUnit}`);
  }
  return result;
}

/** Small requests: one mitata measurement of SLICE_MS per sample; `perCall` requests per call. */
function requestRate(perCall: number, fn: (p: Peer) => Promise<void>): (p: Peer) => Promise<Sample> {
  return async (p) => {
    let calls = 0;
    const cpu0 = cpuNow();
    const stats = await measure(() => (calls++, fn(p)), { min_cpu_time: SLICE_MS * 1e6, min_samples: 8, warmup_samples: 1 });
    const cpu = (cpuNow() - cpu0) / (calls * perCall);
    return { rate: (perCall * 1e9) / stats.avg, cpu }; // avg, not p50: throughput is requests over time
  };
}

/** Bulk transfers: one timed transfer of `bytes` per sample, in MiB/s. */
function transferRate(bytes: number, fn: (p: Peer) => Promise<void>): (p: Peer) => Promise<Sample> {
  return async (p) => {
    const cpu0 = cpuNow();
    const t0 = performance.now();
    await fn(p);
    const seconds = (performance.now() - t0) / 1000;
    return { rate: bytes / MiB / seconds, cpu: (cpuNow() - cpu0) / (bytes / MiB) };
  };
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

function table(peers: Peer[], columns: Array<{ title: string; result: Result }>, cell: (name: string, r: Result) => string): string {
  const rows = [["", ...columns.map((c) => c.title)]];
  for (const p of peers) rows.push([p.name, ...columns.map((c) => cell(p.name, c.result))]);
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const line = (r: string[]): string => r.map((s, i) => (i === 0 ? s.padEnd(widths[i]!) : s.padStart(widths[i]!))).join("  ");
  return [line(rows[0]!), widths.map((w) => "-".repeat(w)).join("  "), ...rows.slice(1).map(line)].join("\n");
}

async function main(): Promise<void> {
  const server = await startServer();
  const { origin } = server;
  const peers: Peer[] = [hansomPeer()];
  let baseline: string;
  if (runtime === "node") {
    peers.push(...(await nodePeers()));
    baseline = "undici.request";
  } else {
    baseline = `${runtime} fetch`;
    peers.push(globalFetchPeer(baseline));
  }
  // BENCH_PEERS=hansom,undici.request narrows the run (the baseline always stays).
  const only = process.env["BENCH_PEERS"]?.split(",");
  if (only) peers.splice(0, peers.length, ...peers.filter((p) => p.name === baseline || only.includes(p.name)));
  const version = runtime === "node" ? `Node ${process.version}` : runtime === "deno" ? `Deno ${process.versions["deno"]}` : `Bun ${process.versions["bun"]}`;
  console.log(`hansom bench: ${version}, server ${origin} (child process), max ${MAX_CONNECTIONS} connections per client; ratios are to ${baseline}`);

  const uploadBody = new Uint8Array(UPLOAD_BYTES).fill(0x62);
  try {
    await verify(peers, origin, uploadBody);

    const small = `${origin}/small`;
    const getOne = async (p: Peer): Promise<void> => check(`${p.name} small GET`, await p.getAll(small), SMALL_LENGTH);
    const seq = await scenario("1. sequential small GETs, keep-alive", "req/s", "us/req", peers, baseline, 3, requestRate(1, getOne));
    const conc = await scenario(`2. ${CONCURRENCY} concurrent small GETs`, "req/s", "us/req", peers, baseline, 3, requestRate(CONCURRENCY, async (p) => {
      await Promise.all(Array.from({ length: CONCURRENCY }, () => getOne(p)));
    }));
    const big = `${origin}/download?bytes=${DOWNLOAD_BYTES}`;
    const down = await scenario("3. 256 MiB download, streamed and counted", "MiB/s", "us/MiB", peers, baseline, 1, transferRate(DOWNLOAD_BYTES, async (p) => {
      check(`${p.name} download`, await p.download(big), DOWNLOAD_BYTES);
    }));
    const up = await scenario("4. 64 MiB upload, Uint8Array body", "MiB/s", "us/MiB", peers, baseline, 1, transferRate(UPLOAD_BYTES, async (p) => {
      check(`${p.name} upload`, await p.upload(`${origin}/upload`, uploadBody), String(UPLOAD_BYTES));
    }));

    const columns = [
      { title: "1. sequential GET", result: seq },
      { title: `2. ${CONCURRENCY} concurrent GET`, result: conc },
      { title: "3. 256 MiB download", result: down },
      { title: "4. 64 MiB upload", result: up },
    ];
    console.log(`\n## Summary: ${version}, median of ${ROUNDS} rounds (ratio to ${baseline} within each round; higher is better)\n`);
    console.log(table(peers, columns, (name, r) => `${fmt(r.rates.get(name) ?? 0)} ${r.unit} (${(r.ratios.get(name) ?? 0).toFixed(2)}x)`));
    console.log(`\nClient CPU (user + system) per request or per MiB, the server excluded (ratio to ${baseline}; lower is better)\n`);
    console.log(
      table(peers, columns, (name, r) => {
        const cpu = r.cpu.get(name) ?? 0;
        return `${cpu.toFixed(1)} ${r.cpuUnit} (${(cpu / (r.cpu.get(baseline) ?? 1)).toFixed(2)}x)`;
      }),
    );
  } finally {
    await Promise.all(peers.map((p) => p.close()));
    server.stop();
  }
}

await main();
