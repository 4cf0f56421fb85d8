// Markdown tables of a run: one per workload and regime, then hansom's ratios at a glance.
import type { Row, RunResults } from "./results.ts";
import type { Spread } from "./stats.ts";

/** 12,345 / 1,234 / 123 / 12.3 / 1.23: three significant digits or whole numbers. */
export function num(n: number): string {
  if (!Number.isFinite(n)) return "-";
  if (Math.abs(n) >= 100) return Math.round(n).toLocaleString("en-US");
  if (Math.abs(n) >= 10) return n.toFixed(1);
  return n.toFixed(2);
}

function withRange(s: Spread): string {
  return Number.isFinite(s.median) ? `${num(s.median)} (${num(s.min)}–${num(s.max)})` : "-";
}

function ratio(s: Spread): string {
  return Number.isFinite(s.median) ? `${s.median.toFixed(2)}×` : "-";
}

function ratioRange(s: Spread): string {
  return Number.isFinite(s.median) ? `${s.median.toFixed(2)}× (${s.min.toFixed(2)}–${s.max.toFixed(2)})` : "-";
}

function markdown(header: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(" | ")} |`;
  return [line(header), line(header.map((_, i) => (i === 0 ? "---" : "--:"))), ...rows.map(line)].join("\n");
}

/** "A cold", "C" for the bulk ones. */
export function caseName(r: Pick<Row, "workload" | "regime">): string {
  return r.regime === "bulk" ? r.workload : `${r.workload} ${r.regime}`;
}

/** One table per workload and regime. */
export function caseTables(run: RunResults): string {
  const out: string[] = [];
  const cases = [...new Set(run.rows.map((r) => `${r.workload}|${r.regime}`))];
  for (const c of cases) {
    const rows = run.rows.filter((r) => `${r.workload}|${r.regime}` === c);
    const first = rows[0]!;
    const busy = Math.max(...rows.map((r) => r.serverBusy.max).filter(Number.isFinite));
    out.push(`### ${caseName(first)}: ${first.title}`);
    out.push("");
    out.push(
      markdown(
        [
          "client",
          `${first.unit} (min–max)`,
          `× ${run.reference}`,
          `× ${run.raw}`,
          `CPU ${first.cpuUnit}`,
          `CPU × ${run.raw}`,
          "peak RSS MiB",
          `RSS × ${run.raw}`,
        ],
        rows.map((r) =>
          r.rounds === 0
            ? [r.peer, `failed: ${r.errors[0] ?? "?"}`, "", "", "", "", "", ""]
            : [
                r.peer,
                withRange(r.rate),
                ratioRange(r.vsReference),
                ratioRange(r.vsRaw),
                num(r.cpu.median),
                ratio(r.cpuVsRaw),
                num(r.rssMiB.median),
                ratio(r.rssVsRaw),
              ],
        ),
      ),
    );
    out.push("");
    out.push(
      `Server CPU over the measured windows: at most ${Number.isFinite(busy) ? Math.round(busy * 100) : "?"}% of its core.${rows.some((r) => r.errors.length) ? ` Failures: ${rows.flatMap((r) => r.errors.map((e) => `${r.peer}: ${e}`)).join("; ")}` : ""}`,
    );
    out.push("");
  }
  return out.join("\n");
}

/** hansom on every case: its ratios and CPU beside the raw client's. */
export function hansomSummary(run: RunResults): string {
  const rows = run.rows.filter((r) => r.peer === "hansom");
  return markdown(
    [
      "case",
      "hansom rate",
      `× ${run.reference}`,
      `× ${run.raw}`,
      "hansom CPU",
      `${run.raw} CPU`,
      `CPU × ${run.raw}`,
      `RSS × ${run.raw}`,
    ],
    rows.map((r) => {
      const raw = run.rows.find((x) => x.peer === run.raw && x.workload === r.workload && x.regime === r.regime);
      return [
        caseName(r),
        `${num(r.rate.median)} ${r.unit}`,
        ratio(r.vsReference),
        ratio(r.vsRaw),
        `${num(r.cpu.median)} ${r.cpuUnit}`,
        raw ? `${num(raw.cpu.median)}` : "-",
        ratio(r.cpuVsRaw),
        ratio(r.rssVsRaw),
      ];
    }),
  );
}

/** The header lines: runtime, machine, method. */
export function preamble(run: RunResults): string {
  return [
    `${run.version} (clients), server on Node ${run.serverVersion}; ${run.machine.cpu}, ${run.machine.nproc} cores; ${run.date}`,
    `${run.pinned ? "clients pinned to core 0, server to core 1 (taskset)" : "no taskset: processes not pinned"}; median of ${run.rounds} round(s)${run.quick ? ", BENCH_QUICK (smoke counts: figures mean nothing)" : ""}; load average before / after: ${run.machine.loadBefore.map((x) => x.toFixed(2)).join(" ")} / ${run.machine.loadAfter.map((x) => x.toFixed(2)).join(" ")}`,
  ].join("\n");
}

/** Clients by cases, compactly: the rate and its ratio to the reference, then CPU and RSS. */
export function compactTables(run: RunResults): string {
  const cases = [...new Set(run.rows.map((r) => `${r.workload}|${r.regime}`))];
  const find = (peer: string, c: string): Row | undefined =>
    run.rows.find((r) => r.peer === peer && `${r.workload}|${r.regime}` === c);
  const header = ["client", ...cases.map((c) => caseName(find(run.peers[0]!, c)!))];
  const table = (cell: (r: Row) => string): string =>
    markdown(
      header,
      run.peers.map((p) => [
        p,
        ...cases.map((c) => {
          const r = find(p, c);
          return r && r.rounds > 0 ? cell(r) : "-";
        }),
      ]),
    );
  const units = cases.map((c) => `${caseName(find(run.peers[0]!, c)!)} in ${find(run.peers[0]!, c)!.unit}`).join(", ");
  return [
    `Rate (${units}), and in brackets the ratio to ${run.reference} in the same round (higher is better):`,
    "",
    table((r) => `${num(r.rate.median)} (${r.vsReference.median.toFixed(2)}×)`),
    "",
    `Client CPU per request (µs) or per GiB (ms), and in brackets the ratio to ${run.raw} (lower is better):`,
    "",
    table((r) => `${num(r.cpu.median)} (${r.cpuVsRaw.median.toFixed(2)}×)`),
    "",
    `Peak RSS in MiB, and in brackets the ratio to ${run.raw}:`,
    "",
    table((r) => `${num(r.rssMiB.median)} (${r.rssVsRaw.median.toFixed(2)}×)`),
    "",
    `Highest server CPU share in any measured window, per case: ${cases
      .map(
        (c) =>
          `${caseName(find(run.peers[0]!, c)!)} ${Math.round(
            Math.max(
              ...run.rows
                .filter((r) => `${r.workload}|${r.regime}` === c)
                .map((r) => r.serverBusy.max)
                .filter(Number.isFinite),
            ) * 100,
          )}%`,
      )
      .join(", ")}.`,
  ].join("\n");
}
