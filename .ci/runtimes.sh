#!/bin/sh
# Installs the runtimes the spec modes use (spec/run.mjs node24 | deno | bun) into .ci/runtimes
# (git-ignored), from the npm registry: deno@2, bun@1 and node-<platform>@24. Idempotent: when
# all three run already it only prints their versions.
set -eu
cd "$(dirname "$0")/.."
PREFIX=.ci/runtimes
NM="$PREFIX/node_modules"
PLATFORM=$(node -p 'process.platform + "-" + process.arch')
NODE24="$NM/node-$PLATFORM/bin/node"

runs() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }
node24_ok() { runs "$NODE24" && "$NODE24" --version | grep -q '^v24\.'; }

# Newer npm versions skip install scripts unless allowed; deno's and bun's postinstall only put
# the binary from their platform package in place (no download), so run them ourselves.
fix_bin() { # <package dir> <postinstall script> <bin>
  if ! runs "$3" && [ -f "$1/$2" ]; then (cd "$1" && node "$2" >/dev/null 2>&1) || true; fi
}

if ! node24_ok || ! runs "$NM/.bin/deno" || ! runs "$NM/.bin/bun"; then
  mkdir -p "$PREFIX"
  # One command for all three: npm prunes what a --no-save install does not name.
  npm install --no-save --no-audit --no-fund --prefix "$PREFIX" deno@2 bun@1 "node-$PLATFORM@24"
  fix_bin "$NM/deno" install.cjs "$NM/.bin/deno"
  fix_bin "$NM/bun" install.js "$NM/.bin/bun"
fi

status=0
if node24_ok; then echo "node24 $("$NODE24" --version)   $NODE24"; else echo "node24: not working ($NODE24)" >&2; status=1; fi
if runs "$NM/.bin/deno"; then echo "deno   $("$NM/.bin/deno" --version | head -1)   $NM/.bin/deno"; else echo "deno: not working" >&2; status=1; fi
if runs "$NM/.bin/bun"; then echo "bun    $("$NM/.bin/bun" --version)   $NM/.bin/bun"; else echo "bun: not working" >&2; status=1; fi
exit $status
