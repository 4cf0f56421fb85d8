// fetch()'s arguments, (input, init), as the first hop hansom sends plus the settings every
// hop shares: the method normalised as fetch does it, the headers with fetch's defaults, the
// body, the redirect mode, the signal and hansom's own options (checked for clashes).
import type { RequestOptions } from "../index.ts";
import { bodyOf, requestBodyOf } from "./request-body.ts";
import type { FetchBody } from "./request-body.ts";
import { fieldsOf, hasField } from "./headers.ts";
import type { FetchHop } from "./redirect.ts";

/** fetch()'s second argument: RequestInit, `duplex`, and hansom's options under `hansom`. */
export type FetchInit = RequestInit & {
  /** "half": the body is a stream sent whole before the response is read (the only mode). */
  duplex?: "half";
  /** hansom's request options (pool, proxy, tls, timeouts, decompress, retry, cookieJar, ...). */
  hansom?: RequestOptions;
};

/** fetch()'s first argument. */
export type FetchInput = string | URL | Request;

/** A fetch call ready to send. */
export interface FetchCall {
  hop: FetchHop;
  redirect: "follow" | "manual" | "error";
  signal: AbortSignal | null;
  /** The hansom options of every hop (the fetch-owned ones filled in per hop). */
  options: RequestOptions;
  maxRedirects: number;
}

/** WHATWG Fetch §2.2.1: these are upper-cased, any other method is sent as given. */
const NORMALIZED = new Set(["DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"]);
const FORBIDDEN = new Set(["CONNECT", "TRACE", "TRACK"]);
/** Options fetch itself owns: given under init.hansom they would contradict it. */
const FETCH_OWNED = ["headers", "body", "signal", "followRedirect", "forceRedirect", "async", "streamTo"] as const;
/** Fetch's redirect limit (§4.4 step 8). */
const MAX_REDIRECTS = 20;

function methodOf(m: string): string {
  if (m === "GET" || m === "POST") return m;
  const up = m.toUpperCase();
  if (FORBIDDEN.has(up)) throw new TypeError(`fetch: the method ${m} is forbidden`);
  return NORMALIZED.has(up) ? up : m;
}

function urlOf(input: string | URL): URL {
  let url: URL;
  try {
    url = new URL(input);
  } catch (e) {
    throw new TypeError(`fetch: invalid URL ${JSON.stringify(String(input))}`, { cause: e });
  }
  // Request's constructor refuses URL userinfo (§5.4 step 5.4); hansom's basicAuth sends credentials.
  if (url.username !== "" || url.password !== "") {
    throw new TypeError(
      "fetch: a URL with credentials (user:password@) cannot be fetched; " +
        "use an Authorization header or init.hansom.basicAuth",
    );
  }
  return url;
}

function redirectOf(r: unknown): "follow" | "manual" | "error" {
  if (r === undefined || r === "follow" || r === "manual" || r === "error") return r ?? "follow";
  throw new TypeError(`fetch: redirect must be "follow", "manual" or "error", got ${JSON.stringify(r)}`);
}

/** Checks init.hansom: none of the options fetch owns, so that no setting silently loses. */
function hansomOptions(o: RequestOptions | undefined): RequestOptions {
  if (o === undefined) return {};
  if (typeof o !== "object" || o === null)
    throw new TypeError("fetch: init.hansom must be an object of hansom request options");
  for (const k of FETCH_OWNED) {
    if (o[k] !== undefined)
      throw new TypeError(`fetch: init.hansom.${k} is not allowed; fetch sets it from ${fetchSetsFrom(k)}`);
  }
  return o;
}

/** Turns (input, init) into a FetchCall; a Request's body may have to be read first. */
export function fetchCall(input: FetchInput, init: FetchInit | undefined): FetchCall | Promise<FetchCall> {
  const i = init ?? {};
  const options = hansomOptions(i.hansom);
  const maxRedirects = options.maxRedirect ?? MAX_REDIRECTS;
  if (typeof Request !== "undefined" && input instanceof Request) {
    if (input.bodyUsed) throw new TypeError("fetch: the Request's body was already used");
    const method = methodOf(i.method ?? input.method);
    const headers = fieldsOf(i.headers ?? input.headers);
    const signal = i.signal !== undefined ? i.signal : input.signal;
    const redirect = redirectOf(i.redirect ?? input.redirect);
    const url = urlOf(input.url);
    const make = (body: FetchBody | null): FetchCall => ({
      hop: firstHop(url, method, headers, body),
      redirect,
      signal,
      options,
      maxRedirects,
    });
    if (i.body !== undefined) return make(bodyOf(i.body, i.duplex));
    return input.body === null ? make(null) : requestBodyOf(input.body).then(make);
  }
  const url = urlOf(input as string | URL);
  const method = i.method === undefined ? "GET" : methodOf(String(i.method));
  const hop = firstHop(url, method, fieldsOf(i.headers), bodyOf(i.body, i.duplex));
  return { hop, redirect: redirectOf(i.redirect), signal: i.signal ?? null, options, maxRedirects };
}

/** The first hop, with fetch's default Accept (§4.1 step 12) and the body's Content-Type. */
function firstHop(url: URL, method: string, headers: Array<[string, string]>, body: FetchBody | null): FetchHop {
  if (body !== null && (method === "GET" || method === "HEAD"))
    throw new TypeError(`fetch: a ${method} request cannot have a body`);
  if (!hasField(headers, "accept")) headers.push(["accept", "*/*"]);
  if (body?.contentType && !hasField(headers, "content-type")) headers.push(["content-type", body.contentType]);
  return { url, method, headers, body, crossOrigin: false };
}

/** Which part of fetch's own init stands for a hansom option it does not take. */
function fetchSetsFrom(k: string): string {
  if (k === "followRedirect" || k === "forceRedirect") return "init.redirect";
  if (k === "async" || k === "streamTo") return "nothing (fetch resolves to a Response)";
  return `init.${k}`;
}
