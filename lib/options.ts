// RequestOptions and the checks that turn bad input into a clear error before any byte is sent.
import { HansomError } from "./errors.ts";
import type { Pool } from "./pool.ts";
import type { RequestBody } from "./body.ts";
import type { TlsOptions } from "./runtime/socket.ts";
import type { ResponseEvent } from "./events.ts";
import type { ProxyOption } from "./proxy/index.ts";
import { assertHeaderName, assertHeaderValue, isToken } from "./http1/encode.ts";

/** Header input: anything `Headers` takes, or name/value pairs kept in order and case. */
export type HeadersInput = HeadersInit | Array<[string, string]>;

/** Progress of body bytes, for onProgress. */
export interface Progress {
  phase: "upload" | "download";
  loaded: number;
  total?: number;
}

/** Options of one request (hackney's request options). */
export interface RequestOptions {
  /** Request headers; order and case are kept on the wire. */
  headers?: HeadersInput;
  /** The request body (API.md section 2). */
  body?: RequestBody;
  /** Read the whole body before the promise resolves. @default false */
  withBody?: boolean;
  /** Largest body accepted, in bytes; more is `body_too_large`. */
  maxBody?: number;
  /** Follow 3xx redirects. @default false */
  followRedirect?: boolean;
  /** Redirects allowed before `max_redirect`. @default 5 */
  maxRedirect?: number;
  /** Follow 301/302 for methods other than GET/HEAD too. @default false */
  forceRedirect?: boolean;
  /** HTTP basic credentials. */
  basicAuth?: [string, string];
  /** Cookies, sent as one Cookie header. */
  cookie?: string | string[];
  /** Proxy (API.md section 8), or "env" for HTTP_PROXY / HTTPS_PROXY / NO_PROXY. */
  proxy?: ProxyOption;
  /** Skip TLS certificate verification. @default false */
  insecure?: boolean;
  /** TLS settings. @default system CAs, verification on */
  tls?: TlsOptions;
  /** Milliseconds for TCP connect plus TLS handshake. @default 8000 */
  connectTimeout?: number;
  /** Milliseconds of silence allowed between reads. @default 5000 */
  recvTimeout?: number;
  /** Milliseconds to wait for a pooled connection. @default connectTimeout */
  checkoutTimeout?: number;
  /** The pool to use; false for a fresh connection closed after. @default defaultPool */
  pool?: Pool | false;
  /** Encodes the request path. @default pathEncode (RFC 3986) */
  pathEncode?: (path: string) => string;
  /** Aborts the request at any stage. */
  signal?: AbortSignal;
  /** Deliver the response as events (section 5). */
  async?: true | "once";
  /** Write the events into this stream (implies async mode). */
  streamTo?: WritableStream<ResponseEvent>;
  /** Called as body bytes move, at most every 64 KiB or 100 ms. */
  onProgress?: (p: Progress) => void;
  /** Largest response head in bytes. @default 65536 */
  maxHeaderSize?: number;
}

const KNOWN = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]);

/** Upper-cases a known method given in any case; sends an unknown token as given. */
export function normalizeMethod(method: string): string {
  if (typeof method !== "string" || !isToken(method)) {
    throw new HansomError("invalid_header", `Invalid HTTP method ${JSON.stringify(String(method))}: it must be an RFC 9110 token`, { phase: "input" });
  }
  const up = method.toUpperCase();
  return KNOWN.has(up) ? up : method;
}

function checkTimeout(name: string, v: unknown): void {
  if (v === undefined || v === Infinity) return;
  if (typeof v !== "number" || !(v >= 0) || Number.isNaN(v)) {
    throw new HansomError("invalid_option", `Option ${name} must be a number of milliseconds >= 0 or Infinity, got ${String(v)}`, { phase: "input" });
  }
}

function bad(message: string): never {
  throw new HansomError("invalid_option", message, { phase: "input" });
}

/** Rejects option values that cannot work, before anything is sent. */
export function validateOptions(o: RequestOptions): void {
  checkTimeout("connectTimeout", o.connectTimeout);
  checkTimeout("recvTimeout", o.recvTimeout);
  checkTimeout("checkoutTimeout", o.checkoutTimeout);
  if (o.maxBody !== undefined && !(typeof o.maxBody === "number" && o.maxBody >= 0)) {
    throw new HansomError("invalid_option", `Option maxBody must be a byte count >= 0, got ${String(o.maxBody)}`, { phase: "input" });
  }
  if (o.maxRedirect !== undefined && !(Number.isInteger(o.maxRedirect) && o.maxRedirect >= 0)) {
    throw new HansomError("invalid_option", `Option maxRedirect must be an integer >= 0, got ${String(o.maxRedirect)}`, { phase: "input" });
  }
  if (o.async !== undefined && o.async !== true && o.async !== "once" && (o.async as unknown) !== false) {
    throw new HansomError("invalid_option", `Option async must be true or "once", got ${JSON.stringify(o.async)}`, { phase: "input" });
  }
  if (o.basicAuth !== undefined && !(Array.isArray(o.basicAuth) && o.basicAuth.length === 2 && o.basicAuth.every((x) => typeof x === "string"))) {
    throw new HansomError("invalid_option", "Option basicAuth must be [user, password]", { phase: "input" });
  }
  if (o.pathEncode !== undefined && typeof o.pathEncode !== "function") {
    throw new HansomError("invalid_option", "Option pathEncode must be a function", { phase: "input" });
  }
  for (const k of ["withBody", "followRedirect", "forceRedirect", "insecure"] as const) {
    if (o[k] !== undefined && typeof o[k] !== "boolean") bad(`Option ${k} must be a boolean, got ${typeof o[k]}`);
  }
  if (o.headers !== undefined && o.headers !== null && typeof o.headers !== "object") bad(`Option headers must be a Headers, an object or a list of [name, value] pairs, got ${typeof o.headers}`);
  if (o.cookie !== undefined && typeof o.cookie !== "string" && !(Array.isArray(o.cookie) && o.cookie.every((c) => typeof c === "string"))) {
    bad("Option cookie must be a string or a list of strings");
  }
  if (o.signal !== undefined && !(typeof o.signal === "object" && o.signal !== null && typeof o.signal.aborted === "boolean" && typeof o.signal.addEventListener === "function")) {
    bad("Option signal must be an AbortSignal");
  }
  if (o.streamTo !== undefined && !(typeof o.streamTo === "object" && o.streamTo !== null && typeof (o.streamTo as WritableStream).getWriter === "function")) {
    bad("Option streamTo must be a WritableStream");
  }
  if (o.streamTo?.locked) bad("Option streamTo is locked: another writer holds that WritableStream");
  if (o.onProgress !== undefined && typeof o.onProgress !== "function") bad("Option onProgress must be a function");
  if (o.tls !== undefined) {
    if (typeof o.tls !== "object" || o.tls === null) bad("Option tls must be an object");
    const v = o.tls.minVersion;
    if (v !== undefined && !["TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"].includes(v)) bad(`Option tls.minVersion must be "TLSv1.2" or "TLSv1.3" (or an older TLSv1.x), got ${JSON.stringify(v)}`);
  }
  if (o.pool !== undefined && o.pool !== false && (typeof o.pool !== "object" || o.pool === null || typeof (o.pool as Pool).checkout !== "function")) {
    throw new HansomError("invalid_option", "Option pool must be a Pool or false", { phase: "input" });
  }
}

/** Header input as ordered pairs. */
export function headerPairs(h: HeadersInput | undefined): Array<[string, string]> {
  if (!h) return [];
  if (Array.isArray(h)) return h.map((p) => [String(p[0]), String(p[1])] as [string, string]);
  if (typeof Headers !== "undefined" && h instanceof Headers) return [...h.entries()];
  if (typeof (h as Iterable<unknown>)[Symbol.iterator] === "function") {
    return [...(h as Iterable<[string, string]>)].map((p) => [String(p[0]), String(p[1])] as [string, string]);
  }
  return Object.entries(h as Record<string, string>).map(([k, v]) => [k, String(v)] as [string, string]);
}

/** Index of the first pair named `name` (case-insensitive), or -1. */
export function findHeader(pairs: Array<[string, string]>, name: string): number {
  const n = name.toLowerCase();
  for (let i = 0; i < pairs.length; i++) if (pairs[i]![0].toLowerCase() === n) return i;
  return -1;
}

/** Value of the first pair named `name`, or undefined. */
export function getHeader(pairs: Array<[string, string]>, name: string): string | undefined {
  const i = findHeader(pairs, name);
  return i < 0 ? undefined : pairs[i]![1];
}

/** The pairs without those named in `names` (lower-case). */
export function withoutHeaders(pairs: Array<[string, string]>, names: string[]): Array<[string, string]> {
  return pairs.filter(([k]) => !names.includes(k.toLowerCase()));
}

/** base64 of a UTF-8 string, Web APIs only. */
export function base64(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!);
  return btoa(bin);
}

/** Validates header pairs and the credential options: CR, LF or NUL anywhere is invalid_header. */
export function validateHeaders(pairs: Array<[string, string]>, o: RequestOptions): void {
  for (const [k, v] of pairs) {
    assertHeaderName(k);
    assertHeaderValue(k, v);
  }
  const cookies = o.cookie === undefined ? [] : Array.isArray(o.cookie) ? o.cookie : [o.cookie];
  for (const c of cookies) assertHeaderValue("Cookie", String(c));
  if (o.basicAuth) for (const part of o.basicAuth) assertHeaderValue("Authorization", part);
}
