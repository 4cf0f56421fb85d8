// An SVG bar chart of a run, as a plain string (no dependencies): for every case, one bar per
// client, its height the client's rate over the reference's in the same round (median of the
// rounds), with the absolute rate in each bar's tooltip and a dashed line at the reference.
import { caseName, num } from "./report.ts";
import type { RunResults } from "./results.ts";

// One colour per client in every chart, so hansom is the same orange on each runtime.
const COLORS: Record<string, string> = {
  hansom: "#e8590c",
  raw: "#495057",
  "raw-bun": "#212529",
  "undici.request": "#adb5bd",
  "undici.fetch": "#1c7ed6",
  "node:http": "#2f9e44",
  fetch: "#7048e8",
};
const BAR = 16;
const GAP = 28;
const PLOT_H = 300;
const LEFT = 56;
const TOP = 70;

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The chart of `run` as an SVG document. */
export function renderChart(run: RunResults): string {
  const cases = [...new Set(run.rows.map((r) => `${r.workload}|${r.regime}`))];
  const peers = run.peers;
  const groupW = peers.length * BAR + GAP;
  const width = Math.max(920, LEFT + cases.length * groupW + 20); // room for the footnotes
  const height = TOP + PLOT_H + 90;
  const ratios = run.rows.map((r) => r.vsReference.median).filter(Number.isFinite);
  // A grid step that gives about eight lines, and a top that is a whole number of steps.
  const highest = Math.max(1.5, ...ratios);
  const step = [0.25, 0.5, 1, 2, 5, 10].find((s) => highest / s <= 8) ?? 20;
  const top = Math.ceil(highest / step) * step;
  const y = (v: number): number => TOP + PLOT_H - (v / top) * PLOT_H;
  const color = (p: string): string => COLORS[p] ?? "#0c8599";
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
  );
  out.push(`<rect width="100%" height="100%" fill="#fff"/>`);
  out.push(
    `<text x="${LEFT}" y="20" font-size="14" font-weight="bold">${esc(`hansom bench, ${run.version}: rate relative to ${run.reference} (higher is better)`)}</text>`,
  );
  out.push(
    `<text x="${LEFT}" y="38" fill="#555">${esc(`${run.machine.cpu}, ${run.machine.nproc} cores, ${run.date}; median of ${run.rounds} interleaved rounds, one process per client; shared, noisy machine`)}</text>`,
  );
  // Legend.
  let lx = LEFT;
  for (const p of peers) {
    out.push(
      `<rect x="${lx}" y="48" width="10" height="10" fill="${color(p)}"/><text x="${lx + 14}" y="57">${esc(p)}</text>`,
    );
    lx += 24 + p.length * 6.5;
  }
  // Axis and grid.
  for (let v = 0; v <= top + 1e-9; v += step) {
    out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${y(v)}" y2="${y(v)}" stroke="#eee"/>`);
    out.push(
      `<text x="${LEFT - 6}" y="${y(v) + 4}" text-anchor="end" fill="#555">${step < 1 ? v.toFixed(2) : v.toFixed(0)}×</text>`,
    );
  }
  out.push(`<line x1="${LEFT}" x2="${width - 20}" y1="${y(1)}" y2="${y(1)}" stroke="#333" stroke-dasharray="4 3"/>`);
  cases.forEach((c, gi) => {
    const x0 = LEFT + gi * groupW + GAP / 2;
    const rows = run.rows.filter((r) => `${r.workload}|${r.regime}` === c);
    peers.forEach((p, pi) => {
      const r = rows.find((x) => x.peer === p);
      const v = r?.vsReference.median;
      if (r === undefined || v === undefined || !Number.isFinite(v)) return;
      const x = x0 + pi * BAR;
      const tip = `${p}, ${caseName(r)}: ${num(r.rate.median)} ${r.unit} (${v.toFixed(2)}× ${run.reference}), CPU ${num(r.cpu.median)} ${r.cpuUnit}, peak RSS ${num(r.rssMiB.median)} MiB`;
      out.push(
        `<rect x="${x}" y="${y(v)}" width="${BAR - 2}" height="${y(0) - y(v)}" fill="${color(p)}"><title>${esc(tip)}</title></rect>`,
      );
      out.push(
        `<text x="${x + (BAR - 2) / 2}" y="${y(v) - 3}" text-anchor="middle" font-size="8" fill="#333">${v.toFixed(v >= 10 ? 0 : 1)}</text>`,
      );
    });
    const first = rows[0]!;
    const cx = x0 + (peers.length * BAR) / 2;
    out.push(`<text x="${cx}" y="${y(0) + 16}" text-anchor="middle" font-weight="bold">${esc(caseName(first))}</text>`);
    const ref = rows.find((x) => x.peer === run.reference);
    if (ref)
      out.push(
        `<text x="${cx}" y="${y(0) + 30}" text-anchor="middle" fill="#555" font-size="9">${esc(`${num(ref.rate.median)} ${ref.unit}`)}</text>`,
      );
  });
  out.push(
    `<text x="${LEFT}" y="${height - 24}" fill="#555">${esc(`A sequential small GETs, B 32 concurrent, C 256 MiB download, D 64 MiB chunked upload, E 50-header responses, F chunked responses in 1 KiB chunks.`)}</text>`,
  );
  out.push(
    `<text x="${LEFT}" y="${height - 10}" fill="#555">${esc(`cold: a fresh process's first requests; steady: after a long warm-up. Under each case: the reference's own rate. Hover a bar for its figures.`)}</text>`,
  );
  out.push(`</svg>`);
  return `${out.join("\n")}\n`;
}
