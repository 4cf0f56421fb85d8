// The bench driver: hansom beside its peers, each client in its own process, as users compare
// clients. `npm run bench` (Node 20), `npm run bench:deno`, `npm run bench:bun`.
//   - one server process (bench/server.mjs, raw node:net, precomputed responses), always on
//     Node 20 (`node` on PATH, or BENCH_NODE), pinned to core 1 with taskset where it exists;
//     for the HTTP/2 workloads (H1, H2, run only when BENCH_WORKLOADS names them) a second one,
//     bench/server-h2.mjs (node:http2 over TLS, h2 only), pinned the same way;
//   - every measurement a fresh client process of the driver's own runtime, pinned to core 0,
//     which measures itself (rate, CPU per unit, peak RSS) and prints one JSON line;
//   - rounds interleaved: every client once per round, the order rotated each round, and each
//     ratio taken between results of the same round (a slow patch of a shared machine then
//     lands on all of them alike).
// Environment: BENCH_ROUNDS (default 3, or 1 with BENCH_QUICK), BENCH_PEERS and BENCH_WORKLOADS (comma lists; the
// reference and the raw limit always stay), BENCH_REGIMES (cold,steady,bulk), BENCH_QUICK=1
// (tiny counts: a smoke run of seconds). A full, unfiltered run also writes
// bench/results/latest-<runtime>.json and chart-<runtime>.svg.
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { detectRuntime, H2_PEERS, PEERS, RAW, REFERENCE } from "./peers/index.ts";
import { checkRawReader } from "./peers/raw-parse-check.ts";
import { caseTables, hansomSummary, preamble } from "./report.ts";
import type { Row, RunResults } from "./results.ts";
import { spread } from "./stats.ts";
import { renderChart } from "./svg.ts";
import { workloads } from "./workloads.ts";
import type { Regime } from "./workloads.ts";
import type { ClientResult, ClientSpec } from "./client.ts";

const runtime = detectRuntime();
const fromSource = import.meta.url.endsWith(".ts");
const here = fileURLToPath(new URL(".", import.meta.url));
// From dist/bench the plain-JS server and the results live in the source tree, two levels up.
const benchDir = fromSource ? here : fileURLToPath(new URL("../../bench/", import.meta.url));
const clientScript = `${here}client.${fromSource ? "ts" : "js"}`;
const resultsDir = `${benchDir}results/`;
/** A client process that takes longer than this is killed and counted as failed. */
const CLIENT_TIMEOUT_MS = 10 * 60_000;

const env = (name: string): string | undefined => process.env[name] || undefined;
const list = (name: string): string[] | undefined =>
  env(name)
    ?.split(",")
    .map((s) => s.trim())
    .filter(Boolean);
const QUICK = env("BENCH_QUICK") === "1";
// A smoke run needs one round; a measured one at least three for a median.
const ROUNDS = Math.max(1, Number(env("BENCH_ROUNDS")) || (QUICK ? 1 : 3));
// The server always runs on Node 20: this very binary when the driver is Node, else `node` on PATH.
const NODE = env("BENCH_NODE") ?? (detectRuntime() === "node" ? process.execPath : "node");
const hasTaskset = spawnSync("sh", ["-c", "command -v taskset"], { stdio: "ignore" }).status === 0;
const pin = (core: number, cmd: string[]): string[] => (hasTaskset ? ["taskset", "-c", String(core), ...cmd] : cmd);

function versionOf(): string {
  const g = globalThis as { Deno?: { version: { deno: string } }; Bun?: { version: string } };
  if (runtime === "deno") return `Deno ${g.Deno!.version.deno}`;
  if (runtime === "bun") return `Bun ${g.Bun!.version}`;
  return `Node ${process.version}`;
}

function cpuModel(): string {
  const r = spawnSync("sh", ["-c", "lscpu | grep 'Model name'"], { encoding: "utf8" });
  const m = r.status === 0 ? r.stdout.split(":")[1]?.trim() : undefined;
  return m || (cpus()[0]?.model ?? "unknown CPU");
}

/** The client command line for this runtime. */
function clientCommand(spec: ClientSpec): string[] {
  const json = JSON.stringify(spec);
  if (runtime === "deno") return [process.execPath, "run", "-A", clientScript, json];
  return [process.execPath, clientScript, json];
}

/** The TLS fixtures the HTTP/2 server and its clients use (a private CA, a 127.0.0.1 leaf). */
const tlsDir = `${benchDir}../spec/fixtures/tls`;

interface Server {
  origin: string;
  pid: number;
  version: string;
  /** The HTTP/2 server's counts so far (sessions, streams, connections refused for no h2). */
  stats(): Promise<H2Stats>;
  stop(): void;
}

interface H2Stats {
  sessions: number;
  streams: number;
  refused: number;
}

/** Starts `script` (server.mjs, or server-h2.mjs over TLS) on Node 20, pinned to core 1, and waits for its port. */
async function startServer(script: string, h2 = false): Promise<Server> {
  const version = spawnSync(NODE, ["--version"], { encoding: "utf8" }).stdout?.trim() ?? "";
  if (!version) throw new Error(`bench: cannot run ${NODE} (the server runs on Node 20; set BENCH_NODE)`);
  if (!version.startsWith("v20.")) console.error(`bench: the server runs on ${NODE} ${version}, not Node 20`);
  const [cmd, ...args] = pin(1, [NODE, `${benchDir}${script}`, ...(h2 ? [tlsDir] : [])]);
  const child = spawn(cmd!, args, { stdio: ["pipe", "pipe", "inherit"] });
  // Lines from the server's stdout: its port first, then one per "stats" asked for.
  const waiting: Array<(line: string) => void> = [];
  let out = "";
  child.stdout!.setEncoding("utf8");
  child.stdout!.on("data", (s: string) => {
    out += s;
    let i: number;
    while ((i = out.indexOf("\n")) >= 0) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      waiting.shift()?.(line);
    }
  });
  const nextLine = (): Promise<string> => new Promise((resolve) => waiting.push(resolve));
  const port = await new Promise<number>((resolve, reject) => {
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`bench server exited early (code ${code})`)));
    nextLine().then((l) => resolve(Number(l)), reject);
  });
  child.removeAllListeners("exit");
  // taskset execs the command, so this pid is the server's own.
  const allowed = readFileSync(`/proc/${child.pid}/status`, "utf8").match(/Cpus_allowed_list:\s+(\S+)/)?.[1];
  if (hasTaskset && allowed !== "1") throw new Error(`bench: the server is not pinned to core 1 (allowed: ${allowed})`);
  return {
    origin: `${h2 ? "https" : "http"}://127.0.0.1:${port}`,
    pid: child.pid!,
    version,
    stats() {
      const line = nextLine();
      child.stdin!.write("stats\n");
      return line.then((l) => JSON.parse(l) as H2Stats);
    },
    stop() {
      child.stdin!.end(); // the server exits when its stdin closes
      child.kill();
    },
  };
}

/** Runs one client process; resolves to its result, or to an error message. */
function runClient(spec: ClientSpec): Promise<ClientResult | string> {
  const [cmd, ...args] = pin(0, clientCommand(spec));
  return new Promise((resolve) => {
    const child = spawn(cmd!, args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    const timer = setTimeout(() => child.kill("SIGKILL"), CLIENT_TIMEOUT_MS);
    child.stdout!.setEncoding("utf8").on("data", (s: string) => (out += s));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (err += s));
    child.once("error", (e) => resolve(String(e)));
    child.once("close", (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split("\n").pop() ?? "";
      if (code === 0 && line.startsWith("{")) return resolve(JSON.parse(line) as ClientResult);
      const why =
        err
          .trim()
          .split("\n")
          .find((l) => /error/i.test(l)) ??
        err.trim().split("\n")[0] ??
        "";
      resolve(`exit ${code ?? signal}${why ? `: ${why.slice(0, 200)}` : ""}`);
    });
  });
}

interface Case {
  workload: string;
  title: string;
  regime: Regime;
  h2: boolean;
  /** Requests each client run makes (warm-up and measured), which the h2 server must have seen as streams. */
  units: number;
}

async function main(): Promise<void> {
  const started = performance.now();
  const loadBefore = loadavg();
  const reference = REFERENCE[runtime];
  const raw = RAW[runtime];
  const onlyPeers = list("BENCH_PEERS");
  const keep = (p: string): boolean => !onlyPeers || p === reference || p === raw || onlyPeers.includes(p);
  const peers = PEERS[runtime].filter(keep);
  const h2Peers = H2_PEERS[runtime].filter(keep);
  const onlyWorkloads = list("BENCH_WORKLOADS")?.map((w) => w.toUpperCase());
  const onlyRegimes = list("BENCH_REGIMES");
  const cases: Case[] = [];
  for (const w of workloads(QUICK)) {
    if (onlyWorkloads ? !onlyWorkloads.includes(w.id) : w.optIn) continue;
    for (const [regime, n] of Object.entries(w.regimes) as Array<[Regime, { warmup: number; count: number }]>) {
      if (!onlyRegimes || onlyRegimes.includes(regime))
        cases.push({ workload: w.id, title: w.title, regime, h2: w.protocol === "h2", units: n.warmup + n.count });
    }
  }
  checkRawReader();
  const h1Server = cases.some((c) => !c.h2) ? await startServer("server.mjs") : undefined;
  const h2Server = cases.some((c) => c.h2) ? await startServer("server-h2.mjs", true) : undefined;
  const server = (h1Server ?? h2Server)!;
  const peersOf = (c: Case): string[] => (c.h2 ? h2Peers : peers);
  const version = versionOf();
  console.error(
    `bench: ${version}, ${new Set(cases.flatMap(peersOf)).size} clients x ${cases.length} cases x ${ROUNDS} rounds, server ${[
      h1Server,
      h2Server,
    ]
      .filter(Boolean)
      .map((s) => s!.origin)
      .join(" and ")} (Node ${server.version})${hasTaskset ? ", pinned" : ", NOT pinned (no taskset)"}`,
  );

  // results[case][peer] = one entry per round (a result, or an error message)
  const results = new Map<string, Map<string, Array<ClientResult | string>>>();
  const key = (c: Case): string => `${c.workload}|${c.regime}`;
  for (const c of cases) results.set(key(c), new Map(peersOf(c).map((p) => [p, []])));
  let failures = 0;
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) {
        const these = peersOf(c);
        const srv = c.h2 ? h2Server! : h1Server!;
        for (let i = 0; i < these.length; i++) {
          const peer = these[(i + round) % these.length]!;
          const spec: ClientSpec = {
            peer,
            workload: c.workload,
            regime: c.regime,
            origin: srv.origin,
            serverPid: srv.pid,
            quick: QUICK,
            ...(c.h2 ? { caFile: `${tlsDir}/ca.pem` } : {}),
          };
          const before = c.h2 ? await srv.stats() : undefined;
          let r = await runClient(spec);
          let h2Note = "";
          if (before && typeof r === "object") {
            // The h2 server refuses anything but ALPN h2, so every request it saw was a stream; a
            // client that sent fewer, or was refused, did not do the workload over HTTP/2.
            const after = await srv.stats();
            const sessions = after.sessions - before.sessions;
            const streams = after.streams - before.streams;
            if (after.refused > before.refused || streams < c.units)
              r = `not HTTP/2: ${streams} h2 streams for ${c.units} requests, ${after.refused - before.refused} connection(s) refused for no h2`;
            else h2Note = `, ${sessions} h2 session(s), ${streams} streams`;
          }
          results.get(key(c))!.get(peer)!.push(r);
          if (typeof r === "string") {
            failures++;
            console.error(`round ${round + 1} ${c.workload} ${c.regime} ${peer}: FAILED ${r}`);
          } else {
            if (hasTaskset && r.cpus !== "0")
              throw new Error(`bench: client not pinned to core 0 (allowed: ${r.cpus})`);
            console.error(
              `round ${round + 1} ${c.workload} ${c.regime} ${peer}: ${Math.round(r.rate)} ${r.unit}, ${r.cpu.toFixed(1)} ${r.cpuUnit}, ${r.rssMiB.toFixed(0)} MiB, server ${Math.round(r.serverBusy * 100)}%${h2Note}`,
            );
          }
        }
      }
    }
  } finally {
    h1Server?.stop();
    h2Server?.stop();
  }

  const rows: Row[] = [];
  for (const c of cases) {
    const byPeer = results.get(key(c))!;
    const ok = (p: string, round: number): ClientResult | undefined => {
      const r = byPeer.get(p)?.[round];
      return typeof r === "object" ? r : undefined;
    };
    for (const peer of peersOf(c)) {
      const mine = byPeer.get(peer)!.filter((r): r is ClientResult => typeof r === "object");
      const perRound = (f: (me: ClientResult, other: ClientResult) => number, other: string): number[] =>
        Array.from({ length: ROUNDS }, (_, i) => {
          const me = ok(peer, i);
          const them = ok(other, i);
          return me && them ? f(me, them) : NaN;
        });
      rows.push({
        workload: c.workload,
        title: c.title,
        regime: c.regime,
        peer,
        unit: mine[0]?.unit ?? "",
        cpuUnit: mine[0]?.cpuUnit ?? "",
        rounds: mine.length,
        rate: spread(mine.map((r) => r.rate)),
        cpu: spread(mine.map((r) => r.cpu)),
        rssMiB: spread(mine.map((r) => r.rssMiB)),
        vsReference: spread(perRound((a, b) => a.rate / b.rate, reference)),
        vsRaw: spread(perRound((a, b) => a.rate / b.rate, raw)),
        cpuVsRaw: spread(perRound((a, b) => a.cpu / b.cpu, raw)),
        rssVsRaw: spread(perRound((a, b) => a.rssMiB / b.rssMiB, raw)),
        serverBusy: spread(mine.map((r) => r.serverBusy)),
        errors: byPeer.get(peer)!.filter((r): r is string => typeof r === "string"),
      });
    }
  }
  const date = new Date().toISOString().slice(0, 10);
  const run: RunResults = {
    runtime,
    version,
    serverVersion: server.version.replace(/^v/, ""),
    date,
    machine: { nproc: availableParallelism(), cpu: cpuModel(), loadBefore, loadAfter: loadavg() },
    pinned: hasTaskset,
    rounds: ROUNDS,
    quick: QUICK,
    reference,
    raw,
    peers: [...new Set(cases.flatMap(peersOf))],
    rows,
    seconds: (performance.now() - started) / 1000,
  };

  console.log(`## ${version}\n\n${preamble(run)}\n`);
  console.log(caseTables(run));
  console.log(`### hansom at a glance (ratios: medians of per-round ratios)\n\n${hansomSummary(run)}\n`);

  mkdirSync(resultsDir, { recursive: true });
  const partial = Boolean(onlyPeers || onlyWorkloads || onlyRegimes);
  const file = `${resultsDir}${runtime}-${date}${QUICK ? "-quick" : ""}${partial ? "-partial" : ""}.json`;
  writeFileSync(file, `${JSON.stringify(run, null, 1)}\n`);
  console.error(`bench: results in ${file} (${Math.round(run.seconds)} s)`);
  if (!QUICK && !partial && failures === 0) {
    copyFileSync(file, `${resultsDir}latest-${runtime}.json`);
    writeFileSync(`${resultsDir}chart-${runtime}.svg`, renderChart(run));
    console.error(`bench: updated latest-${runtime}.json and chart-${runtime}.svg`);
  }
  if (failures > 0) {
    console.error(`bench: ${failures} client run(s) failed`);
    process.exitCode = 1;
  }
}

await main();
