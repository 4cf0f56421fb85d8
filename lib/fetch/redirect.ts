// Fetch's redirect rules (WHATWG Fetch §4.4 "HTTP-redirect fetch"), which differ from
// hackney's: 301/302 after POST, and 303 after anything but GET/HEAD, become a GET without
// body (hackney keeps POST, and follows 301/302 on POST only with forceRedirect); other
// methods keep their body; a stream body cannot be sent again, so only a 303 is followed
// after one; the fragment carries over when the Location has none.
import type { FetchBody } from "./request-body.ts";
import { withoutFields } from "./headers.ts";
import type { Fields } from "./headers.ts";

/** One hop of a fetch: what is sent to `url`. */
export interface FetchHop {
  url: URL;
  method: string;
  headers: Fields;
  body: FetchBody | null;
  /** The hop's origin differs from the first one: hansom's basicAuth and cookie stay behind. */
  crossOrigin: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** Statuses fetch treats as redirects. */
export function isRedirectStatus(status: number): boolean {
  return REDIRECTS.has(status);
}

// §4.4 step 12: the request-body-header names, plus the framing hansom would otherwise keep.
const BODY_FIELDS = [
  "content-type",
  "content-encoding",
  "content-language",
  "content-location",
  "content-length",
  "transfer-encoding",
];
// §4.4 step 13 removes Authorization across origins; Node's fetch (undici) also drops these.
const CREDENTIAL_FIELDS = ["authorization", "proxy-authorization", "cookie", "host"];

/**
 * The hop that follows a `status` redirect to `location` (null when there is none to follow),
 * or throws the TypeError fetch rejects with. `first` is the origin of the first hop.
 */
export function redirectHop(hop: FetchHop, status: number, location: string | null, first: string): FetchHop | null {
  if (location === null) return null;
  let url: URL;
  try {
    url = new URL(location, hop.url);
  } catch (e) {
    throw new TypeError(`fetch: the redirect Location ${JSON.stringify(location)} is not a valid URL`, { cause: e });
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    throw new TypeError(`fetch: a redirect to ${url.protocol} URLs cannot be followed`);
  if (status !== 303 && hop.body?.stream) {
    throw new TypeError(
      `fetch: cannot follow a ${status} redirect: the request body was a stream and cannot be sent again`,
    );
  }
  if (url.hash === "" && hop.url.hash !== "") url.hash = hop.url.hash;
  // Credentials in a Location are not sent on (fetch never sends URL userinfo).
  if (url.username !== "" || url.password !== "") {
    url.username = "";
    url.password = "";
  }
  let { method, headers, body } = hop;
  if (
    ((status === 301 || status === 302) && method === "POST") ||
    (status === 303 && method !== "GET" && method !== "HEAD")
  ) {
    method = "GET";
    body = null;
    headers = withoutFields(headers, BODY_FIELDS);
  }
  const crossOrigin = hop.crossOrigin || url.origin !== first;
  if (url.origin !== hop.url.origin) headers = withoutFields(headers, CREDENTIAL_FIELDS);
  return { url, method, headers, body, crossOrigin };
}
