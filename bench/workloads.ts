// The workloads and their request counts, shared by the driver and the client processes.
// Small responses run in two regimes, because a short run is mostly JIT warm-up:
//   cold    a fresh process: a short warm-up, then its first requests (CLIs, serverless)
//   steady  a long warm-up, then the measured requests (long-lived servers)
// The bulk transfers (C, D, H2) are measured once warm, per GiB. H1 and H2 are over HTTP/2, run
// only when BENCH_WORKLOADS names them.

export type Regime = "cold" | "steady" | "bulk";

/** Warm-up units (requests, or transfers of warmBytes), then measured units. */
export interface Counts {
  warmup: number;
  count: number;
}

export interface Workload {
  id: string;
  title: string;
  kind: "get" | "download" | "upload";
  /** The request path on the bench server. */
  path: string;
  /** Body bytes per measured unit (response body, or upload body). */
  bytes: number;
  /** Requests in flight at once. */
  concurrency: number;
  regimes: Partial<Record<Regime, Counts>>;
  /** "h2": run against the HTTP/2 server (bench/server-h2.mjs) by the HTTP/2 clients only. */
  protocol?: "h2";
  /** Run only when BENCH_WORKLOADS names it (kept out of the default set). */
  optIn?: boolean;
  /** Bulk only: the path and bytes of each warm-up transfer. */
  warmPath?: string;
  warmBytes?: number;
}

const MiB = 1 << 20;
/** The small body the server sends for /small and /h50. */
export const SMALL_BODY_BYTES = 30;
/** Workload F: KiB per response, sent as that many 1 KiB chunks. */
export const CHUNKED_KIB = 64;

/** Every workload, full size or (quick) tiny for a smoke run of a few seconds. */
export function workloads(quick: boolean): Workload[] {
  const q = (full: Counts, small: Counts): Counts => (quick ? small : full);
  const download = quick ? 8 * MiB : 256 * MiB;
  const upload = quick ? 8 * MiB : 64 * MiB;
  const warm = quick ? MiB : 16 * MiB;
  return [
    {
      id: "A",
      title: "sequential small GETs, keep-alive",
      kind: "get",
      path: "/small",
      bytes: SMALL_BODY_BYTES,
      concurrency: 1,
      regimes: {
        cold: q({ warmup: 500, count: 10_000 }, { warmup: 20, count: 200 }),
        steady: q({ warmup: 20_000, count: 40_000 }, { warmup: 200, count: 300 }),
      },
    },
    {
      id: "B",
      title: "32 concurrent small GETs",
      kind: "get",
      path: "/small",
      bytes: SMALL_BODY_BYTES,
      concurrency: 32,
      regimes: {
        cold: q({ warmup: 500, count: 10_000 }, { warmup: 64, count: 320 }),
        steady: q({ warmup: 20_000, count: 100_000 }, { warmup: 320, count: 640 }),
      },
    },
    {
      id: "C",
      title: "256 MiB download, read with for await",
      kind: "download",
      path: `/download?bytes=${download}`,
      bytes: download,
      concurrency: 1,
      warmPath: `/download?bytes=${warm}`,
      warmBytes: warm,
      regimes: { bulk: q({ warmup: 2, count: 4 }, { warmup: 1, count: 2 }) },
    },
    {
      id: "D",
      title: "64 MiB chunked upload from an async generator",
      kind: "upload",
      path: "/upload",
      bytes: upload,
      concurrency: 1,
      warmBytes: warm,
      regimes: { bulk: q({ warmup: 2, count: 8 }, { warmup: 1, count: 2 }) },
    },
    {
      id: "E",
      title: "sequential GETs of responses with 50 header fields",
      kind: "get",
      path: "/h50",
      bytes: SMALL_BODY_BYTES,
      concurrency: 1,
      regimes: {
        cold: q({ warmup: 500, count: 10_000 }, { warmup: 20, count: 200 }),
        steady: q({ warmup: 20_000, count: 20_000 }, { warmup: 200, count: 300 }),
      },
    },
    {
      id: "F",
      title: `sequential GETs of ${CHUNKED_KIB} KiB chunked responses, 1 KiB chunks`,
      kind: "get",
      path: `/chunked?kib=${CHUNKED_KIB}`,
      bytes: CHUNKED_KIB * 1024,
      concurrency: 1,
      regimes: {
        cold: q({ warmup: 500, count: 5_000 }, { warmup: 10, count: 50 }),
        steady: q({ warmup: 5_000, count: 5_000 }, { warmup: 50, count: 100 }),
      },
    },
    {
      id: "H1",
      title: "100 concurrent small GETs over one h2 connection",
      kind: "get",
      path: "/small",
      bytes: SMALL_BODY_BYTES,
      concurrency: 100,
      protocol: "h2",
      optIn: true,
      regimes: {
        cold: q({ warmup: 500, count: 10_000 }, { warmup: 200, count: 1_000 }),
        steady: q({ warmup: 20_000, count: 100_000 }, { warmup: 2_000, count: 4_000 }),
      },
    },
    {
      id: "H2",
      title: "256 MiB download over h2, read with for await",
      kind: "download",
      path: `/download?bytes=${download}`,
      bytes: download,
      concurrency: 1,
      protocol: "h2",
      optIn: true,
      warmPath: `/download?bytes=${warm}`,
      warmBytes: warm,
      regimes: { bulk: q({ warmup: 2, count: 4 }, { warmup: 1, count: 2 }) },
    },
  ];
}

/** "req/s" for requests, "MiB/s" for the bulk transfers. */
export function rateUnit(w: Workload): string {
  return w.kind === "get" ? "req/s" : "MiB/s";
}

/** "µs/req" for requests, "ms/GiB" for the bulk transfers. */
export function cpuUnit(w: Workload): string {
  return w.kind === "get" ? "µs/req" : "ms/GiB";
}
