// Prints the markdown tables of saved results, as bench/README.md shows them:
//   node dist/bench/tables.js [results.json ...]   (default: every bench/results/latest-*.json)
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import process from "node:process";
import { compactTables, hansomSummary, preamble } from "./report.ts";
import type { RunResults } from "./results.ts";

const fromSource = import.meta.url.endsWith(".ts");
const resultsDir = fileURLToPath(new URL(fromSource ? "./results/" : "../../bench/results/", import.meta.url));
const files = process.argv.slice(2);
if (files.length === 0) {
  for (const rt of ["node", "deno", "bun"])
    if (readdirSync(resultsDir).includes(`latest-${rt}.json`)) files.push(`${resultsDir}latest-${rt}.json`);
}
for (const f of files) {
  const run = JSON.parse(readFileSync(f, "utf8")) as RunResults;
  console.log(
    `### ${run.version}\n\n${preamble(run)}\n\n${compactTables(run)}\n\nhansom at a glance:\n\n${hansomSummary(run)}\n`,
  );
}
