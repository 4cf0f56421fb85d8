// hansom/fetch: WHATWG fetch() over hansom, resolving to the runtime's own global Response.
//
// Fetch's rules, where they differ from hackney's (and so from hansom's request()):
// - redirect: "follow" is the default, at most 20 redirects (init.hansom.maxRedirect changes
//   the limit); more is a TypeError. The redirects are followed here, not by hansom: 303
//   after anything but GET/HEAD, and 301/302 after POST, become a GET without body and without
//   Content-Type (hackney keeps POST, and follows 301/302 on POST only with forceRedirect);
//   307/308 and 301/302 after other methods keep the method and body; a stream body is not
//   sent twice, so such a redirect after one is a TypeError (WHATWG Fetch §4.4).
//   Authorization, Proxy-Authorization, Cookie and Host are dropped when a redirect changes
//   origin (as Node's fetch does), and init.hansom's basicAuth and cookie stay with the first
//   origin. Every hop is its own hansom request, so cookieJar, retry and middleware see each.
// - redirect: "manual" returns the 3xx response as it is; "error" rejects with a TypeError.
// - decompress is on (init.hansom.decompress: false turns it off). As in Node's fetch, the
//   body is decoded and the headers stay as the server sent them: Content-Encoding and
//   Content-Length describe the encoded body, not the bytes read.
// - Failures reject with a TypeError whose cause is the HansomError (its code says what
//   failed); a body read that fails errors the body stream the same way. An aborted signal
//   rejects with the signal's reason (an AbortError DOMException by default), before the
//   response and while its body is read.
// - Response.url is the final URL without fragment and Response.redirected is true after a
//   redirect (defined on the instance, which the constructor cannot do; clone() keeps them).
// - 101, 204, 205, 304 and answers to HEAD have a null body. Each Set-Cookie field is its own
//   header entry, so headers.getSetCookie() lists them all.
// - The method is upper-cased for DELETE, GET, HEAD, OPTIONS, POST, PUT (hansom upper-cases
//   PATCH too); CONNECT, TRACE and TRACK are a TypeError, as is a URL with credentials or a
//   body on GET/HEAD. Accept: */* is sent unless set, and a string body gets
//   Content-Type: text/plain;charset=UTF-8. A stream body needs duplex: "half".
// - hansom's defaults stay: its pool, timeouts (recvTimeout 5 s between reads), User-Agent.
//   init.hansom may not set headers, body, signal, followRedirect, forceRedirect, async or
//   streamTo (fetch's own init says those). cache, credentials, mode, referrer, integrity,
//   keepalive and priority have no meaning outside a browser and are ignored.
import { request } from "../index.ts";
import type { RequestOptions, Response as HansomResponse } from "../index.ts";
import { fetchError } from "./errors.ts";
import { fetchCall } from "./request-init.ts";
import type { FetchCall, FetchInit, FetchInput } from "./request-init.ts";
import { isRedirectStatus, redirectHop } from "./redirect.ts";
import type { FetchHop } from "./redirect.ts";
import { fieldValue } from "./headers.ts";
import { responseUrl, toFetchResponse } from "./response.ts";

export type { FetchInit, FetchInput };

/** A redirect body up to this size is read to the end, so its connection is reused. */
const DRAIN_LIMIT = 65536;

/** hansom's options for one hop. */
function hopOptions(call: FetchCall, hop: FetchHop): RequestOptions {
  const o = call.options;
  return {
    ...o,
    headers: hop.headers,
    body: hop.body?.body,
    signal: call.signal ?? undefined,
    decompress: o.decompress ?? true,
    followRedirect: false,
    ...(hop.crossOrigin ? { basicAuth: undefined, cookie: undefined } : null),
  };
}

/** Reads a redirect's small body to the end (the connection goes back to its pool), else drops it. */
async function discard(res: HansomResponse): Promise<void> {
  const cl = fieldValue(res.rawHeaders, "content-length");
  if (cl !== null && Number(cl) <= DRAIN_LIMIT) await res.skip().catch(() => {});
  else await res.close();
}

/** Runs a fetch call: one hansom request per hop. */
async function run(call: FetchCall): Promise<Response> {
  const { signal } = call;
  if (signal?.aborted) throw signal.reason;
  let hop = call.hop;
  const first = hop.url.origin;
  for (let redirects = 0; ; ) {
    let res: HansomResponse;
    try {
      res = await request(hop.method, hop.url.href, hopOptions(call, hop));
    } catch (e) {
      throw fetchError(e, signal);
    }
    if (call.redirect !== "manual" && isRedirectStatus(res.status)) {
      if (call.redirect === "error") {
        await res.close();
        throw new TypeError(
          `fetch: redirect: "error" and the server answered ${res.status} (${hop.method} ${responseUrl(hop.url)})`,
        );
      }
      let next: FetchHop | null;
      try {
        next = redirectHop(hop, res.status, fieldValue(res.rawHeaders, "location"), first);
        if (next !== null && ++redirects > call.maxRedirects) {
          throw new TypeError(
            `fetch: more than ${call.maxRedirects} redirects; the last pointed to ${responseUrl(next.url)}`,
          );
        }
      } catch (e) {
        await res.close();
        throw e;
      }
      if (next !== null) {
        await discard(res);
        hop = next;
        continue;
      }
    }
    return toFetchResponse(res, hop.method, responseUrl(hop.url), redirects > 0, signal);
  }
}

/**
 * WHATWG fetch() over hansom: resolves to the runtime's global Response once the headers are
 * in, the body a ReadableStream read from the connection. hansom's options go in `init.hansom`.
 * Redirects are followed (at most 20) by fetch's rules. Failures reject with a TypeError whose `cause` is the
 * HansomError, so `err.cause.code` says what failed (`econnrefused`, `connect_timeout`, `recv_timeout`,
 * `tls_error`, `invalid_url`, ...); an aborted signal rejects with the signal's reason.
 * @example
 * import { fetch } from "hansom/fetch";
 * import { Pool } from "hansom";
 * const pool = new Pool({ maxConnections: 10 });
 * const res = await fetch("http://127.0.0.1:8080/items", {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ name: "a" }),
 *   hansom: { pool, recvTimeout: 30_000 },
 * });
 * console.log(res.status, await res.json());
 */
export async function fetch(input: FetchInput, init?: FetchInit): Promise<Response> {
  const call = fetchCall(input, init);
  return run(call instanceof Promise ? await call : call);
}
