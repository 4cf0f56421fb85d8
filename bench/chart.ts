// Writes bench/results/chart-<runtime>.svg from saved results:
//   node dist/bench/chart.js [results.json ...]   (default: every bench/results/latest-*.json)
//   deno run -A bench/chart.ts | bun bench/chart.ts
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import process from "node:process";
import type { RunResults } from "./results.ts";
import { renderChart } from "./svg.ts";

const fromSource = import.meta.url.endsWith(".ts");
const resultsDir = fileURLToPath(new URL(fromSource ? "./results/" : "../../bench/results/", import.meta.url));
const files = process.argv.slice(2);
if (files.length === 0) {
  for (const f of readdirSync(resultsDir)) if (/^latest-\w+\.json$/.test(f)) files.push(resultsDir + f);
}
if (files.length === 0) {
  console.error(`chart: no results given and no latest-*.json in ${resultsDir}`);
  process.exit(1);
}
for (const f of files) {
  const run = JSON.parse(readFileSync(f, "utf8")) as RunResults;
  const out = `${resultsDir}chart-${run.runtime}.svg`;
  writeFileSync(out, renderChart(run));
  console.log(`chart: ${f} -> ${out}`);
}
