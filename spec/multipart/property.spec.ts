import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { MultipartDecoder } from "../../lib/multipart/decode.ts";
import { encodeMultipart, multipartLength } from "../../lib/multipart/encode.ts";
import type { Part } from "../../lib/multipart/encode.ts";
import { concat, cut, feed } from "../helpers/chunks.ts";

const enc = new TextEncoder();
const dec = new TextDecoder();
const RUNS = 150;

function indexOf(hay: Uint8Array, needle: Uint8Array): number {
  outer: for (let i = 0; i + needle.length <= hay.length; i++) {
    for (let k = 0; k < needle.length; k++) if (hay[i + k] !== needle[k]) continue outer;
    return i;
  }
  return -1;
}

/** Splits bytes at arbitrary cut points (sorted, clamped). */
function split(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  return cut(
    bytes,
    cuts.map((c) => c % (bytes.length + 1)).sort((a, b) => a - b),
  );
}

/** A decoded tree: parts with headers and joined bodies; nested levels as { mixed, parts }. */
type Tree = Array<{ headers: Array<[string, string]>; body: Uint8Array } | { mixed: string; parts: Tree }>;

async function decodeTree(chunks: Uint8Array[], boundary: string): Promise<Tree> {
  const stack: Tree[] = [[]];
  let cur: { headers: Array<[string, string]>; body: Uint8Array[] } | null = null;
  let sawEof = false;
  for await (const ev of new MultipartDecoder(feed(chunks), boundary).events()) {
    const level = stack[stack.length - 1]!;
    switch (ev.type) {
      case "headers":
        cur = { headers: ev.headers, body: [] };
        break;
      case "body":
        cur!.body.push(ev.chunk);
        break;
      case "end_of_part":
        level.push({ headers: cur!.headers, body: concat(cur!.body) });
        cur = null;
        break;
      case "mp_mixed": {
        const inner: Tree = [];
        level.push({ mixed: ev.boundary, parts: inner });
        stack.push(inner);
        break;
      }
      case "mp_mixed_eof":
        stack.pop();
        break;
      case "eof":
        sawEof = true;
        break;
    }
  }
  assert.equal(sawEof, true);
  assert.equal(stack.length, 1);
  return stack[0]!;
}

// --- a reference serialiser for the decoder property, independent of lib/multipart/encode.ts ---

const BCHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz'()+_,-./:=?";
const boundaryArb = fc.array(fc.constantFrom(...BCHARS), { minLength: 1, maxLength: 70 }).map((a) => a.join(""));
const tokenArb = fc
  .array(fc.constantFrom(..."abcXYZ-_!#09"), { minLength: 1, maxLength: 12 })
  .map((a) => a.join(""))
  .filter((n) => n.toLowerCase() !== "content-type");
const valueArb = fc.string({ unit: "grapheme", maxLength: 24 }).map((s) => s.replace(/[\r\n]/g, "").trim());

/** Bytes rich in CR, LF, "-" and pieces of the boundary, to find the decoder's near misses. */
function bytesArb(boundary: string): fc.Arbitrary<Uint8Array> {
  const piece = fc.oneof(
    fc.uint8Array({ maxLength: 64 }),
    fc.constantFrom("\r", "\n", "\r\n", "-", "--", "\r\n-", "\r\n--").map((s) => enc.encode(s)),
    fc.nat({ max: boundary.length - 1 }).map((n) => enc.encode(`\r\n--${boundary.slice(0, n)}`)), // a strict prefix: a near miss
    fc
      .constantFrom(`\n--${boundary}`, `\r--${boundary}`, `\r\n-${boundary}`, `--${boundary}`)
      .map((s) => enc.encode(s)), // not at a CRLF
  );
  return fc.array(piece, { maxLength: 16, size: "medium" }).map(concat);
}

type Model = Array<
  | { headers: Array<[string, string]>; body: Uint8Array }
  | { mixed: string; parts: Model; preamble: Uint8Array; epilogue: Uint8Array }
>;

function modelArb(boundary: string, depth: number): fc.Arbitrary<Model> {
  const leaf = fc.record({
    headers: fc.array(fc.tuple(tokenArb, valueArb), { maxLength: 3 }),
    body: bytesArb(boundary),
  });
  if (depth === 0) return fc.array(leaf, { maxLength: 4 });
  const mixed = boundaryArb.chain((inner) =>
    fc.record({
      mixed: fc.constant(inner),
      parts: modelArb(inner, depth - 1),
      preamble: bytesArb(inner),
      epilogue: bytesArb(boundary),
    }),
  );
  return fc.array(fc.oneof({ weight: 2, arbitrary: leaf }, { weight: 1, arbitrary: mixed }), {
    minLength: 1,
    maxLength: 5,
  });
}

const padArb = fc.array(fc.constantFrom(" ", "\t"), { maxLength: 3 }).map((a) => a.join(""));

/** Serialises a model; undefined when random bytes happen to hold a live delimiter (the input is then invalid). */
function serialise(
  model: Model,
  boundary: string,
  preamble: Uint8Array,
  epilogue: Uint8Array,
  pads: string[],
  active: string[],
): Uint8Array | undefined {
  const needles = [...active, boundary].map((b) => enc.encode(`\r\n--${b}`));
  const clean = (bytes: Uint8Array, ns: Uint8Array[]) => ns.every((n) => indexOf(bytes, n) < 0);
  if (!clean(preamble, needles) || dec.decode(preamble).startsWith(`--${boundary}`)) return undefined;
  const out: Uint8Array[] = [preamble, enc.encode(preamble.length ? `\r\n--${boundary}` : `--${boundary}`)];
  for (const p of model) {
    out.push(enc.encode(`${pads.pop() ?? ""}\r\n`));
    if ("mixed" in p) {
      if (active.concat(boundary).some((b) => p.mixed.startsWith(b) || b.startsWith(p.mixed))) return undefined;
      out.push(enc.encode(`Content-Type: multipart/mixed; boundary="${p.mixed}"\r\n\r\n`));
      const inner = serialise(p.parts, p.mixed, p.preamble, new Uint8Array(0), pads, [...active, boundary]);
      if (!inner || !clean(p.epilogue, needles)) return undefined;
      out.push(inner, p.epilogue);
    } else {
      out.push(enc.encode(p.headers.map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n"));
      if (!clean(p.body, needles)) return undefined;
      out.push(p.body);
    }
    out.push(enc.encode(`\r\n--${boundary}`));
  }
  out.push(enc.encode("--"), epilogue);
  return concat(out);
}

function expectedTree(model: Model): Tree {
  return model.map((p) =>
    "mixed" in p ? { mixed: p.mixed, parts: expectedTree(p.parts) } : { headers: p.headers, body: p.body },
  );
}

test("multipart property - any split of any generated multipart stream decodes to the same events", {
  timeout: 30_000,
}, async () => {
  const stats = { runs: 0, nested: 0, bytes: 0 };
  const streamArb = boundaryArb.chain((b) =>
    fc.record({
      b: fc.constant(b),
      model: modelArb(b, 2),
      preamble: bytesArb(b),
      epilogue: fc.uint8Array({ maxLength: 16 }),
      pads: fc.array(padArb, { maxLength: 8 }),
      cuts: fc.array(fc.nat(), { maxLength: 8 }),
    }),
  );
  await fc.assert(
    fc.asyncProperty(streamArb, async ({ b, model, preamble, epilogue, pads, cuts }) => {
      const bytes = serialise(model, b, preamble, epilogue, [...pads], []); // a copy: pop() must not touch fast-check's value
      fc.pre(bytes !== undefined);
      const expected = expectedTree(model);
      stats.runs++;
      stats.bytes += bytes!.length;
      if (model.some((p) => "mixed" in p)) stats.nested++;
      assert.deepEqual(await decodeTree(split(bytes!, cuts), b), expected);
      // Byte by byte too, the harshest split.
      assert.deepEqual(
        await decodeTree(
          Array.from(bytes!, (_, i) => bytes!.subarray(i, i + 1)),
          b,
        ),
        expected,
      );
    }),
    { numRuns: RUNS },
  );
  // The generator must keep producing real work: valid streams, some of them nested.
  assert.ok(stats.runs >= RUNS && stats.nested >= RUNS / 4 && stats.bytes / stats.runs > 200, JSON.stringify(stats));
});

// --- encode then decode ---

const nameArb = fc.string({ unit: "grapheme", maxLength: 12 }).filter((s) => !s.includes("%"));
const extraArb = fc
  .array(
    fc.tuple(
      fc.constantFrom("X-One", "x-two", "Content-Type", "content-length"),
      fc.string({ maxLength: 10 }).map((s) => s.replace(/[\r\n\0]/g, "").trim()),
    ),
    { maxLength: 2 },
  )
  .filter(
    (hs) =>
      new Set(hs.map(([k]) => k.toLowerCase())).size === hs.length &&
      !hs.some(([k, v]) => k.toLowerCase() === "content-type" && /^\s*multipart\//i.test(v)),
  );
const partArb: fc.Arbitrary<Part> = fc.letrec<{ part: Part; parts: Part[] }>((tie) => ({
  part: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.record({
        name: nameArb,
        value: fc.oneof(fc.string({ unit: "grapheme", maxLength: 40 }), fc.uint8Array({ maxLength: 200 })),
        headers: extraArb,
      }),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({
          name: nameArb,
          chunks: fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 4 }),
          filename: nameArb,
        })
        .map(({ name, chunks, filename }) => ({
          name,
          filename,
          length: chunks.reduce((n, c) => n + c.length, 0),
          stream: (async function* () {
            yield* chunks;
          })(),
        })),
    },
    { weight: 1, depthSize: "small", arbitrary: fc.record({ mixed: nameArb, parts: tie("parts") }) },
  ) as fc.Arbitrary<Part>,
  parts: fc.array(tie("part"), { maxLength: 3 }) as fc.Arbitrary<Part[]>,
})).part;

function unescapeQuoted(quoted: string): string {
  assert.ok(!/["\r\n]/.test(quoted));
  return quoted.replace(/%22/g, '"').replace(/%0D/g, "\r").replace(/%0A/g, "\n").replace(/%00/g, "\0");
}

/** Checks a decoded tree against the parts it came from. */
function checkTree(tree: Tree, parts: Part[]): void {
  assert.equal(tree.length, parts.length);
  parts.forEach((p, i) => {
    const t = tree[i]!;
    if ("mixed" in p) {
      assert.ok("mixed" in t);
      checkTree(t.parts, p.parts);
      return;
    }
    assert.ok(!("mixed" in t));
    const h = new Map(t.headers.map(([k, v]) => [k.toLowerCase(), v]));
    const cd = /^form-data; name="([^"]*)"(?:; filename="([^"]*)")?(?:; filename\*=UTF-8''(.*))?$/.exec(
      h.get("content-disposition")!,
    );
    assert.ok(cd, h.get("content-disposition"));
    assert.equal(unescapeQuoted(cd[1]!), p.name);
    const extra = (("headers" in p ? p.headers : undefined) ?? []) as Array<[string, string]>;
    for (const [k, v] of extra)
      assert.ok(
        t.headers.some(([dk, dv]) => dk === k && dv === v),
        `extra header ${k}`,
      );
    assert.ok(h.has("content-type"));
    if ("value" in p) {
      const bytes = typeof p.value === "string" ? enc.encode(p.value) : p.value;
      assert.deepEqual(t.body, bytes);
      if (!extra.some(([k]) => k.toLowerCase() === "content-length"))
        assert.equal(h.get("content-length"), String(bytes.length));
    } else if ("stream" in p) {
      assert.equal(unescapeQuoted(cd[2]!), p.filename);
      if (/[^\x00-\x7f]/.test(p.filename!)) assert.equal(decodeURIComponent(cd[3]!), p.filename);
      else assert.equal(cd[3], undefined);
      assert.equal(t.body.length, p.length);
    }
  });
}

function kinds(parts: Part[], seen: Set<string>): Set<string> {
  for (const p of parts) {
    seen.add(
      "mixed" in p
        ? "mixed"
        : "stream" in p
          ? "stream"
          : typeof (p as { value: unknown }).value === "string"
            ? "string"
            : "bytes",
    );
    if ("mixed" in p) kinds(p.parts, seen);
  }
  return seen;
}

test("multipart property - encode then decode is the identity", { timeout: 30_000 }, async () => {
  const seen = new Set<string>();
  await fc.assert(
    fc.asyncProperty(fc.array(partArb, { maxLength: 5 }), fc.array(fc.nat(), { maxLength: 6 }), async (parts, cuts) => {
      const b = "----prop-boundary";
      const length = await multipartLength(parts, b);
      const body = await encodeMultipart(parts, b);
      const chunks: Uint8Array[] = [];
      for await (const c of body.open() as AsyncIterable<Uint8Array>) chunks.push(c);
      const bytes = concat(chunks);
      assert.equal(bytes.length, length);
      assert.equal(body.length, length);
      checkTree(await decodeTree(split(bytes, cuts), b), parts);
      kinds(parts, seen);
    }),
    { numRuns: RUNS },
  );
  assert.deepEqual([...seen].sort(), ["bytes", "mixed", "stream", "string"]);
});
