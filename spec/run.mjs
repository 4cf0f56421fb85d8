// Runs the spec suite on one runtime: `node spec/run.mjs node|node24|deno|bun|interop`.
// Node 20 runs the compiled specs in dist/spec; Node 24, Deno and Bun run spec/*.ts as they are.
import { readdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const mode = process.argv[2] ?? "node";
const root = new URL("..", import.meta.url).pathname;

function specFiles(dir, ext, interop) {
  return readdirSync(join(root, dir), { recursive: true })
    .map(String)
    .filter((f) => f.endsWith(ext) && f.includes("interop/") === interop)
    .sort()
    .map((f) => join(dir, f));
}

let cmd;
let args;
if (mode === "node" || mode === "interop") {
  cmd = process.execPath;
  args = ["--test", "--test-reporter=spec", ...specFiles("dist/spec", ".spec.js", mode === "interop")];
} else {
  console.error(`unknown mode ${mode}`);
  process.exit(2);
}
const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit" });
process.exit(r.status ?? 1);
