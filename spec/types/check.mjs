// Type-checks consumer code against the BUILT package (dist/lib/index.d.ts), the way a project
// that installed hansom sees it, under three setups:
//   ts5.9-dom   TypeScript 5.9, lib ES2023 + DOM, no Node types
//   ts6-node24  TypeScript 6 + @types/node 24, lib ES2023 (no DOM), skipLibCheck false
//   bun         the tsconfig `bun init` writes, with @types/bun and the TypeScript it installs
// plus a scan of the .d.ts files reachable from dist/lib/index.d.ts (no @internal member, no
// `any`, no Node-only reference). Usage: `node spec/types/check.mjs` (npm run typecheck:consumers).
//
// The compilers and type packages are installed on first use into spec/types/.deps/<setup>
// (git-ignored; HANSOM_TYPES_DEPS moves it), never into the repo's dependencies. Each setup gets a
// scratch project there: a copy of package.json and dist/lib/**/*.d.ts as node_modules/hansom, and
// the cases of spec/types/cases/*.ts.txt as .ts files. The package is rebuilt first (npm run
// build) when dist is missing or older than lib/.
//
// A case line under `// @ts-expect-error TS2339` (or `TS2339 | TS2345`) must fail with that code.
// The directive is removed from the copy that is compiled, so each expected error is checked for
// its code, and every other error, in the cases or in hansom's .d.ts, fails the setup.
import { spawn, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, "..", "..");
const depsRoot = resolve(process.env.HANSOM_TYPES_DEPS || join(here, ".deps"));
const casesDir = join(here, "cases");

/** Consumer setups: what to install, and the tsconfig a consumer would have. */
const SETUPS = [
  {
    name: "ts5.9-dom",
    deps: ["typescript@5.9"],
    describe: (v) => `TypeScript ${v.typescript}, lib ES2023 + DOM, no Node types`,
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      lib: ["ES2023", "DOM", "DOM.Iterable", "DOM.AsyncIterable"],
      types: [],
      strict: true,
      skipLibCheck: false,
      noEmit: true,
    },
  },
  {
    name: "ts6-node24",
    deps: ["typescript@6", "@types/node@24"],
    describe: (v) => `TypeScript ${v.typescript} + @types/node ${v["@types/node"]}, lib ES2023, no DOM`,
    compilerOptions: {
      target: "ES2022",
      module: "NodeNext",
      moduleResolution: "NodeNext",
      lib: ["ES2023"],
      types: ["node"],
      strict: true,
      skipLibCheck: false,
      noEmit: true,
    },
  },
  {
    name: "bun",
    // What `bun init` installs: @types/bun and the TypeScript its peerDependency names.
    deps: ["typescript@7", "@types/bun@1.4"],
    describe: (v) => `TypeScript ${v.typescript} + @types/bun ${v["@types/bun"]}, bun init's tsconfig`,
    // `bun init`'s tsconfig.json as written by Bun 1.4, comments removed.
    compilerOptions: {
      lib: ["ESNext"],
      target: "ESNext",
      module: "Preserve",
      moduleDetection: "force",
      jsx: "react-jsx",
      allowJs: true,
      types: ["bun"],
      moduleResolution: "bundler",
      allowImportingTsExtensions: true,
      verbatimModuleSyntax: true,
      noEmit: true,
      strict: true,
      skipLibCheck: true,
      noFallthroughCasesInSwitch: true,
      noUncheckedIndexedAccess: true,
      noImplicitOverride: true,
      noUnusedLocals: false,
      noUnusedParameters: false,
      noPropertyAccessFromIndexSignature: false,
    },
  },
];

/** Members of public classes marked @internal in lib/, by the .d.ts that declares the class. */
const INTERNAL_MEMBERS = {
  "pool.d.ts": ["checkout", "release"],
  "response.d.ts": ["continued", "preload"],
  "connection.d.ts": ["open"],
  "events.d.ts": ["pipeTo"],
};

/** Every file under `dir` (relative paths, "/" separators). */
function walk(dir) {
  return readdirSync(dir, { recursive: true })
    .map((f) => String(f).split(sep).join("/"))
    .filter((f) => statSync(join(dir, f)).isFile());
}

/** Runs the build when dist/lib/index.d.ts is missing or older than lib/ or tsconfig.json. */
function ensureBuilt() {
  const index = join(root, "dist", "lib", "index.d.ts");
  const built = existsSync(index) ? statSync(index).mtimeMs : 0;
  const sources = [
    join(root, "tsconfig.json"),
    join(root, "package.json"),
    ...walk(join(root, "lib")).map((f) => join(root, "lib", f)),
  ];
  if (built > 0 && sources.every((f) => statSync(f).mtimeMs <= built)) return;
  console.error("spec/types: dist is missing or older than lib/; running npm run build");
  const r = spawnSync("npm", ["run", "build", "--silent"], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) {
    console.log("0 passed, 1 failed");
    process.exit(1);
  }
}

/** Installs a setup's packages into its own folder unless the same list is already there. */
function ensureDeps(setup) {
  const dir = join(depsRoot, setup.name);
  const stamp = join(dir, ".installed");
  const want = setup.deps.join(" ");
  if (
    existsSync(stamp) &&
    readFileSync(stamp, "utf8") === want &&
    existsSync(join(dir, "node_modules", "typescript", "package.json"))
  )
    return dir;
  console.error(`spec/types: installing ${want} into ${dir.startsWith(root + sep) ? relative(root, dir) : dir}`);
  mkdirSync(dir, { recursive: true });
  const r = spawnSync(
    "npm",
    ["install", "--prefix", dir, "--no-audit", "--no-fund", "--loglevel=error", ...setup.deps],
    { stdio: ["ignore", "ignore", "inherit"] },
  );
  if (r.status !== 0) throw new Error(`npm install ${want} failed (exit ${r.status})`);
  writeFileSync(stamp, want);
  return dir;
}

/** Installed versions of the setup's packages, by name. */
function versions(dir, setup) {
  const out = {};
  for (const d of setup.deps) {
    const name = d.slice(0, d.lastIndexOf("@"));
    out[name] = JSON.parse(readFileSync(join(dir, "node_modules", name, "package.json"), "utf8")).version;
  }
  return out;
}

/** A case file with its @ts-expect-error directives turned into expectations on the next line. */
function prepareCase(file) {
  const lines = readFileSync(join(casesDir, file), "utf8").split("\n");
  const expected = new Map(); // 1-based line -> allowed codes (empty: any code)
  lines.forEach((line, i) => {
    const m = /\/\/\s*@ts-expect-error\b(.*)$/.exec(line);
    if (!m) return;
    const codes = [...m[1].matchAll(/\bTS(\d+)\b/g)].map((c) => `TS${c[1]}`);
    expected.set(i + 2, codes);
    lines[i] = line.replace("@ts-expect-error", "expected error:");
  });
  return { name: file.replace(/\.ts\.txt$/, ".ts"), text: lines.join("\n"), expected };
}

/** A fresh scratch project for one setup: the cases, the built package, a tsconfig. */
function writeProject(dir, setup, cases) {
  const project = join(dir, "project");
  rmSync(project, { recursive: true, force: true });
  const pkg = join(project, "node_modules", "hansom");
  mkdirSync(pkg, { recursive: true });
  cpSync(join(root, "package.json"), join(pkg, "package.json"));
  for (const f of walk(join(root, "dist", "lib")).filter((f) => f.endsWith(".d.ts"))) {
    mkdirSync(dirname(join(pkg, "dist", "lib", f)), { recursive: true });
    cpSync(join(root, "dist", "lib", f), join(pkg, "dist", "lib", f));
  }
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module" }));
  writeFileSync(
    join(project, "tsconfig.json"),
    JSON.stringify({ compilerOptions: setup.compilerOptions, include: ["*.ts"] }, null, 2),
  );
  for (const c of cases) writeFileSync(join(project, c.name), c.text);
  return project;
}

/** Runs tsc on a project; resolves with its exit code and output. */
function tsc(dir, project) {
  const bin = join(dir, "node_modules", "typescript", "bin", "tsc");
  return new Promise((done) => {
    const p = spawn(process.execPath, [bin, "-p", project, "--pretty", "false", "--listFiles"], { cwd: project });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.stderr.on("data", (d) => (out += d));
    p.on("close", (code) => done({ code, out }));
  });
}

/** Compares tsc's errors with the expectations; returns the problems found. */
function judge(project, cases, { code, out }) {
  const problems = [];
  const errors = [];
  const files = [];
  for (const line of out.split("\n")) {
    const m = /^(.+?)\((\d+),(\d+)\): error (TS\d+): (.*)$/.exec(line);
    if (m)
      errors.push({ file: m[1], line: Number(m[2]), code: m[4], text: `${m[1]}(${m[2]},${m[3]}): ${m[4]} ${m[5]}` });
    else if (/^error TS\d+/.test(line)) problems.push(line);
    else if (line.startsWith("/") || /^[A-Za-z]:[\\/]/.test(line)) files.push(line.trim());
  }
  // Everything the program loaded must come from this setup's folder, not from the repo's own node_modules.
  const base = dirname(project);
  for (const f of files) if (!resolve(f).startsWith(base + sep)) problems.push(`loaded from outside the setup: ${f}`);
  if (
    !files.some(
      (f) =>
        f.includes(`node_modules${sep}hansom${sep}dist${sep}lib${sep}index.d.ts`) ||
        f.includes("node_modules/hansom/dist/lib/index.d.ts"),
    )
  ) {
    problems.push("hansom did not resolve to node_modules/hansom/dist/lib/index.d.ts");
  }
  const byCase = new Map(cases.map((c) => [c.name, c]));
  const hit = new Set();
  for (const e of errors) {
    const c = byCase.get(e.file);
    const codes = c?.expected.get(e.line);
    if (codes && (codes.length === 0 || codes.includes(e.code))) hit.add(`${e.file}:${e.line}`);
    else problems.push(`unexpected ${e.text}`);
  }
  for (const c of cases) {
    for (const [line, codes] of c.expected) {
      if (!hit.has(`${c.name}:${line}`))
        problems.push(`${c.name}(${line}): expected ${codes.length ? codes.join(" or ") : "an error"}, got none`);
    }
  }
  if (code !== 0 && errors.length === 0 && problems.length === 0) problems.push(`tsc exited ${code}:\n${out.trim()}`);
  return problems;
}

/** The .d.ts files reachable from dist/lib/index.d.ts through relative imports. */
function reachable() {
  const seen = new Set();
  const queue = [join(root, "dist", "lib", "index.d.ts")];
  while (queue.length > 0) {
    const f = queue.pop();
    if (seen.has(f) || !existsSync(f)) continue;
    seen.add(f);
    for (const m of readFileSync(f, "utf8").matchAll(/(?:from\s+|import\()"(\.[^"]+)"/g)) {
      queue.push(join(dirname(f), m[1].replace(/\.(ts|js)$/, ".d.ts")));
    }
  }
  return [...seen];
}

/** What a .d.ts must not hold: @internal declarations, `any`, Node-only references. */
function scanDist() {
  const files = reachable();
  const problems = [];
  for (const f of files) {
    const rel = relative(root, f);
    const text = readFileSync(f, "utf8");
    if (text.includes("@internal")) problems.push(`${rel}: an @internal declaration was emitted (stripInternal off?)`);
    if (/\/\/\/\s*<reference/.test(text)) problems.push(`${rel}: a /// <reference> directive`);
    if (/["']node:|from "(fs|net|tls|stream|zlib|buffer)"/.test(text)) problems.push(`${rel}: imports a Node module`);
    const code = text
      .replace(/\/\*[\s\S]*?\*\//g, "")
      .replace(/\/\/.*$/gm, "")
      .replace(/"(?:[^"\\]|\\.)*"/g, '""');
    if (/\bany\b/.test(code)) problems.push(`${rel}: an \`any\` in a public type`);
    for (const name of INTERNAL_MEMBERS[rel.replace(/^dist\/lib\//, "")] ?? []) {
      if (new RegExp(`^\\s+(?:readonly\\s+)?${name}\\??\\s*[(:<]`, "m").test(code))
        problems.push(`${rel}: declares the internal member ${name}`);
    }
  }
  return { count: files.length, problems };
}

/** Runs `jobs` (functions returning promises), at most `limit` at a time, results in order. */
async function pooled(jobs, limit) {
  const results = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
  return results;
}

const started = Date.now();
ensureBuilt();
const caseFiles = readdirSync(casesDir)
  .filter((f) => f.endsWith(".ts.txt"))
  .sort();
const cases = caseFiles.map(prepareCase);
const mustFail = cases.reduce((n, c) => n + c.expected.size, 0);
let passed = 0;
let failed = 0;
const report = (ok, label, detail, problems) => {
  if (ok) passed++;
  else failed++;
  console.log(`${ok ? "ok  " : "FAIL"} ${label.padEnd(11)} ${detail}`);
  for (const p of problems) console.log(`       ${p.split("\n").join("\n       ")}`);
};

// Two at a time: the machine's cores are shared.
const results = await pooled(
  SETUPS.map((setup) => async () => {
    try {
      const dir = ensureDeps(setup);
      const project = writeProject(dir, setup, cases);
      const problems = judge(project, cases, await tsc(dir, project));
      return { setup, detail: setup.describe(versions(dir, setup)), problems };
    } catch (e) {
      return { setup, detail: "", problems: [String(e?.message ?? e)] };
    }
  }),
  2,
);
for (const r of results)
  report(
    r.problems.length === 0,
    r.setup.name,
    `${r.detail}: ${cases.length} case files, ${mustFail} must-fail lines`,
    r.problems,
  );
const dist = scanDist();
report(
  dist.problems.length === 0,
  "dist",
  `${dist.count} .d.ts files reachable from dist/lib/index.d.ts: no @internal member, no any, no Node import`,
  dist.problems,
);
console.log(`(${((Date.now() - started) / 1000).toFixed(1)} s)`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
