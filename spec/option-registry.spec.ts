// The option registry against what users read: every `@default` in RequestOptions' doc comments
// must be the registry's DEFAULTS value, every option must have a registry entry, and the pool
// key must come from the entries marked as shaping the connection.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import { DEFAULTS, KEY_OPTIONS, OPTIONS, validateOptions } from "../lib/option-registry.ts";
import { HansomError } from "../lib/errors.ts";

const here = dirname(fileURLToPath(import.meta.url));
const root = here.includes(join("dist", "spec")) ? join(here, "..", "..") : join(here, "..");

/** `name -> @default text` from the doc comments of RequestOptions in lib/options.ts. */
function documentedDefaults(): Map<string, string> {
  const src = readFileSync(join(root, "lib", "options.ts"), "utf8");
  const body = src.slice(src.indexOf("export interface RequestOptions"));
  const out = new Map<string, string>();
  for (const m of body.matchAll(/\/\*\*([^*]|\*(?!\/))*?@default ([^*\n]+?)\s*\*\/\s*(\w+)\?:/g))
    out.set(m[3]!, m[2]!.trim());
  return out;
}

test("option registry - each documented @default is the DEFAULTS value", () => {
  const docs = documentedDefaults();
  assert.ok(docs.size >= Object.keys(DEFAULTS).length, `found ${docs.size} @default tags`);
  for (const [name, value] of Object.entries(DEFAULTS)) {
    assert.equal(
      docs.get(name),
      String(value),
      `${name}: the doc comment says ${docs.get(name)}, DEFAULTS says ${value}`,
    );
  }
  for (const [name, text] of docs) {
    if (/^(\d+|true|false)$/.test(text))
      assert.ok(name in DEFAULTS, `${name} documents @default ${text} but DEFAULTS has no entry`);
  }
});

test("option registry - every option is known; unknown ones and bad values are invalid_option", () => {
  const names = Object.keys(OPTIONS);
  assert.ok(names.includes("recvTimeout") && names.includes("maxHeaderSize"));
  const code = (o: unknown): string | undefined => {
    try {
      validateOptions(o);
      return undefined;
    } catch (e) {
      assert.ok(e instanceof HansomError);
      return e.code;
    }
  };
  assert.equal(code({ recvTimeout: 10, headers: null, signal: undefined }), undefined);
  for (const bad of [
    { recvTimout: 1 },
    { followRedirects: true },
    { tls: { caa: "x" } },
    { tls: { ca: 123 } },
    { maxHeaderSize: 0 },
    { connectTimeout: -1 },
    "nope",
  ]) {
    assert.equal(code(bad), "invalid_option", JSON.stringify(bad));
  }
  assert.equal(code({ headers: { "bad name": "x" } }), "invalid_header");
  assert.equal(code({ cookie: "a=1\r\nX: y" }), "invalid_header");
});

test("option registry - the pool key options are the connection-shaping ones", () => {
  assert.deepEqual([...KEY_OPTIONS].sort(), [
    "http2PriorKnowledge",
    "insecure",
    "protocols",
    "proxy",
    "proxyTls",
    "socketPath",
    "tls",
  ]);
  for (const k of KEY_OPTIONS) assert.equal(OPTIONS[k].scope, "connection");
});

test("option registry - the docs' options table lists every option, with DEFAULTS' values", () => {
  const md = readFileSync(join(root, "docs", "requests.md"), "utf8");
  const rows = new Map<string, string>();
  for (const m of md.matchAll(/^\| `(\w+)` \| .*? \| (.*?) \| .* \|$/gm)) rows.set(m[1]!, m[2]!.trim());
  for (const name of Object.keys(OPTIONS)) assert.ok(rows.has(name), `docs/requests.md has no row for ${name}`);
  for (const [name, value] of Object.entries(DEFAULTS)) {
    const cell = rows.get(name) ?? "";
    assert.ok(
      cell.includes(`\`${String(value)}\``),
      `docs/requests.md says the default of ${name} is ${cell}, DEFAULTS says ${value}`,
    );
  }
});
