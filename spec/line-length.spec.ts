// House rule: no line in lib/ over 120 columns (Biome's formatter keeps code there; comments and
// long strings are this spec's to catch).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
const root = here.includes(join("dist", "spec")) ? join(here, "..", "..") : join(here, "..");

test("lib - no line is over 120 columns", () => {
  const long: string[] = [];
  for (const f of readdirSync(join(root, "lib"), { recursive: true })) {
    const name = String(f);
    if (!name.endsWith(".ts")) continue;
    readFileSync(join(root, "lib", name), "utf8")
      .split("\n")
      .forEach((line, i) => {
        if ([...line].length > 120) long.push(`lib/${name}:${i + 1} (${[...line].length})`);
      });
  }
  assert.deepEqual(long, []);
});
