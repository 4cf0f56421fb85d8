// Retry decisions in the manner of got and ky, as pure functions: which failures are retried,
// after how long, and a sleep that an AbortSignal cuts short. The request loop that acts on
// them lives elsewhere; nothing here does I/O.
import { HansomError, abortError } from "./errors.ts";
import { parseCookieDate } from "./cookie-date.ts";

/** The `retry` option: a limit, or the full set of rules. */
export interface RetryOptions {
  /** Retries after the first attempt. @default 2 */
  limit?: number;
  /** Methods that may be retried (case-insensitive). @default GET HEAD PUT DELETE OPTIONS TRACE */
  methods?: string[];
  /** Response statuses that are retried. @default [408, 413, 429, 500, 502, 503, 504] */
  statusCodes?: number[];
  /**
   * The wait before retry number `attempt` (1 for the first retry), in ms. @default full-jitter exponential from 300 ms
   */
  backoff?: (attempt: number) => number;
  /** The longest wait; a Retry-After asking for more means no retry. @default 30000 */
  maxDelay?: number;
  /** Honour Retry-After on 413, 429 and 503. @default true */
  retryAfter?: boolean;
}

/** A validated `retry` option with every default filled in. */
export interface RetryPolicy {
  readonly limit: number;
  readonly methods: ReadonlySet<string>;
  readonly statusCodes: ReadonlySet<number>;
  readonly backoff: (attempt: number) => number;
  readonly maxDelay: number;
  readonly retryAfter: boolean;
}

/** What failed: a response status (with its Retry-After), or an error code. */
export interface RetryContext {
  /** The request method. */
  method: string;
  status?: number;
  retryAfterHeader?: string | null;
  /** A HansomError code, for a request that failed without a response. */
  errorCode?: string;
}

/** Idempotent methods (RFC 9110 §9.2.2), as got and ky retry them. */
export const DEFAULT_METHODS: readonly string[] = ["GET", "HEAD", "PUT", "DELETE", "OPTIONS", "TRACE"];
/** Statuses worth another try, as ky retries them. */
export const DEFAULT_STATUS_CODES: readonly number[] = [408, 413, 429, 500, 502, 503, 504];
/**
 * Error codes that say the network failed, not the request: got's ETIMEDOUT, ECONNRESET,
 * ECONNREFUSED, EPIPE and ENOTFOUND/EAI_AGAIN, in hansom's names. Never retried: `aborted`
 * (the caller asked to stop), `invalid_*` and `body_too_large` (the same request fails the
 * same way), `tls_error` and `proxy_error` (configuration), `bad_response` (the server spoke
 * nonsense), `checkout_timeout` (the local pool is saturated; retrying adds to its queue).
 */
export const RETRY_ERROR_CODES: ReadonlySet<string> = new Set([
  "econnreset",
  "econnrefused",
  "closed",
  "connect_timeout",
  "recv_timeout",
  "nxdomain",
]);
/** Statuses on which Retry-After is honoured (got's and ky's rule). */
const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([413, 429, 503]);

const BASE_DELAY = 300;
const MAX_DELAY = 30_000;
const KEYS = new Set(["limit", "methods", "statusCodes", "backoff", "maxDelay", "retryAfter"]);

function invalid(field: string, message: string): HansomError {
  return new HansomError("invalid_option", `Invalid option ${field}: ${message}`, { phase: "input" });
}

function isLimit(n: unknown): n is number {
  return typeof n === "number" && Number.isInteger(n) && n >= 0;
}

/** Validates the `retry` option; null when nothing is to be retried. */
export function resolveRetry(opt: number | RetryOptions | undefined): RetryPolicy | null {
  if (opt === undefined) return null;
  if (typeof opt === "number") {
    if (!isLimit(opt)) throw invalid("retry", `a limit must be a non-negative integer, got ${opt}`);
    return opt === 0 ? null : makePolicy({ limit: opt });
  }
  if (typeof opt !== "object" || opt === null || Array.isArray(opt)) {
    throw invalid(
      "retry",
      `expected a number or an object, got ${opt === null ? "null" : Array.isArray(opt) ? "an array" : typeof opt}`,
    );
  }
  for (const k of Object.keys(opt))
    if (!KEYS.has(k)) throw invalid(`retry.${k}`, `unknown option (known: ${[...KEYS].join(", ")})`);
  const policy = makePolicy(opt);
  return policy.limit === 0 ? null : policy;
}

function makePolicy(o: RetryOptions): RetryPolicy {
  const limit = o.limit ?? 2;
  if (!isLimit(limit)) throw invalid("retry.limit", `must be a non-negative integer, got ${String(limit)}`);
  let methods: Set<string> = new Set(DEFAULT_METHODS);
  if (o.methods !== undefined) {
    if (!Array.isArray(o.methods) || !o.methods.every((m) => typeof m === "string" && m !== "")) {
      throw invalid("retry.methods", "must be an array of method names");
    }
    methods = new Set(o.methods.map((m) => m.toUpperCase()));
  }
  let statusCodes: Set<number> = new Set(DEFAULT_STATUS_CODES);
  if (o.statusCodes !== undefined) {
    if (!Array.isArray(o.statusCodes) || !o.statusCodes.every((s) => Number.isInteger(s) && s >= 100 && s <= 599)) {
      throw invalid("retry.statusCodes", "must be an array of status codes (integers 100-599)");
    }
    statusCodes = new Set(o.statusCodes);
  }
  const maxDelay = o.maxDelay ?? MAX_DELAY;
  if (typeof maxDelay !== "number" || Number.isNaN(maxDelay) || maxDelay < 0) {
    throw invalid("retry.maxDelay", `must be a non-negative number of ms, got ${String(maxDelay)}`);
  }
  if (o.backoff !== undefined && typeof o.backoff !== "function")
    throw invalid("retry.backoff", "must be a function (attempt) => ms");
  const retryAfter = o.retryAfter ?? true;
  if (typeof retryAfter !== "boolean") throw invalid("retry.retryAfter", `must be a boolean, got ${typeof retryAfter}`);
  return { limit, methods, statusCodes, backoff: o.backoff ?? ((n) => fullJitter(n, maxDelay)), maxDelay, retryAfter };
}

/** "Full jitter": uniform in [0, min(maxDelay, 300 ms × 2^(attempt-1))), so clients that failed together spread out. */
function fullJitter(attempt: number, maxDelay: number): number {
  return Math.random() * Math.min(maxDelay, BASE_DELAY * 2 ** (attempt - 1));
}

/**
 * Retry-After (RFC 9110 §10.2.3) in ms from `now`: delay-seconds or an HTTP-date (a date in
 * the past is 0). Null when absent or not one of those forms.
 */
export function parseRetryAfter(value: string | null | undefined, now: number): number | null {
  if (value === null || value === undefined) return null;
  const v = value.trim();
  if (/^[0-9]+$/.test(v)) return Number(v) * 1000;
  const date = parseCookieDate(v);
  return date === null ? null : Math.max(0, date - now);
}

/**
 * How long to wait before retry number `attempt` (1 for the first retry), or null for no
 * retry: past the limit, a method or status not listed, an error that is not a network
 * failure, a Retry-After beyond maxDelay, or a 413 without Retry-After (as got does).
 */
export function retryDelay(
  policy: RetryPolicy,
  attempt: number,
  ctx: RetryContext,
  now: number = Date.now(),
): number | null {
  if (!(attempt >= 1 && attempt <= policy.limit)) return null;
  if (!policy.methods.has(ctx.method.toUpperCase())) return null;
  if (ctx.errorCode !== undefined) {
    if (!RETRY_ERROR_CODES.has(ctx.errorCode)) return null;
  } else if (ctx.status !== undefined) {
    if (!policy.statusCodes.has(ctx.status)) return null;
    if (policy.retryAfter && RETRY_AFTER_STATUSES.has(ctx.status)) {
      const after = parseRetryAfter(ctx.retryAfterHeader, now);
      if (after !== null) return after <= policy.maxDelay ? after : null;
    }
    // 413 says the body is too large; only a Retry-After says that is temporary.
    if (ctx.status === 413) return null;
  } else {
    return null;
  }
  const ms = policy.backoff(attempt);
  if (typeof ms !== "number" || !(ms >= 0))
    throw invalid(
      "retry.backoff",
      `returned ${String(ms)} for attempt ${attempt}; it must return a non-negative number of ms`,
    );
  return Math.min(ms, policy.maxDelay);
}

/** Longest single setTimeout (beyond it timers fire at once). */
const MAX_TIMER = 0x7fffffff;

/** Waits `ms`; rejects at once with code `aborted` when `signal` aborts. The listener is removed either way. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortError(signal));
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(t);
      signal?.removeEventListener("abort", onAbort);
      reject(abortError(signal));
    };
    const t = setTimeout(
      () => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      },
      Math.min(Math.max(0, ms), MAX_TIMER),
    );
    signal?.addEventListener("abort", onAbort);
  });
}
