// Runs the spec suite on one runtime: `node spec/run.mjs node|node24|deno|bun|interop`.
//   node     Node 20 (this process's node), the compiled specs in dist/spec (run `npx tsc -p tsconfig.json` first)
//   node24   Node 24 on spec/**/*.spec.ts as they are (type stripping)
//   deno     `deno test -A` on spec/**/*.spec.ts (Deno runs node:test specs)
//   bun      `bun test` on spec/**/*.spec.ts (Bun runs node:test specs)
//   interop  Node 20 on dist/spec/interop (excluded from every other mode)
// Further arguments keep only the spec files whose path contains them (`runtime/socket`).
// The runtime's own reporter prints as usual; its machine-readable report (TAP or JUnit, in a temp
// dir) gives the last line, `N passed, N failed[, N skipped]`. Exit status: 0 only if at least
// one test ran, none failed, and the runtime itself exited 0.
// Bounds: each test HANSOM_TEST_TIMEOUT ms (default 60000; node and bun modes: Deno has no such
// setting), the whole run HANSOM_SPEC_TIMEOUT ms (default 600000), then the runtime is killed.
// Binaries: HANSOM_NODE24 / HANSOM_DENO / HANSOM_BUN, else .ci/runtimes/node_modules (see
// .ci/runtimes.sh), else /tmp/rt/node_modules, else PATH.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { spawn, spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const MODES = ["node", "node24", "deno", "bun", "interop"];
const mode = process.argv[2] ?? "node";
/** Optional file filters after the mode: `spec/runtime/socket.spec.ts` or just `runtime/socket`. */
const only = process.argv.slice(3).map((f) => f.replace(/^(dist\/)?spec\//, "").replace(/\.spec\.[jt]s$/, ""));
const root = fileURLToPath(new URL("..", import.meta.url));
const testTimeout = Number(process.env.HANSOM_TEST_TIMEOUT) || 60_000;
const runTimeout = Number(process.env.HANSOM_SPEC_TIMEOUT) || 600_000;

if (!MODES.includes(mode)) {
  console.error(`unknown mode ${mode}; one of ${MODES.join(", ")}`);
  process.exit(2);
}

/** Spec files under `dir` ending in `ext`, interop ones only or none of them, sorted. */
function specFiles(dir, ext, interop) {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { recursive: true })
    .map((f) => String(f).split("\\").join("/"))
    .filter(
      (f) =>
        f.endsWith(ext) &&
        !f.includes("node_modules/") &&
        (f.startsWith("interop/") || f.includes("/interop/")) === interop,
    )
    .filter((f) => only.length === 0 || only.some((o) => f.includes(o)))
    .sort()
    .map((f) => `${dir}/${f}`);
}

/** `bin --version`, or null when it does not run. */
function version(bin) {
  const r = spawnSync(bin, ["--version"], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim().split("\n")[0] : null;
}

/** Every node_modules/@scope/<platform-package>/<rel> that exists. */
function platformPackages(base, scope, rel) {
  const dir = join(base, scope);
  if (!existsSync(dir)) return [];
  return readdirSync(dir).map((d) => join(dir, d, rel));
}

/** The binary for a runtime, and its version: env var, then .ci/runtimes, then /tmp/rt, then PATH. */
function findRuntime(name) {
  const envVar = { node24: "HANSOM_NODE24", deno: "HANSOM_DENO", bun: "HANSOM_BUN" }[name];
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    const v = version(fromEnv);
    if (!v) fail(`${envVar}=${fromEnv} does not run (\`${fromEnv} --version\` failed)`);
    return { bin: fromEnv, version: v };
  }
  const candidates = [];
  for (const base of [join(root, ".ci", "runtimes", "node_modules"), "/tmp/rt/node_modules"]) {
    if (name === "node24")
      candidates.push(
        join(base, `node-${process.platform}-${process.arch}`, "bin", "node"),
        join(base, ".bin", "node"),
      );
    if (name === "deno")
      candidates.push(
        join(base, ".bin", "deno"),
        join(base, "deno", "deno"),
        ...platformPackages(base, "@deno", "deno"),
      );
    if (name === "bun")
      candidates.push(
        join(base, ".bin", "bun"),
        join(base, "bun", "bin", "bun.exe"),
        ...platformPackages(base, "@oven", join("bin", "bun")),
      );
  }
  candidates.push(name === "node24" ? "node" : name);
  for (const bin of candidates) {
    if (bin.includes("/") && !existsSync(bin)) continue;
    const v = version(bin);
    if (!v) continue;
    if (name === "node24" && !/^v24\./.test(v)) continue;
    return { bin, version: v };
  }
  fail(`no ${name === "node24" ? "Node 24" : name} binary found: set ${envVar}, or run .ci/runtimes.sh`);
}

function fail(message) {
  console.error(`spec/run.mjs: ${message}`);
  console.log("0 passed, 0 failed");
  process.exit(1);
}

/** Counts from a node --test TAP report: its closing `# pass N` lines. */
function countTap(file) {
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  const n = (key) => {
    const all = [...text.matchAll(new RegExp(`^# ${key} (\\d+)$`, "gm"))];
    return all.length ? Number(all[all.length - 1][1]) : 0;
  };
  return { passed: n("pass"), failed: n("fail") + n("cancelled"), skipped: n("skipped") + n("todo"), skippedNames: [] };
}

const unescapeXml = (s) =>
  s
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");

/** The <testcase> elements of a JUnit report: name, failed, skipped. */
function junitCases(file) {
  const xml = existsSync(file) ? readFileSync(file, "utf8") : "";
  const cases = [];
  const re = /<testcase\b([^>]*?)(\/>|>([\s\S]*?)<\/testcase>)/g;
  for (let m; (m = re.exec(xml)); ) {
    const name = unescapeXml(/\bname="([^"]*)"/.exec(m[1])?.[1] ?? "");
    const body = m[3] ?? "";
    cases.push({ name, failed: /<(failure|error)\b/.test(body), skipped: /<skipped\b/.test(body) });
  }
  return cases;
}

/**
 * Counts from Deno's JUnit report. Deno reports node:test suites and nested tests as steps named
 * "parent > child" beside their parent; only leaves are tests (as node --test counts them), but a
 * parent that failed with no failed leaf (a hook, a load error) counts as a failure.
 */
/** Adds one leaf test case to the counts. */
function tally(out, c) {
  if (c.failed) out.failed++;
  else if (c.skipped) {
    out.skipped++;
    out.skippedNames.push(c.name);
  } else out.passed++;
}

function countDenoJunit(file) {
  const cases = junitCases(file);
  const isParent = (c) => cases.some((o) => o !== c && o.name.startsWith(`${c.name} > `));
  const out = { passed: 0, failed: 0, skipped: 0, skippedNames: [] };
  for (const c of cases) {
    if (isParent(c)) {
      if (c.failed && !cases.some((o) => o.failed && o.name.startsWith(`${c.name} > `))) out.failed++;
      continue;
    }
    tally(out, c);
  }
  return out;
}

/** Counts from Bun's JUnit report: every <testcase> is a test. */
function countBunJunit(file) {
  const out = { passed: 0, failed: 0, skipped: 0, skippedNames: [] };
  for (const c of junitCases(file)) tally(out, c);
  return out;
}

let cmd;
let args;
let count;
let files;
if (mode === "node" || mode === "interop") {
  files = specFiles("dist/spec", ".spec.js", mode === "interop");
  if (files.length === 0)
    fail(
      `no compiled specs in dist/spec${mode === "interop" ? "/interop" : ""}: run \`npx tsc -p tsconfig.json\` first`,
    );
  cmd = process.execPath;
  console.log(`spec/run.mjs: ${mode} on node ${process.version}, ${files.length} files`);
} else {
  files = specFiles("spec", ".spec.ts", false);
  if (files.length === 0) fail("no spec/**/*.spec.ts files");
  const rt = findRuntime(mode);
  cmd = rt.bin;
  console.log(
    `spec/run.mjs: ${mode} on ${rt.version} (${rt.bin.startsWith(root) ? relative(root, rt.bin) : rt.bin}), ${files.length} files`,
  );
}
const work = mkdtempSync(join(tmpdir(), "hansom-spec-run-"));
if (mode === "node" || mode === "interop" || mode === "node24") {
  const tap = join(work, "report.tap");
  args = [
    "--test",
    `--test-timeout=${testTimeout}`,
    "--test-reporter=spec",
    "--test-reporter-destination=stdout",
    "--test-reporter=tap",
    `--test-reporter-destination=${tap}`,
    ...files,
  ];
  count = () => countTap(tap);
} else if (mode === "deno") {
  // Type checking is tsc's job (npm run typecheck); --no-check keeps a type error in one file
  // from stopping every spec.
  const junit = join(work, "report.xml");
  args = ["test", "-A", "--no-check", `--junit-path=${junit}`, ...files];
  count = () => countDenoJunit(junit);
} else {
  // bun test takes paths that start with ./ as files (anything else is a name filter).
  const junit = join(work, "report.xml");
  args = [
    "test",
    `--timeout=${testTimeout}`,
    "--reporter=junit",
    `--reporter-outfile=${junit}`,
    ...files.map((f) => `./${f}`),
  ];
  count = () => countBunJunit(junit);
}

// Its own process group, so a run past the deadline (or ^C) takes node --test's workers down too.
const child = spawn(cmd, args, { cwd: root, stdio: "inherit", detached: true });
const killGroup = () => {
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
};
let timedOut = false;
const deadline = setTimeout(() => {
  timedOut = true;
  killGroup();
}, runTimeout);
process.on("SIGINT", killGroup);
process.on("SIGTERM", killGroup);
const r = await new Promise((resolve) => {
  child.on("error", (error) => resolve({ status: null, signal: null, error }));
  child.on("exit", (status, signal) => resolve({ status, signal, error: null }));
});
clearTimeout(deadline);
const c = count();
rmSync(work, { recursive: true, force: true });
if (timedOut) console.error(`spec/run.mjs: ${mode} still running after ${runTimeout} ms (HANSOM_SPEC_TIMEOUT); killed`);
else if (r.error) console.error(`spec/run.mjs: could not start ${cmd}: ${r.error.message}`);
const exitCode = r.status ?? 1;
if (exitCode !== 0 && c.failed === 0) {
  // The runtime failed outside any test (a file that does not load, an unhandled error).
  console.error(
    `spec/run.mjs: ${mode} exited with ${r.signal ?? `code ${exitCode}`} outside any test; counted as one failure`,
  );
  c.failed = 1;
}
if (c.skippedNames.length > 0) console.log(`skipped on ${mode}: ${c.skippedNames.join("; ")}`);
if (c.passed + c.failed + c.skipped === 0) console.error(`spec/run.mjs: no test ran on ${mode}`);
console.log(`${c.passed} passed, ${c.failed} failed${c.skipped > 0 ? `, ${c.skipped} skipped` : ""}`);
process.exit(c.failed > 0 || c.passed + c.failed + c.skipped === 0 || exitCode !== 0 ? 1 : 0);
