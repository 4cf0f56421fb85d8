// Part framing shared by the Part encoder (encode.ts) and the streamed send (writer.ts):
// boundaries, part header blocks, and the quoting of names and filenames.
import { HansomError } from "../errors.ts";

const utf8 = new TextEncoder();
const ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
// RFC 2046 §5.1.1: 1-70 bchars, the last one not a space.
const BOUNDARY = /^[0-9A-Za-z'()+_,\-./:=? ]{0,69}[0-9A-Za-z'()+_,\-./:=?]$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/; // RFC 9110 §5.6.2

/**
 * Returns a fresh random multipart boundary: 27 dashes and 24 random alphanumerics (51 characters), as
 * hackney's are. Use it to know the boundary of a body before sending it, e.g. for multipartLength().
 * @example
 * import { boundary, post } from "hansom";
 * const b = boundary(); // e.g. "---------------------------5V1q081QkaZ4RIjAu7i8zZQL"
 * const handle = await post("http://127.0.0.1:8080/form", {
 *   body: "stream",
 *   headers: { "content-type": `multipart/form-data; boundary=${b}` },
 * });
 */
export function boundary(): string {
  // x % 62 favours 8 of the 62 letters by 5:4, leaving ~142 bits: plenty for uniqueness.
  return (
    "---------------------------" +
    Array.from(crypto.getRandomValues(new Uint8Array(24)), (x) => ALNUM[x % 62]).join("")
  );
}

/** `b` when it is a valid RFC 2046 boundary, else multipart_error. */
export function checkBoundary(b: string): string {
  if (typeof b !== "string" || !BOUNDARY.test(b)) {
    throw new HansomError(
      "multipart_error",
      `Invalid multipart boundary ${JSON.stringify(b)}: ` +
        "RFC 2046 allows 1-70 of 0-9 A-Z a-z '()+_,-./:=? and space, not ending in a space",
      { phase: "input" },
    );
  }
  return b;
}

/** `boundary=` parameter, quoted when the boundary holds a tspecial (RFC 2045 §5.1). */
export function boundaryParam(b: string): string {
  return /^[0-9A-Za-z'+_\-.]+$/.test(b) ? `boundary=${b}` : `boundary="${b}"`;
}

// WHATWG HTML form-data encoding: '"', CR and LF percent-encoded inside the quoted string.
// NUL too, so no server ever sees a NUL in a header.
const QUOTE_ESC: Record<string, string> = { '"': "%22", "\r": "%0D", "\n": "%0A", "\0": "%00" };
function quoted(s: string): string {
  return `"${s.replace(/["\r\n\0]/g, (c) => QUOTE_ESC[c]!)}"`;
}

// RFC 8187 attr-char: ALPHA / DIGIT / "!#$&+-.^_`|~"; every other UTF-8 byte is %XX.
function extValue(s: string): string {
  let out = "UTF-8''";
  for (const b of utf8.encode(s)) {
    const c = String.fromCharCode(b);
    out += /[0-9A-Za-z!#$&+\-.^_`|~]/.test(c) ? c : "%" + (b < 16 ? "0" : "") + b.toString(16).toUpperCase();
  }
  return out;
}

/** The form-data Content-Disposition value for a part; a non-string name is a TypeError. */
export function disposition(name: string, filename?: string): string {
  if (typeof name !== "string")
    throw new TypeError(`hansom: a multipart part name must be a string, got ${typeof name}`);
  let s = `form-data; name=${quoted(name)}`;
  if (filename !== undefined) {
    s += `; filename=${quoted(filename)}`;
    // Browsers send the raw UTF-8; filename* (RFC 8187) is for servers that read it as latin1.
    if (/[^\x00-\x7f]/.test(filename)) s += `; filename*=${extValue(filename)}`;
  }
  return s;
}

export function basename(path: string): string {
  return path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
}

/** A part's extra headers: a Headers, a record, or name/value pairs (fetch's HeadersInit, without the DOM lib). */
export type PartHeaders = Array<[string, string]> | Record<string, string> | Headers;

/** A part's extra headers as validated pairs; CR, LF or NUL anywhere is invalid_header. */
export function headerPairs(h: PartHeaders | undefined): Array<[string, string]> {
  if (h === undefined || h === null) return [];
  const pairs: Array<[string, string]> =
    h instanceof Headers
      ? [...h]
      : Array.isArray(h)
        ? h.map((p) => [String(p[0]), String(p[1])] as [string, string])
        : Object.entries(h);
  for (const [k, v] of pairs) {
    if (!TOKEN.test(k))
      throw new HansomError("invalid_header", `Invalid multipart part header name ${JSON.stringify(k)}`, {
        phase: "input",
      });
    if (/[\r\n\0]/.test(v))
      throw new HansomError("invalid_header", `Multipart part header ${k} has a CR, LF or NUL in its value`, {
        phase: "input",
      });
  }
  return pairs;
}

/** "--B\r\n" + headers + "\r\n": defaults in order, a same-named extra replaces its default. */
export function head(b: string, defaults: Array<[string, string]>, extra: Array<[string, string]>): string {
  const lines = defaults.map(([k, v]) => `${k}: ${v}\r\n`);
  const replaced = new Set<number>();
  for (const [k, v] of extra) {
    const i = defaults.findIndex(([d]) => d === k.toLowerCase());
    if (i < 0 || replaced.has(i)) lines.push(`${k}: ${v}\r\n`);
    else {
      replaced.add(i);
      lines[i] = `${k}: ${v}\r\n`;
    }
  }
  return `--${b}\r\n${lines.join("")}\r\n`;
}

/** `len` when absent or a non-negative safe integer, else a TypeError naming the part. */
export function checkLength(len: number | undefined, label: string): number | undefined {
  if (len !== undefined && !(Number.isSafeInteger(len) && len >= 0))
    throw new TypeError(`hansom: multipart part ${label} length must be a non-negative integer`);
  return len;
}

/** The default headers with content-length appended when the length is known. */
export function withLength(defaults: Array<[string, string]>, len: number | undefined): Array<[string, string]> {
  return len === undefined ? defaults : [...defaults, ["content-length", String(len)]];
}

/** A string value as UTF-8, bytes as they are; anything else is a TypeError naming `what`. */
export function valueBytes(v: unknown, what: string): Uint8Array {
  if (typeof v === "string") return utf8.encode(v);
  if (v instanceof Uint8Array) return v;
  throw new TypeError(`hansom: ${what} must be a string or a Uint8Array, got ${Object.prototype.toString.call(v)}`);
}
