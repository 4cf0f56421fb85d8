// Percent-encoding (RFC 3986 §2.1) and form-style query strings, after hackney_url's
// urlencode/urldecode/qs: the RFC 3986 character classes, encoders that keep valid %XX (so an
// encoded string passes unchanged) and decoders that keep a malformed "%". url.ts re-exports
// the public names, so importers keep using url.ts.
const HEX = "0123456789ABCDEF";

function table(chars: string): Uint8Array {
  const t = new Uint8Array(128);
  for (let c = 0x30; c <= 0x39; c++) t[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) t[c] = t[c + 32] = 1;
  for (const ch of "-._~" + chars) t[ch.charCodeAt(0)] = 1;
  return t;
}
// RFC 3986 §2.3 unreserved, §2.2 sub-delims, §3.3 pchar and "/", §3.4 query adds "?".
const UNRESERVED = table("");
const USERINFO = table("!$&'()*+,;=:");
const PATH = table("!$&'()*+,;=:@/");
const QUERY = table("!$&'()*+,;=:@/?");
const REG_NAME = table("!$&'()*+,;=");

/** Whether a host is all reg-name chars (RFC 3986 §3.2.2) with no %XX: ASCII, as DNS needs. */
export function isRegName(h: string): boolean {
  for (let i = 0; i < h.length; i++) {
    const c = h.charCodeAt(i);
    if (c >= 128 || REG_NAME[c] !== 1) return false;
  }
  return true;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66);
}

function pct(b: number): string {
  return "%" + HEX[b >> 4] + HEX[b & 15];
}

// Percent-encodes every char outside `safe` as UTF-8 %XX; keepPct leaves valid %XX alone
// (so encoding is idempotent), plus writes space as "+" (form encoding).
function percentEncode(s: string, safe: Uint8Array, keepPct: boolean, plus: boolean): string {
  const n = s.length;
  let i = 0;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c < 128 && safe[c] === 1) i++;
    else if (keepPct && c === 0x25 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) i += 3;
    else break;
  }
  if (i === n) return s;
  let out = s.slice(0, i);
  for (; i < n; i++) {
    let c = s.charCodeAt(i);
    if (c < 128 && safe[c] === 1) out += s[i];
    else if (keepPct && c === 0x25 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      out += s.slice(i, i + 3);
      i += 2;
    } else if (c === 0x20 && plus) out += "+";
    else if (c < 0x80) out += pct(c);
    else if (c < 0x800) out += pct(0xc0 | (c >> 6)) + pct(0x80 | (c & 63));
    else {
      if (c >= 0xd800 && c <= 0xdfff) {
        const d = s.charCodeAt(i + 1);
        if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
          i++;
          out += pct(0xf0 | (c >> 18)) + pct(0x80 | ((c >> 12) & 63));
          out += pct(0x80 | ((c >> 6) & 63)) + pct(0x80 | (c & 63));
          continue;
        }
        c = 0xfffd; // a lone surrogate has no UTF-8 form; TextEncoder does the same
      }
      out += pct(0xe0 | (c >> 12)) + pct(0x80 | ((c >> 6) & 63)) + pct(0x80 | (c & 63));
    }
  }
  return out;
}

// ignoreBOM: a decoded leading U+FEFF is data, not a byte-order mark.
const utf8 = new TextDecoder("utf-8", { ignoreBOM: true });

// Decodes runs of %XX as UTF-8 (invalid bytes become U+FFFD); a "%" not followed by two hex
// digits is kept as is (hackney's urldecode(_, skip)).
function decode(s: string, plus: boolean): string {
  if (s.indexOf("%") < 0 && (!plus || s.indexOf("+") < 0)) return s;
  let out = "";
  const n = s.length;
  for (let i = 0; i < n; ) {
    const c = s.charCodeAt(i);
    if (c === 0x25 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
      const bytes: number[] = [];
      while (s.charCodeAt(i) === 0x25 && isHex(s.charCodeAt(i + 1)) && isHex(s.charCodeAt(i + 2))) {
        bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
        i += 3;
      }
      out += utf8.decode(new Uint8Array(bytes));
    } else {
      out += c === 0x2b && plus ? " " : s[i];
      i++;
    }
  }
  return out;
}

/**
 * Encodes a URL path (RFC 3986) and returns it: unreserved, sub-delims, ":@/" and valid %XX are kept, the
 * rest becomes UTF-8 %XX. Idempotent, so an already-encoded path passes unchanged; it never throws.
 * @example
 * import { pathEncode } from "hansom";
 * pathEncode("/a b/%20/é"); // "/a%20b/%20/%C3%A9"
 * const url = `http://127.0.0.1:8080${pathEncode("/files/my report.pdf")}`; // ".../files/my%20report.pdf"
 */
export function pathEncode(path: string): string {
  return percentEncode(path, PATH, true, false);
}

// Query and fragment as sent or shown: like pathEncode, "?" kept too (RFC 3986 §3.4, §3.5).
export function queryEncode(s: string): string {
  return percentEncode(s, QUERY, true, false);
}

/** Encodes userinfo for an href: like pathEncode without "@" and "/" (RFC 3986 §3.2.1). */
export function userinfoEncode(s: string): string {
  return percentEncode(s, USERINFO, true, false);
}

/** Decodes userinfo: %XX is UTF-8, "+" stays "+" (it is a space only in form encoding). */
export function percentDecode(s: string): string {
  return decode(s, false);
}

/**
 * Encodes one query component (form style) and returns it: unreserved characters kept, space as "+", the rest
 * UTF-8 %XX (upper-case hex), "%" included. It never throws.
 * @example
 * import { urlEncode } from "hansom";
 * urlEncode("a b&c=é~"); // "a+b%26c%3D%C3%A9~"
 * const url = `http://127.0.0.1:8080/search?q=${urlEncode("x & y")}`; // ".../search?q=x+%26+y"
 */
export function urlEncode(s: string): string {
  return percentEncode(s, UNRESERVED, false, true);
}

/**
 * Decodes one query component and returns it: "+" is a space, %XX is UTF-8; a malformed "%" is kept as it
 * is, so it never throws.
 * @example
 * import { urlDecode } from "hansom";
 * urlDecode("a+b%26c%3D%C3%A9%zz"); // "a b&c=é%zz"
 */
export function urlDecode(s: string): string {
  return decode(s, true);
}

/**
 * Encodes pairs (an array, or an object's entries) as a query string, in order, without a leading "?";
 * names and values are encoded with urlEncode.
 * @example
 * import { qs } from "hansom";
 * qs([["a", "1"], ["b", "x y"]]); // "a=1&b=x+y"
 * const url = `http://127.0.0.1:8080/search?${qs({ q: "x y", page: "2" })}`; // ".../search?q=x+y&page=2"
 */
export function qs(pairs: Array<[string, string]> | Record<string, string>): string {
  const list = Array.isArray(pairs) ? pairs : Object.entries(pairs);
  let out = "";
  for (const [k, v] of list) out += (out ? "&" : "") + urlEncode(k) + "=" + urlEncode(v);
  return out;
}

/**
 * Parses a query string (without the "?") into decoded pairs, in order, repeated names kept; a name without
 * "=" gets "", empty tokens are skipped. It never throws.
 * @example
 * import { parseQs, parseUrl } from "hansom";
 * parseQs("q=x+y&flag&page=2"); // [["q", "x y"], ["flag", ""], ["page", "2"]]
 * new Map(parseQs(parseUrl("http://127.0.0.1:8080/?page=2").qs)).get("page"); // "2"
 */
export function parseQs(s: string): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const token of s.split("&")) {
    if (!token) continue;
    const eq = token.indexOf("=");
    if (eq < 0) out.push([urlDecode(token), ""]);
    else out.push([urlDecode(token.slice(0, eq)), urlDecode(token.slice(eq + 1))]);
  }
  return out;
}
