// What one hop of a request sends, apart from the protocol's own fields: the header fields in
// the caller's order with hansom's after them (User-Agent, credentials, cookies, the route's,
// Content-Type), the body framed to the caller's Content-Length or Transfer-Encoding, and the
// throttled upload progress.
import { HansomError } from "./errors.ts";
import type { EncodedBody } from "./body.ts";
import { base64 } from "./headers.ts";
import type { HeaderFields } from "./headers.ts";
import type { RequestOptions } from "./options.ts";
import type { Route } from "./route.ts";
import type { ParsedUrl } from "./url.ts";

const USER_AGENT = "hansom/0.1";

/** Everything a single hop needs, computed once per hop. */
export interface Hop {
  url: ParsedUrl;
  method: string;
  headers: HeaderFields;
  body: EncodedBody | null;
  /** Credentials from basicAuth/userinfo/cookie apply (same origin as the first request). */
  sameOrigin: boolean;
}

/** The fields of a hop in the caller's order, hansom's after; the protocol adds its own. */
export function buildHeaders(hop: Hop, opts: RequestOptions, route: Route, jarCookie: string): Array<[string, string]> {
  const user = hop.headers;
  const out = user.pairs.slice();
  if (!user.has("user-agent")) out.push(["User-Agent", USER_AGENT]);
  if (hop.sameOrigin && !user.has("authorization")) {
    const cred = opts.basicAuth ?? (hop.url.user || hop.url.password ? [hop.url.user, hop.url.password] : null);
    if (cred) out.push(["Authorization", `Basic ${base64(`${cred[0]}:${cred[1]}`)}`]);
  }
  const own =
    hop.sameOrigin && opts.cookie !== undefined
      ? Array.isArray(opts.cookie)
        ? opts.cookie.join("; ")
        : opts.cookie
      : "";
  if (own || jarCookie) {
    const c = own && jarCookie ? `${own}; ${jarCookie}` : own || jarCookie;
    // One Cookie header (RFC 6265 §5.4): the option joins a caller's Cookie header if there is one.
    const at = out.findIndex(([k]) => k.toLowerCase() === "cookie");
    if (at >= 0 && c) out[at] = [out[at]![0], `${out[at]![1]}; ${c}`];
    else if (c) out.push(["Cookie", c]);
  }
  for (const field of route.headers) if (!user.has(field[0].toLowerCase())) out.push(field);
  const ct = hop.body?.contentType;
  if (ct && !user.has("content-type")) out.push(["Content-Type", ct]);
  return out;
}

/** The body length the wire will carry, honouring a caller's Content-Length / Transfer-Encoding. */
export function framedBody(body: EncodedBody | null, headers: HeaderFields): EncodedBody | null {
  if (!body) return null;
  if (headers.has("transfer-encoding")) return body.length === null ? body : { ...body, length: null };
  const cl = headers.get("content-length");
  if (cl !== undefined) {
    const n = Number(cl);
    if (!/^\d+$/.test(cl.trim()) || !Number.isSafeInteger(n)) {
      throw new HansomError("invalid_header", "The Content-Length header must be a non-negative integer", {
        phase: "input",
      });
    }
    return n === body.length ? body : { ...body, length: n };
  }
  return body;
}

/** Throttled upload progress: at most every 64 KiB or 100 ms, and the last byte. */
export function uploadProgress(
  opts: RequestOptions,
  body: EncodedBody | null,
): ((n: number, done?: boolean) => void) | undefined {
  const cb = opts.onProgress;
  if (!cb || !body) return undefined;
  const total = body.length ?? undefined;
  let last = -1;
  let at = 0;
  return (n, done) => {
    const now = Date.now();
    if (done ? n !== last : n - last >= 65536 || now - at >= 100) {
      last = n;
      at = now;
      cb({ phase: "upload", loaded: n, total });
    }
  };
}
