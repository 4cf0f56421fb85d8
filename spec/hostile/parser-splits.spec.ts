// Property: however a valid response is cut into reads, ResponseParser reports the same
// interim responses, status, fields, body and trailers, and leaves the next message's bytes
// untouched. Seeded (HOSTILE_SEED replays a failure); the seed is printed when one fails.
import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ResponseParser } from "../../lib/http1/parse.ts";
import type { Http1Head as ResponseHead } from "../../lib/http1/parse.ts";
import { HansomError } from "../../lib/index.ts";
import { bytes, latin1 } from "./harness.ts";
import { check, concat, expectedHeaders, expectedKeepAlive, responseModel, runSeed, wire } from "./responses.ts";
import type { ResponseModel } from "./responses.ts";

const SEED = runSeed();
const NEXT = bytes("HTTP/1.1 204 No Content\r\nX-Next: 1\r\n\r\n");

interface Parsed {
  interims: Array<[number, Array<[string, string]>]>;
  head: ResponseHead | null;
  body: Uint8Array;
  trailers: Array<[string, string]> | null;
  complete: boolean;
  /** Bytes fed after the message completed. */
  rest: Uint8Array;
}

/** Feeds the pieces as a connection would (resuming after onHead) and records what came out. */
function parse(pieces: Uint8Array[], eof: boolean): Parsed {
  const out: Parsed = {
    interims: [],
    head: null,
    body: new Uint8Array(0),
    trailers: null,
    complete: false,
    rest: new Uint8Array(0),
  };
  const body: Uint8Array[] = [];
  const rest: Uint8Array[] = [];
  const p = new ResponseParser({
    onInterim: (s, h) => out.interims.push([s, h]),
    onHead: (h) => {
      assert.equal(out.head, null, "onHead twice");
      out.head = h;
    },
    onBody: (c) => {
      assert.ok(c.length > 0, "onBody with an empty chunk");
      assert.ok(out.head, "onBody before onHead");
      body.push(c.slice());
    },
    onTrailers: (t) => (out.trailers = t),
    onComplete: () => {
      assert.equal(out.complete, false, "onComplete twice");
      out.complete = true;
    },
  });
  p.reset(false);
  for (const piece of pieces) {
    let off = 0;
    while (off < piece.length) {
      if (p.state === "done") {
        rest.push(piece.subarray(off));
        break;
      }
      const hadHead = out.head !== null;
      const n = p.execute(piece.subarray(off));
      assert.ok(n >= 0 && n <= piece.length - off, `execute returned ${n}`);
      if (n === 0 && hadHead === (out.head !== null) && (p.state as string) !== "done")
        assert.fail("execute consumed nothing without an event");
      off += n;
    }
  }
  if (eof && p.state !== "done") p.finish();
  out.body = concat(body);
  out.rest = concat(rest);
  return out;
}

/** Asserts that what the parser made of `pieces` is what the model says. */
function assertParsed(m: ResponseModel, got: Parsed, tail: Uint8Array, where: string): void {
  assert.deepEqual(
    got.interims,
    m.interims.map((i) => [i.status, i.headers]),
    `interims (${where})`,
  );
  assert.ok(got.head, `no head (${where})`);
  const h = got.head;
  assert.equal(h.status, m.status, where);
  assert.equal(h.statusText, m.reason, where);
  assert.equal(h.httpVersion, m.minor === 0 ? "1.0" : "1.1", where);
  assert.deepEqual(h.rawHeaders, expectedHeaders(m), `headers (${where})`);
  assert.equal(h.framing, m.framing, where);
  assert.equal(h.contentLength, m.framing === "length" ? m.body.length : null, where);
  assert.equal(h.keepAlive, expectedKeepAlive(m), `keepAlive (${where})`);
  assert.ok(
    got.body.length === m.body.length && Buffer.from(got.body).equals(Buffer.from(m.body)),
    `body: ${got.body.length} bytes, expected ${m.body.length} (${where})`,
  );
  assert.deepEqual(got.trailers, m.trailers.length ? m.trailers : null, `trailers (${where})`);
  assert.equal(got.complete, true, where);
  assert.equal(latin1(got.rest), latin1(tail), `unread tail (${where})`);
}

/** The input for a model: its wire bytes, then the next message unless the body ends at the close. */
function input(m: ResponseModel): { all: Uint8Array; tail: Uint8Array; eof: boolean } {
  const eof = m.framing === "close";
  const tail = eof ? new Uint8Array(0) : NEXT;
  return { all: concat([wire(m), tail]), tail, eof };
}

/** Cuts at the given points (taken modulo the length, sorted, duplicates kept: empty reads). */
function cutAt(all: Uint8Array, points: number[]): Uint8Array[] {
  const at = points.map((p) => p % (all.length + 1)).sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const a of [...at, all.length]) {
    out.push(all.subarray(prev, a));
    prev = a;
  }
  return out;
}

test("parser splits - any cut of a valid response parses the same (random cuts)", async () => {
  await check(
    "parser random splits",
    SEED,
    fc.property(responseModel, fc.array(fc.nat(), { maxLength: 12 }), (m, points) => {
      const { all, tail, eof } = input(m);
      assertParsed(m, parse([all], eof), tail, "whole");
      const pieces = cutAt(all, points);
      assertParsed(m, parse(pieces, eof), tail, `cut into ${pieces.map((p) => p.length).join("+")}`);
    }),
    400,
  );
});

test("parser splits - every 2-way split and byte by byte, on a sample of responses", () => {
  const sample = fc.sample(
    responseModel.filter((m) => wire(m).length <= 1500),
    { seed: SEED, numRuns: 25 },
  );
  for (const m of sample) {
    const { all, tail, eof } = input(m);
    try {
      for (let k = 0; k <= all.length; k++)
        assertParsed(m, parse([all.subarray(0, k), all.subarray(k)], eof), tail, `split at ${k}`);
      assertParsed(
        m,
        parse(
          Array.from(all, (_, i) => all.subarray(i, i + 1)),
          eof,
        ),
        tail,
        "byte by byte",
      );
    } catch (e) {
      throw new Error(
        `seed ${SEED} (replay: HOSTILE_SEED=${SEED}), response ${JSON.stringify(latin1(all).slice(0, 300))}: ${(e as Error).message}`,
        { cause: e },
      );
    }
  }
});

test("parser splits - a close-delimited body ends at EOF, any other cut short at EOF is closed", () => {
  const sample = fc.sample(
    responseModel.filter((m) => m.framing !== "none" && m.body.length > 0),
    { seed: SEED + 1, numRuns: 40 },
  );
  for (const m of sample) {
    const all = wire(m);
    const cutAtBody = all.length - 1; // one byte short
    const short = all.subarray(0, cutAtBody);
    if (m.framing === "close") {
      const got = parse([short], true);
      assert.equal(got.body.length, m.body.length - 1, `seed ${SEED + 1}`);
      continue;
    }
    assert.throws(
      () => parse([short], true),
      (e: unknown) => e instanceof HansomError && e.code === "closed",
      `seed ${SEED + 1}: a ${m.framing} response cut one byte short must end in closed`,
    );
  }
});
