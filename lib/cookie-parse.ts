// Set-Cookie parsing (RFC 6265 §5.2) and the matching rules the cookie store needs: canonical
// hosts, domain-match (§5.1.3), default-path and path-match (§5.1.4). Pure functions; the store
// is lib/cookie-jar.ts.
import { parseCookieDate } from "./cookie-date.ts";

/** A Set-Cookie header, parsed; attributes that were absent or ignored are undefined. */
export interface SetCookie {
  name: string;
  value: string;
  /** Expires, in ms since the epoch. */
  expires?: number;
  /** Max-Age in seconds (zero or negative: expire now). */
  maxAge?: number;
  /** Domain, lower-case, without its leading dot. */
  domain?: string;
  /** Path, when it starts with "/" (else the default-path applies). */
  path?: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite?: "Strict" | "Lax" | "None";
}

/**
 * A cookie's name and value together may not exceed this many bytes (RFC 6265 §6.1 minimum, and the RFC 6265bis limit).
 */
export const MAX_COOKIE_BYTES = 4096;
/** Longer attribute values are ignored (RFC 6265bis §5.6). */
const MAX_ATTRIBUTE_BYTES = 1024;

/** A control character other than HTAB: %x00-08 / %x0A-1F / %x7F. */
const CTL = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Bytes of `s` in UTF-8. */
export function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

/** Strips leading and trailing WSP (SP and HTAB), as §5.2 requires. */
function trimWsp(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s[a] === " " || s[a] === "\t")) a++;
  while (b > a && (s[b - 1] === " " || s[b - 1] === "\t")) b--;
  return s.slice(a, b);
}

/** A Set-Cookie header value as RFC 6265 §5.2 reads it; null when the whole header is to be ignored. */
export function parseSetCookie(header: string): SetCookie | null {
  // RFC 6265bis §5.6 step 1: a control character (CR, LF, NUL...) anywhere voids the header.
  if (CTL.test(header)) return null;
  const semi = header.indexOf(";");
  const pair = semi < 0 ? header : header.slice(0, semi);
  const eq = pair.indexOf("=");
  // §5.2 steps 2 and 5: no "=" or an empty name, and the header is ignored.
  if (eq < 0) return null;
  const name = trimWsp(pair.slice(0, eq));
  const value = trimWsp(pair.slice(eq + 1));
  if (name === "") return null;
  if (utf8Length(name) + utf8Length(value) > MAX_COOKIE_BYTES) return null;
  const out: SetCookie = { name, value, secure: false, httpOnly: false };
  if (semi < 0) return out;
  // §5.2 step 6 onwards: each attribute in turn; a later one of a name overrides an earlier one.
  for (const av of header.slice(semi + 1).split(";")) {
    const i = av.indexOf("=");
    const key = trimWsp(i < 0 ? av : av.slice(0, i)).toLowerCase();
    const val = i < 0 ? "" : trimWsp(av.slice(i + 1));
    if (utf8Length(val) > MAX_ATTRIBUTE_BYTES) continue;
    switch (key) {
      case "expires": {
        // §5.2.1: a date that does not parse is ignored.
        const t = parseCookieDate(val);
        if (t !== null) out.expires = t;
        break;
      }
      case "max-age":
        // §5.2.2: an optional "-" then digits, else ignored.
        if (/^-?[0-9]+$/.test(val)) out.maxAge = Number(val);
        break;
      case "domain":
        // §5.2.3: an empty value is ignored; one leading dot is dropped.
        if (val !== "") out.domain = (val[0] === "." ? val.slice(1) : val).toLowerCase();
        break;
      case "path":
        // §5.2.4: a value that is not absolute means the default-path.
        out.path = val[0] === "/" ? val : undefined;
        break;
      case "secure":
        out.secure = true;
        break;
      case "httponly":
        out.httpOnly = true;
        break;
      case "samesite": {
        // RFC 6265bis §5.6.7: Strict, Lax or None, any case; anything else is ignored.
        const s = val.toLowerCase();
        if (s === "strict") out.sameSite = "Strict";
        else if (s === "lax") out.sameSite = "Lax";
        else if (s === "none") out.sameSite = "None";
        break;
      }
      default:
        // Unknown attributes are ignored (§5.2 step 6).
        break;
    }
  }
  return out;
}

/** True for an IPv4 or IPv6 literal as URL.hostname gives it ("127.0.0.1", "[::1]"). */
export function isIpHost(host: string): boolean {
  return host.startsWith("[") || /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/.test(host);
}

/** RFC 6265 §5.1.3: `host` is `domain`, or a name under it; IP addresses match only themselves. */
export function domainMatch(host: string, domain: string): boolean {
  if (host === domain) return true;
  return (
    !isIpHost(host) &&
    host.length > domain.length &&
    host.endsWith(domain) &&
    host[host.length - domain.length - 1] === "."
  );
}

/** RFC 6265 §5.1.4 default-path: the request path up to, not including, its last "/". */
export function defaultPath(uriPath: string): string {
  if (uriPath[0] !== "/") return "/";
  const last = uriPath.lastIndexOf("/");
  return last === 0 ? "/" : uriPath.slice(0, last);
}

/** RFC 6265 §5.1.4 path-match: equal, or `cookiePath` is a prefix ending at a "/" boundary. */
export function pathMatch(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith("/") || requestPath[cookiePath.length] === "/";
}

/** The host as cookies compare it (RFC 6265 §5.1.2): URL.hostname is already lower-case and punycode. */
export function canonicalHost(url: URL): string {
  return url.hostname.toLowerCase();
}

/**
 * A Domain attribute in canonical form (non-ASCII labels to punycode, RFC 6265 §5.1.2), or null if it is no host name.
 */
export function canonicalDomain(domain: string): string | null {
  if (/^[\x21-\x7e]*$/.test(domain)) return domain;
  try {
    return new URL(`http://${domain}/`).hostname;
  } catch {
    return null;
  }
}
