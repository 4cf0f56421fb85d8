// Every request option in one registry: its scope, its check, and its default. A request's
// options are checked here once, before any connection; an option not in the registry is
// invalid_option (a typo must fail loudly), and the pool key is built from the options whose
// entry says they shape the connection itself, so a new such option cannot be forgotten there.
import { HansomError } from "./errors.ts";
import type { RequestOptions } from "./options.ts";
import type { Pool } from "./pool.ts";
import { isToken } from "./http1/encode.ts";
import { assertHeaderValue } from "./http1/encode.ts";
import { headerPairs, validateHeaderPairs } from "./headers.ts";
import { resolveRetry } from "./retry-policy.ts";
import { checkProxyTls } from "./proxy/index.ts";

/**
 * Where an option acts. "connection": how the socket is opened; `key` ones make a different
 * connection, so they are part of the pool key. "request": this request only (its exchange,
 * redirects, body). "mode": what request() resolves to.
 */
export type OptionScope = "connection" | "request" | "mode";

interface OptionEntry {
  scope: OptionScope;
  /** Part of the pool key: two requests that differ here cannot share a connection. */
  key?: true;
  /** Throws invalid_option (or invalid_header) for a value that cannot work. */
  check(v: unknown, name: string): void;
}

/** The defaults of the options that have one; the doc comments' `@default`s say the same. */
export const DEFAULTS = {
  withBody: false,
  followRedirect: false,
  maxRedirect: 5,
  forceRedirect: false,
  insecure: false,
  connectTimeout: 8000,
  recvTimeout: 5000,
  maxHeaderSize: 65536,
  decompress: false,
  http2PriorKnowledge: false,
  throwHttpErrors: false,
} as const;

function bad(message: string, cause?: unknown): never {
  throw new HansomError("invalid_option", message, { phase: "input", cause });
}

const describe = (v: unknown): string =>
  v === null
    ? "null"
    : Array.isArray(v)
      ? "an array"
      : typeof v === "string"
        ? JSON.stringify(v)
        : typeof v === "object" || typeof v === "function"
          ? typeof v
          : String(v);

const boolean = (v: unknown, name: string): void => {
  if (typeof v !== "boolean") bad(`Option ${name} must be a boolean, got ${describe(v)}`);
};
const millis = (v: unknown, name: string): void => {
  if (v === Infinity) return;
  if (typeof v !== "number" || !(v >= 0))
    bad(`Option ${name} must be a number of milliseconds >= 0 or Infinity, got ${describe(v)}`);
};
const fn = (v: unknown, name: string): void => {
  if (typeof v !== "function") bad(`Option ${name} must be a function, got ${describe(v)}`);
};
const object = (v: unknown, name: string, what: string): void => {
  if (typeof v !== "object" || v === null) bad(`Option ${name} must be ${what}, got ${describe(v)}`);
};
const anything = (): void => {};

const TLS_VERSIONS = ["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"];
const TLS_KEYS = new Set(["ca", "cert", "key", "servername", "minVersion", "alpn"]);
const isPem = (x: unknown): boolean => typeof x === "string" || x instanceof Uint8Array;

function checkTls(v: unknown, name: string): void {
  object(v, name, "an object");
  const t = v as Record<string, unknown>;
  for (const k of Object.keys(t)) if (!TLS_KEYS.has(k)) bad(`Unknown TLS option ${name}.${k}${hint(k, TLS_KEYS)}`);
  if (t.ca !== undefined && !(isPem(t.ca) || (Array.isArray(t.ca) && t.ca.every(isPem))))
    bad(`Option ${name}.ca must be PEM text or bytes, or a list of them`);
  for (const k of ["cert", "key"])
    if (t[k] !== undefined && !isPem(t[k])) bad(`Option ${name}.${k} must be PEM text or bytes`);
  if (t.servername !== undefined && typeof t.servername !== "string") bad(`Option ${name}.servername must be a string`);
  if (t.alpn !== undefined && !(Array.isArray(t.alpn) && t.alpn.every((p) => typeof p === "string")))
    bad(`Option ${name}.alpn must be a list of strings`);
  const mv = t.minVersion;
  if (mv !== undefined && !TLS_VERSIONS.includes(mv as string))
    bad(`Option ${name}.minVersion must be "TLSv1.2" or "TLSv1.3" (or an older TLSv1.x), got ${describe(mv)}`);
}

/** Every option, by name. Typed on RequestOptions' keys, so a new option must be entered here. */
export const OPTIONS: { readonly [K in keyof Required<RequestOptions>]: OptionEntry } = {
  headers: {
    scope: "request",
    check: (v, n) => {
      if (v === null) return;
      object(v, n, "a Headers, an object or a list of [name, value] pairs");
      validateHeaderPairs(headerPairs(v as RequestOptions["headers"]));
    },
  },
  body: { scope: "request", check: anything }, // checked as it is encoded (body.ts)
  withBody: { scope: "mode", check: boolean },
  maxBody: {
    scope: "request",
    check: (v, n) =>
      (typeof v === "number" && v >= 0) || bad(`Option ${n} must be a byte count >= 0, got ${describe(v)}`),
  },
  followRedirect: { scope: "request", check: boolean },
  maxRedirect: {
    scope: "request",
    check: (v, n) =>
      (Number.isInteger(v) && (v as number) >= 0) || bad(`Option ${n} must be an integer >= 0, got ${describe(v)}`),
  },
  forceRedirect: { scope: "request", check: boolean },
  basicAuth: {
    scope: "request",
    check: (v, n) => {
      if (!(Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === "string")))
        bad(`Option ${n} must be [user, password]`);
      // base64 on the wire hides a CR/LF from the encoder: check the parts themselves.
      for (const part of v as string[]) assertHeaderValue("Authorization", part);
    },
  },
  cookie: {
    scope: "request",
    check: (v, n) => {
      if (!(typeof v === "string" || (Array.isArray(v) && v.every((c) => typeof c === "string"))))
        bad(`Option ${n} must be a string or a list of strings`);
      for (const c of Array.isArray(v) ? v : [v as string]) assertHeaderValue("Cookie", c);
    },
  },
  proxy: { scope: "connection", key: true, check: anything }, // checked by resolveProxy (proxy/)
  // TLS to an https:// proxy; its pool-key part is in the route's key (proxy/https.ts).
  proxyTls: { scope: "connection", key: true, check: checkProxyTls },
  insecure: { scope: "connection", key: true, check: boolean },
  tls: { scope: "connection", key: true, check: checkTls },
  protocols: {
    scope: "connection",
    key: true,
    check: (v, n) => {
      if (!(Array.isArray(v) && v.length > 0 && v.every((p) => p === "h2" || p === "http/1.1")))
        bad(`Option ${n} must be a non-empty list of "h2" and "http/1.1", got ${describe(v)}`);
    },
  },
  http2PriorKnowledge: { scope: "connection", key: true, check: boolean },
  socketPath: {
    scope: "connection",
    key: true,
    check: (v, n) =>
      (typeof v === "string" && v !== "" && !v.includes("\0")) ||
      bad(`Option ${n} must be a Unix socket path, got ${describe(v)}`),
  },
  connectTimeout: { scope: "connection", check: millis },
  recvTimeout: { scope: "request", check: millis },
  checkoutTimeout: { scope: "request", check: millis },
  pool: {
    scope: "request",
    check: (v, n) =>
      v === false ||
      (typeof v === "object" && v !== null && typeof (v as Pool).stats === "function") ||
      bad(`Option ${n} must be a Pool or false`),
  },
  pathEncode: { scope: "request", check: fn },
  signal: {
    scope: "request",
    check: (v, n) => {
      const s = v as AbortSignal;
      if (
        !(
          typeof v === "object" &&
          v !== null &&
          typeof s.aborted === "boolean" &&
          typeof s.addEventListener === "function"
        )
      )
        bad(`Option ${n} must be an AbortSignal`);
    },
  },
  async: {
    scope: "mode",
    check: (v, n) =>
      v === true || v === "once" || v === false || bad(`Option ${n} must be true or "once", got ${describe(v)}`),
  },
  streamTo: {
    scope: "mode",
    check: (v, n) => {
      if (!(typeof v === "object" && v !== null && typeof (v as WritableStream).getWriter === "function"))
        bad(`Option ${n} must be a WritableStream`);
      if ((v as WritableStream).locked) bad(`Option ${n} is locked: another writer holds that WritableStream`);
    },
  },
  onProgress: { scope: "request", check: fn },
  // Per exchange, not per connection: a pooled socket honours each request's own limit.
  decompress: { scope: "request", check: boolean },
  json: { scope: "request", check: anything }, // serialized (and checked) by prepareRequest
  query: {
    scope: "request",
    check: (v, n) => {
      const ok =
        (typeof URLSearchParams !== "undefined" && v instanceof URLSearchParams) ||
        (Array.isArray(v) && v.every((p) => Array.isArray(p) && p.length === 2)) ||
        (typeof v === "object" &&
          v !== null &&
          !Array.isArray(v) &&
          Object.values(v).every((x) => ["string", "number", "boolean"].includes(typeof x)));
      if (!ok)
        bad(
          `Option ${n} must be a record of strings, numbers and booleans, ` +
            "a list of [name, value] pairs, or a URLSearchParams",
        );
    },
  },
  baseUrl: {
    scope: "request",
    check: (v, n) =>
      typeof v === "string" || v instanceof URL || bad(`Option ${n} must be a string or a URL, got ${describe(v)}`),
  },
  throwHttpErrors: { scope: "request", check: boolean },
  middleware: {
    scope: "request",
    check: (v, n) =>
      (Array.isArray(v) && v.every((f) => typeof f === "function")) ||
      bad(`Option ${n} must be a list of functions (req, next) => Promise<Response>`),
  },
  retry: { scope: "request", check: (v) => void resolveRetry(v as RequestOptions["retry"]) },
  cookieJar: {
    scope: "request",
    check: (v, n) => {
      const j = v as { getCookieString?: unknown; setCookie?: unknown };
      if (
        !(
          typeof v === "object" &&
          v !== null &&
          typeof j.getCookieString === "function" &&
          typeof j.setCookie === "function"
        )
      )
        bad(`Option ${n} must be a CookieJar or an object with getCookieString(url) and setCookie(cookie, url)`);
    },
  },
  maxHeaderSize: {
    scope: "request",
    check: (v, n) =>
      (typeof v === "number" && v >= 1) || bad(`Option ${n} must be a byte count >= 1, got ${describe(v)}`),
  },
};

const NAMES: ReadonlySet<string> = new Set(Object.keys(OPTIONS));

/** Edit distance, for "did you mean" hints (small strings only). */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const cur = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = cur;
    }
  }
  return row[b.length]!;
}

function hint(name: string, known: Iterable<string>): string {
  let best = "";
  let score = Infinity;
  for (const k of known) {
    const d = distance(name.toLowerCase(), k.toLowerCase());
    if (d < score) [best, score] = [k, d];
  }
  return score <= Math.max(2, Math.floor(name.length / 3)) ? ` (did you mean ${best}?)` : "";
}

/** Checks every option once: unknown names and unusable values are errors before anything is sent. */
export function validateOptions(o: unknown): void {
  if (o === undefined) return;
  if (typeof o !== "object" || o === null) bad(`Request options must be an object, got ${describe(o)}`);
  for (const name of Object.keys(o)) {
    const v = (o as Record<string, unknown>)[name];
    if (!NAMES.has(name)) bad(`Unknown option ${JSON.stringify(name)}${hint(name, NAMES)}`);
    if (v !== undefined) OPTIONS[name as keyof RequestOptions].check(v, name);
  }
}

/** Names of the options that are part of the pool key, in a fixed order. */
export const KEY_OPTIONS: ReadonlyArray<keyof RequestOptions> = (
  Object.keys(OPTIONS) as Array<keyof RequestOptions>
).filter((k) => OPTIONS[k].key);

const KNOWN_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]);

/** Upper-cases a known method given in any case; sends an unknown token as given. */
export function normalizeMethod(method: string): string {
  if (typeof method !== "string" || !isToken(method)) {
    throw new HansomError(
      "invalid_header",
      `Invalid HTTP method ${JSON.stringify(String(method))}: it must be an RFC 9110 token`,
      { phase: "input" },
    );
  }
  const up = method.toUpperCase();
  return KNOWN_METHODS.has(up) ? up : method;
}
