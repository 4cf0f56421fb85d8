// Deno without permissions: a missing --allow-net or --allow-env is named in a HansomError
// (permission_denied), not a silent direct connection or a bare "closed". Runs Deno in a child
// process with restricted permissions, from whichever runtime runs the suite.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const root = here.includes(join("dist", "spec")) ? join(here, "..", "..", "..") : join(here, "..", "..");
const deno = [process.env.HANSOM_DENO, join(root, ".ci", "runtimes", "node_modules", ".bin", "deno")].find(
  (p) => p && existsSync(p),
);

const SCRIPT = `
import { get } from "${join(root, "lib", "index.ts").replaceAll("\\\\", "/")}";
const out = {};
for (const [name, opts] of [["net", {}], ["env", { proxy: "env" }]]) {
  try { await get("http://127.0.0.1:9/", { ...opts, connectTimeout: 2000 }); out[name] = "resolved"; }
  catch (e) { out[name] = e.code + " " + e.message; }
}
console.log(JSON.stringify(out));
`;

test("deno permissions - missing --allow-net and --allow-env are permission_denied, naming the flag", {
  skip: deno ? false : "no deno binary (.ci/runtimes.sh installs one)",
}, () => {
  // `deno run` of a file: `deno eval` would grant every permission.
  const dir = mkdtempSync(join(tmpdir(), "hansom-deno-perm-"));
  const file = join(dir, "probe.ts");
  writeFileSync(file, SCRIPT);
  const r = spawnSync(deno!, ["run", "--no-check", "--no-prompt", `--allow-read=${root},${dir}`, file], {
    encoding: "utf8",
    timeout: 30_000,
    env: { ...process.env, NO_COLOR: "1" },
  });
  rmSync(dir, { recursive: true, force: true });
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout.trim().split("\n").at(-1)!) as Record<string, string>;
  assert.match(out.net!, /^permission_denied .*--allow-net/);
  assert.match(out.env!, /^permission_denied .*--allow-env/);
});
