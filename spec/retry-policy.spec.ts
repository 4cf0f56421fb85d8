import { test } from "node:test";
import assert from "node:assert/strict";
import {
  DEFAULT_METHODS,
  DEFAULT_STATUS_CODES,
  parseRetryAfter,
  resolveRetry,
  retryDelay,
  sleep,
} from "../lib/retry-policy.ts";
import type { RetryOptions, RetryPolicy } from "../lib/retry-policy.ts";
import type { HansomError } from "../lib/errors.ts";
import { isCode, rejection } from "./helpers/errors.ts";

const NOW = Date.UTC(2024, 0, 15, 12, 0, 0);
const fixed = (ms: number): RetryPolicy => resolveRetry({ backoff: () => ms })!;
const get = (status: number, retryAfterHeader?: string) => ({ method: "GET", status, retryAfterHeader });

/** An invalid_option error whose message names `field`. */
function namesField(field: string) {
  return (e: unknown) => {
    isCode("invalid_option")(e);
    assert.match((e as HansomError).message, new RegExp(field.replace(".", "\\.")));
    return true;
  };
}

test("retry policy - no option, 0 and limit 0 mean no retries", () => {
  assert.equal(resolveRetry(undefined), null);
  assert.equal(resolveRetry(0), null);
  assert.equal(resolveRetry({ limit: 0 }), null);
});

test("retry policy - defaults as got and ky have them", () => {
  for (const p of [resolveRetry({})!, resolveRetry(2)!]) {
    assert.equal(p.limit, 2);
    assert.deepEqual([...p.methods], ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"]);
    assert.deepEqual([...p.statusCodes], [408, 413, 429, 500, 502, 503, 504]);
    assert.equal(p.maxDelay, 30000);
    assert.equal(p.retryAfter, true);
  }
  assert.deepEqual(DEFAULT_METHODS, ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"]);
  assert.deepEqual(DEFAULT_STATUS_CODES, [408, 413, 429, 500, 502, 503, 504]);
  assert.equal(resolveRetry(5)!.limit, 5);
  assert.deepEqual([...resolveRetry({ methods: ["post", "Get"] })!.methods], ["POST", "GET"]);
});

test("retry policy - invalid shapes are invalid_option naming the field", () => {
  const cases: Array<[unknown, string]> = [
    [-1, "retry"],
    [1.5, "retry"],
    [Number.NaN, "retry"],
    ["2", "retry"],
    [null, "retry"],
    [[], "retry"],
    [true, "retry"],
    [{ limit: -1 }, "retry.limit"],
    [{ limit: 2.5 }, "retry.limit"],
    [{ limit: "2" }, "retry.limit"],
    [{ methods: "GET" }, "retry.methods"],
    [{ methods: [1] }, "retry.methods"],
    [{ methods: [""] }, "retry.methods"],
    [{ statusCodes: [99] }, "retry.statusCodes"],
    [{ statusCodes: [600] }, "retry.statusCodes"],
    [{ statusCodes: ["500"] }, "retry.statusCodes"],
    [{ maxDelay: -1 }, "retry.maxDelay"],
    [{ maxDelay: Number.NaN }, "retry.maxDelay"],
    [{ maxDelay: "1s" }, "retry.maxDelay"],
    [{ backoff: 100 }, "retry.backoff"],
    [{ retryAfter: "yes" }, "retry.retryAfter"],
    [{ limitt: 2 }, "retry.limitt"],
  ];
  for (const [opt, field] of cases) {
    assert.throws(() => resolveRetry(opt as RetryOptions), namesField(field), JSON.stringify(opt));
  }
});

test("retry policy - default backoff is full jitter under 300 ms × 2^(attempt-1), capped by maxDelay", () => {
  const p = resolveRetry({ limit: 10 })!;
  for (let attempt = 1; attempt <= 10; attempt++) {
    const bound = Math.min(30000, 300 * 2 ** (attempt - 1));
    let max = 0;
    for (let i = 0; i < 200; i++) {
      const d = retryDelay(p, attempt, get(503), NOW)!;
      assert.ok(d >= 0 && d < bound, `attempt ${attempt}: ${d} within [0, ${bound})`);
      max = Math.max(max, d);
    }
    // Jitter spreads over the whole range, not just a corner of it.
    assert.ok(max > bound / 2, `attempt ${attempt}: max ${max} of ${bound}`);
  }
  const capped = resolveRetry({ limit: 20, maxDelay: 1000 })!;
  for (let i = 0; i < 100; i++) assert.ok(retryDelay(capped, 20, get(500), NOW)! < 1000);
});

test("retry policy - a custom backoff is used, capped by maxDelay, and must return a number", () => {
  const seen: number[] = [];
  const p = resolveRetry({ limit: 3, maxDelay: 5000, backoff: (n) => (seen.push(n), n * 2000) })!;
  assert.equal(retryDelay(p, 1, get(500), NOW), 2000);
  assert.equal(retryDelay(p, 2, get(500), NOW), 4000);
  assert.equal(retryDelay(p, 3, get(500), NOW), 5000);
  assert.deepEqual(seen, [1, 2, 3]);
  for (const bad of [Number.NaN, -1, "10"]) {
    const q = resolveRetry({ backoff: () => bad as number })!;
    assert.throws(() => retryDelay(q, 1, get(500), NOW), namesField("retry.backoff"));
  }
});

test("retry policy - the limit counts retries: attempt 1..limit, nothing after", () => {
  const p = fixed(10);
  assert.equal(retryDelay(p, 0, get(500), NOW), null);
  assert.equal(retryDelay(p, 1, get(500), NOW), 10);
  assert.equal(retryDelay(p, 2, get(500), NOW), 10);
  assert.equal(retryDelay(p, 3, get(500), NOW), null);
});

test("retry policy - only listed methods and statuses are retried", () => {
  const p = fixed(10);
  for (const m of ["GET", "get", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"])
    assert.equal(retryDelay(p, 1, { method: m, status: 502 }, NOW), 10, m);
  for (const m of ["POST", "PATCH", "CONNECT"])
    assert.equal(retryDelay(p, 1, { method: m, status: 502 }, NOW), null, m);
  for (const s of [408, 429, 500, 502, 503, 504]) assert.equal(retryDelay(p, 1, get(s), NOW), 10, String(s));
  for (const s of [200, 301, 400, 401, 404, 501, 505]) assert.equal(retryDelay(p, 1, get(s), NOW), null, String(s));
  const custom = resolveRetry({ methods: ["POST"], statusCodes: [404], backoff: () => 7 })!;
  assert.equal(retryDelay(custom, 1, { method: "post", status: 404 }, NOW), 7);
  assert.equal(retryDelay(custom, 1, { method: "GET", status: 404 }, NOW), null);
  assert.equal(retryDelay(custom, 1, { method: "POST", status: 500 }, NOW), null);
  assert.equal(retryDelay(p, 1, { method: "GET" }, NOW), null, "neither a status nor an error");
});

test("retry policy - Retry-After as delay-seconds and as each HTTP-date form", () => {
  const p = fixed(10);
  assert.equal(retryDelay(p, 1, get(429, "2"), NOW), 2000);
  assert.equal(retryDelay(p, 1, get(503, " 0 "), NOW), 0);
  assert.equal(retryDelay(p, 1, get(413, "1"), NOW), 1000);
  // RFC 9110 §5.6.7: IMF-fixdate, RFC 850 and asctime all name the same instant.
  for (const d of ["Mon, 15 Jan 2024 12:00:05 GMT", "Monday, 15-Jan-24 12:00:05 GMT", "Mon Jan 15 12:00:05 2024"]) {
    assert.equal(retryDelay(p, 1, get(503, d), NOW), 5000, d);
  }
  assert.equal(retryDelay(p, 1, get(429, "Mon, 15 Jan 2024 11:00:00 GMT"), NOW), 0, "a date in the past: at once");
  assert.equal(parseRetryAfter("120", NOW), 120000);
  assert.equal(parseRetryAfter(null, NOW), null);
});

test("retry policy - a garbage Retry-After falls back to the backoff", () => {
  const p = fixed(10);
  for (const v of ["soon", "-5", "1.5", "", "2 s", "Mon, 32 Jan 2024 12:00:00 GMT"]) {
    assert.equal(parseRetryAfter(v, NOW), null, v);
    assert.equal(retryDelay(p, 1, get(503, v), NOW), 10, v);
  }
});

test("retry policy - Retry-After beyond maxDelay means no retry, up to it is honoured", () => {
  const p = resolveRetry({ maxDelay: 5000, backoff: () => 10 })!;
  assert.equal(retryDelay(p, 1, get(429, "5"), NOW), 5000);
  assert.equal(retryDelay(p, 1, get(429, "6"), NOW), null);
  assert.equal(retryDelay(p, 1, get(503, "Mon, 15 Jan 2024 13:00:00 GMT"), NOW), null);
  assert.equal(retryDelay(p, 1, get(503, "99999999999999999999"), NOW), null);
});

test("retry policy - Retry-After only counts on 413, 429 and 503, and not with retryAfter: false", () => {
  const p = fixed(10);
  assert.equal(retryDelay(p, 1, get(500, "20"), NOW), 10);
  assert.equal(retryDelay(p, 1, get(408, "20"), NOW), 10);
  const off = resolveRetry({ retryAfter: false, backoff: () => 10 })!;
  assert.equal(retryDelay(off, 1, get(429, "20"), NOW), 10);
  assert.equal(retryDelay(off, 1, get(413, "20"), NOW), null);
  // A status not listed is not retried, Retry-After or not.
  assert.equal(retryDelay(resolveRetry({ statusCodes: [500], backoff: () => 10 })!, 1, get(429, "1"), NOW), null);
});

test("retry policy - 413 is retried only when a Retry-After says when", () => {
  const p = fixed(10);
  assert.equal(retryDelay(p, 1, get(413), NOW), null);
  assert.equal(retryDelay(p, 1, get(413, "garbage"), NOW), null);
  assert.equal(retryDelay(p, 1, get(413, "3"), NOW), 3000);
});

test("retry policy - network failures are retried, everything else is not", () => {
  const p = fixed(10);
  for (const code of ["econnreset", "econnrefused", "closed", "connect_timeout", "recv_timeout", "nxdomain"]) {
    assert.equal(retryDelay(p, 1, { method: "GET", errorCode: code }, NOW), 10, code);
    assert.equal(retryDelay(p, 1, { method: "POST", errorCode: code }, NOW), null, `POST ${code}`);
  }
  for (const code of [
    "aborted",
    "invalid_url",
    "invalid_header",
    "invalid_option",
    "body_too_large",
    "tls_error",
    "proxy_error",
    "bad_response",
    "checkout_timeout",
    "max_redirect",
    "not_replayable",
  ]) {
    assert.equal(retryDelay(p, 1, { method: "GET", errorCode: code }, NOW), null, code);
  }
});

/** A signal whose abort listeners are counted as they are added and removed. */
function watched(): { ac: AbortController; live: () => number } {
  const ac = new AbortController();
  const s = ac.signal;
  const listeners = new Set<unknown>();
  const add = s.addEventListener.bind(s);
  const remove = s.removeEventListener.bind(s);
  s.addEventListener = ((
    type: string,
    fn: EventListenerOrEventListenerObject,
    o?: AddEventListenerOptions | boolean,
  ) => {
    if (type === "abort") listeners.add(fn);
    add(type, fn, o);
  }) as typeof s.addEventListener;
  s.removeEventListener = ((
    type: string,
    fn: EventListenerOrEventListenerObject,
    o?: EventListenerOptions | boolean,
  ) => {
    if (type === "abort") listeners.delete(fn);
    remove(type, fn, o);
  }) as typeof s.removeEventListener;
  return { ac, live: () => listeners.size };
}

test("retry policy - sleep waits, and removes its abort listener when done", async () => {
  const { ac, live } = watched();
  const t0 = Date.now();
  const p = sleep(40, ac.signal);
  assert.equal(live(), 1);
  await p;
  assert.ok(Date.now() - t0 >= 35, `slept ${Date.now() - t0} ms`);
  assert.equal(live(), 0);
  await sleep(0);
  await sleep(-5);
});

test("retry policy - sleep rejects at once with aborted when the signal aborts, and removes its listener", async () => {
  const { ac, live } = watched();
  const t0 = Date.now();
  const p = sleep(60000, ac.signal);
  setTimeout(() => ac.abort(new Error("stop")), 10);
  const e = await rejection(p);
  assert.equal(e.code, "aborted");
  assert.equal((e.cause as Error).message, "stop");
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(live(), 0);
});

test("retry policy - sleep on an already aborted signal rejects without a timer or listener", async () => {
  const { ac, live } = watched();
  ac.abort();
  const e = await rejection(sleep(60000, ac.signal));
  assert.equal(e.code, "aborted");
  assert.equal(live(), 0);
});
