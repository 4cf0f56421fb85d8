// The shape of a saved bench run (bench/results/*.json), shared by the driver, the tables and
// the chart.
import type { Spread } from "./stats.ts";
import type { Regime } from "./workloads.ts";

/** One client on one workload in one regime, over all rounds. */
export interface Row {
  workload: string;
  title: string;
  regime: Regime;
  peer: string;
  unit: string;
  cpuUnit: string;
  /** Rounds that produced a result; failed rounds are in `errors`. */
  rounds: number;
  rate: Spread;
  cpu: Spread;
  rssMiB: Spread;
  /** Rate over the reference's rate in the same round. */
  vsReference: Spread;
  /** Rate over the raw client's rate in the same round. */
  vsRaw: Spread;
  /** CPU per unit over the raw client's in the same round. */
  cpuVsRaw: Spread;
  /** Peak RSS over the raw client's in the same round. */
  rssVsRaw: Spread;
  /** The server's CPU share over the measured window (1 = a full core: the server would be the limit). */
  serverBusy: Spread;
  errors: string[];
}

/** A whole run. */
export interface RunResults {
  runtime: "node" | "deno" | "bun";
  version: string;
  serverVersion: string;
  date: string;
  machine: { nproc: number; cpu: string; loadBefore: number[]; loadAfter: number[] };
  pinned: boolean;
  rounds: number;
  quick: boolean;
  reference: string;
  raw: string;
  peers: string[];
  rows: Row[];
  seconds: number;
}
