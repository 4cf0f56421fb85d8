// One client in its own process: `client.js '<json spec>'` (spawned by bench/index.ts, pinned
// to core 0). It loads one client, runs one workload in one regime, checks every response's
// status and byte count, and prints one JSON line: its rate, its own CPU time per unit and its
// peak RSS, plus the server's CPU over the measured window (a server near 100% would mean the
// server, not the client, set the rate).
import { readFileSync } from "node:fs";
import process from "node:process";
import { detectRuntime, loadPeer } from "./peers/index.ts";
import type { Peer } from "./peers/peer.ts";
import { allowedCpus, cpuMicros, peakRssKiB, processCpuSeconds } from "./measure.ts";
import { cpuUnit, rateUnit, workloads } from "./workloads.ts";
import type { Regime, Workload } from "./workloads.ts";

/** What the driver asks of one client process. */
export interface ClientSpec {
  peer: string;
  workload: string;
  regime: Regime;
  origin: string;
  serverPid: number;
  quick: boolean;
  /** HTTP/2 workloads: the CA (PEM file) that signed the h2 server's certificate. */
  caFile?: string;
}

/** What one client process reports. */
export interface ClientResult {
  peer: string;
  workload: string;
  regime: Regime;
  runtime: string;
  units: number;
  seconds: number;
  rate: number;
  unit: string;
  cpu: number;
  cpuUnit: string;
  rssMiB: number;
  cpus: string;
  checkedBytes: number;
  serverBusy: number;
}

const MiB = 1 << 20;
const GiB = 1 << 30;
const UPLOAD_CHUNK = new Uint8Array(64 * 1024).fill(0x62);

/** An async generator of `total` bytes in 64 KiB chunks (the same bytes each time: never mutated). */
function uploadBody(total: number): () => AsyncGenerator<Uint8Array> {
  return async function* () {
    for (let left = total; left > 0; left -= UPLOAD_CHUNK.length)
      yield left >= UPLOAD_CHUNK.length ? UPLOAD_CHUNK : UPLOAD_CHUNK.subarray(0, left);
  };
}

function check(what: string, got: number, want: number): void {
  if (got !== want) throw new Error(`${what}: got ${got} bytes, expected ${want}`);
}

/** One unit of work: a request whose body is read whole, or one transfer. Resolves to bytes checked. */
function unitOf(peer: Peer, w: Workload, warm: boolean): () => Promise<number> {
  const label = `${peer.name} ${w.id}`;
  if (w.kind === "get") {
    return async () => {
      const n = await peer.get(w.path);
      check(label, n, w.bytes);
      return n;
    };
  }
  const bytes = warm ? w.warmBytes! : w.bytes;
  if (w.kind === "download") {
    const path = warm ? w.warmPath! : w.path;
    return async () => {
      check(label, await peer.download(path), bytes);
      return bytes;
    };
  }
  const body = uploadBody(bytes);
  return async () => {
    check(label, await peer.upload(w.path, body), bytes);
    return bytes;
  };
}

/** Runs `count` units, `concurrency` at a time; resolves to the bytes checked. */
async function runUnits(count: number, concurrency: number, unit: () => Promise<number>): Promise<number> {
  let started = 0;
  let bytes = 0;
  const worker = async (): Promise<void> => {
    while (started < count) {
      started++;
      const n = await unit(); // not `bytes += await`: that would read `bytes` before the await
      bytes += n;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  return bytes;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? "{}") as ClientSpec;
  const w = workloads(spec.quick).find((x) => x.id === spec.workload);
  const counts = w?.regimes[spec.regime];
  if (!w || !counts) throw new Error(`no workload ${spec.workload} in regime ${spec.regime}`);
  const peer = await loadPeer(spec.peer, spec.origin, spec.caFile ? readFileSync(spec.caFile, "utf8") : undefined);
  try {
    await runUnits(counts.warmup, w.concurrency, unitOf(peer, w, w.kind !== "get"));
    const unit = unitOf(peer, w, false);
    const server0 = processCpuSeconds(spec.serverPid);
    const cpu0 = cpuMicros();
    const t0 = performance.now();
    const checkedBytes = await runUnits(counts.count, w.concurrency, unit);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuMicros() - cpu0;
    const serverBusy = (processCpuSeconds(spec.serverPid) - server0) / seconds;
    const bulk = w.kind !== "get";
    const result: ClientResult = {
      peer: spec.peer,
      workload: w.id,
      regime: spec.regime,
      runtime: detectRuntime(),
      units: counts.count,
      seconds,
      rate: bulk ? checkedBytes / MiB / seconds : counts.count / seconds,
      unit: rateUnit(w),
      cpu: bulk ? cpu / 1000 / (checkedBytes / GiB) : cpu / counts.count,
      cpuUnit: cpuUnit(w),
      rssMiB: peakRssKiB() / 1024,
      cpus: allowedCpus(),
      checkedBytes,
      serverBusy,
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await peer.close();
  }
}

try {
  await main();
  process.exit(0);
} catch (e) {
  console.error(e);
  process.exit(1);
}
