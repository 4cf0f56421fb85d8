// A request's input, checked once before anything is sent, with the conveniences applied:
// baseUrl resolves a relative url (as `new URL(url, baseUrl)`), query is appended to the URL's
// query in order, json becomes the body with its Content-Type. Every later step works from the
// PreparedRequest this returns.
import { HansomError } from "./errors.ts";
import { normalizeMethod, validateOptions } from "./option-registry.ts";
import { HeaderFields, headerPairs } from "./headers.ts";
import type { RequestOptions } from "./options.ts";
import { parseUrl, qs } from "./url.ts";
import type { ParsedUrl } from "./url.ts";

/** A request whose input has been checked: what every later step works from. */
export interface PreparedRequest {
  method: string;
  url: ParsedUrl;
  opts: RequestOptions;
  headers: HeaderFields;
}

function invalid(message: string, cause?: unknown): HansomError {
  return new HansomError("invalid_option", message, { phase: "input", cause });
}

/** `url` resolved against `baseUrl` when it is relative (no scheme). */
function resolveBase(url: string | URL, baseUrl: string | URL | undefined): string | URL {
  if (baseUrl === undefined || url instanceof URL || /^[A-Za-z][A-Za-z0-9+.-]*:/.test(url)) return url;
  try {
    return new URL(url, baseUrl).href;
  } catch (e) {
    throw new HansomError("invalid_url", `Invalid URL: ${JSON.stringify(url)} cannot be resolved against baseUrl`, {
      phase: "input",
      cause: e,
    });
  }
}

/** The query option as ordered pairs. */
function queryPairs(q: NonNullable<RequestOptions["query"]>): Array<[string, string]> {
  if (typeof URLSearchParams !== "undefined" && q instanceof URLSearchParams) return [...q];
  if (Array.isArray(q)) return q.map(([k, v]) => [String(k), String(v)]);
  return Object.entries(q).map(([k, v]) => [k, String(v)]);
}

/** `url` with `pairs` appended to its query, before any fragment. */
function withQuery(url: string | URL, pairs: Array<[string, string]>): string | URL {
  if (pairs.length === 0) return url;
  const s = typeof url === "string" ? url : url.href;
  const hash = s.indexOf("#");
  const head = hash < 0 ? s : s.slice(0, hash);
  const frag = hash < 0 ? "" : s.slice(hash);
  const sep = !head.includes("?") ? "?" : head.endsWith("?") || head.endsWith("&") ? "" : "&";
  return `${head}${sep}${qs(pairs)}${frag}`;
}

/**
 * Checks a request's input once, before anything is sent: the method, every option (unknown
 * names included), the URL and the header fields. Throws the HansomError a caller should see.
 */
export function prepareRequest(
  method: string,
  url: string | URL,
  opts: RequestOptions,
  baseHeaders?: Array<[string, string]>,
): PreparedRequest {
  const m = normalizeMethod(method);
  validateOptions(opts);
  let target = resolveBase(url, opts.baseUrl);
  if (opts.query !== undefined) target = withQuery(target, queryPairs(opts.query));
  const u = parseUrl(target);
  if (opts.socketPath !== undefined && u.scheme !== "http") {
    throw invalid(`Option socketPath takes an http:// URL (the Unix socket carries plain HTTP), got ${u.scheme}://`);
  }
  let pairs = headerPairs(opts.headers);
  let o = opts;
  if (opts.json !== undefined) {
    if (opts.body !== undefined) throw invalid("Options json and body cannot both be given: json is the body");
    let text: string;
    try {
      text = JSON.stringify(opts.json);
    } catch (e) {
      throw invalid(`Option json cannot be serialized: ${(e as Error).message}`, e);
    }
    if (text === undefined) throw invalid("Option json must be a JSON value (not undefined or a function)");
    o = { ...opts, body: text };
    if (!pairs.some(([k]) => k.toLowerCase() === "content-type"))
      pairs = [...pairs, ["Content-Type", "application/json"]];
  }
  const own = new HeaderFields(pairs);
  return { method: m, url: u, opts: o, headers: baseHeaders ? own.over(baseHeaders) : own };
}
