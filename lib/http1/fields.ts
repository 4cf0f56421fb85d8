// Field lines of a response head or trailer section (RFC 9112 §5, RFC 9110 §5): bytes to
// strings, lines to [name, value] pairs, and the value syntax of Content-Length, Connection
// and Transfer-Encoding. ResponseParser (parse.ts) finds the blocks and chooses the framing;
// nothing here keeps state.
import { HansomError } from "../errors.ts";
import { TCHAR } from "./encode.ts";

/** The parser's protocol-violation error, HansomError `bad_response` (shared with parse.ts). */
export function bad(message: string): HansomError {
  return new HansomError("bad_response", `Invalid response: ${message}`, { phase: "response" });
}

// Two bindings on purpose: V8 keeps an exported binding in a module cell that optimized code
// reloads and hole-checks at each use, which cost ~4% on small heads in parseFields' per-byte
// value loop; the unexported `ctl` is folded to a constant, as it was before the split.
const ctl = (c: number): boolean => (c < 32 && c !== 9) || c === 127;
/** A control character other than HTAB (RFC 5234 CTL): never valid in a field or chunk-ext. */
export const isCtl: (c: number) => boolean = ctl;

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Latin-1 decoding (RFC 9110 §5.5: field values are bytes; obs-text is kept as is). Not
 * TextDecoder("latin1"): WHATWG maps that label to windows-1252, which rewrites 0x80-0x9F.
 * Fast path: a strict UTF-8 decode giving one char per byte proves the bytes are ASCII, where
 * UTF-8 and Latin-1 agree (a multi-byte sequence gives fewer chars than bytes); it is several
 * times faster than String.fromCharCode over the bytes.
 */
export function latin1(b: Uint8Array): string {
  try {
    const s = utf8.decode(b);
    if (s.length === b.length) return s;
  } catch {
    // not UTF-8, so not ASCII: obs-text bytes
  }
  let s = "";
  for (let i = 0; i < b.length; i += 8192) {
    s += String.fromCharCode.apply(null, b.subarray(i, i + 8192) as unknown as number[]);
  }
  return s;
}

/**
 * Parses field lines from `pos` to the empty line that ends the block (RFC 9112 §5). `s` is `b`
 * decoded one char per byte, so indexes agree: bytes are classified (cheaper than charCodeAt)
 * and strings are sliced.
 */
export function parseFields(s: string, b: Uint8Array, pos: number, maxHeaders: number): Array<[string, string]> {
  const fields: Array<[string, string]> = [];
  for (;;) {
    const lf = s.indexOf("\n", pos); // the scanner guarantees the block ends with an empty line
    const e = lf > pos && b[lf - 1] === 13 ? lf - 1 : lf;
    if (e === pos) return fields;
    // §5.2: obs-fold is deprecated; a line starting with whitespace is rejected, not unfolded.
    if (b[pos] === 32 || b[pos] === 9) throw bad("obsolete line folding in a header field");
    let i = pos;
    while (i < e && TCHAR[b[i]!] === 1) i++;
    if (i === e) throw bad("header line without a colon");
    if (b[i] !== 58) {
      // §5.1: no whitespace is allowed between the field name and the colon.
      if (b[i] === 32 || b[i] === 9) throw bad("whitespace between a header name and its colon");
      throw bad("invalid character in a header name");
    }
    if (i === pos) throw bad("empty header name");
    // §5.5: leading and trailing OWS is not part of the value.
    let vs = i + 1;
    let ve = e;
    while (vs < ve && (b[vs] === 32 || b[vs] === 9)) vs++;
    while (ve > vs && (b[ve - 1] === 32 || b[ve - 1] === 9)) ve--;
    for (let j = vs; j < ve; j++) {
      // field-vchar, SP and HTAB only: NUL, a bare CR and other controls are invalid (§2.2).
      if (ctl(b[j]!)) {
        throw bad(`invalid character in the value of header ${JSON.stringify(s.slice(pos, i))}`);
      }
    }
    if (fields.length === maxHeaders) {
      throw bad(`more than ${maxHeaders} header fields (the maxHeaders option)`);
    }
    fields.push([s.slice(pos, i), s.slice(vs, ve)]);
    pos = lf + 1;
  }
}

// RFC 9110 §8.6: 1*DIGIT, or a list of identical values ("5, 5") that a recipient may accept.
const LENGTH_LIST = /^\d+(?:[ \t]*,[ \t]*\d+)*$/;

/** Merges one Content-Length field value into the length seen so far (-1: none yet). */
export function parseLength(value: string, previous: number): number {
  const len = value.length;
  let n = 0;
  for (let i = 0; i < len && len <= 15; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) {
      n = -1;
      break;
    }
    n = n * 10 + d;
  }
  // Slow path for a list, a value that may overflow, or garbage; a regex is costly here.
  if (n < 0 || len === 0 || len > 15) {
    if (!LENGTH_LIST.test(value)) throw bad("invalid Content-Length");
    for (const part of value.split(",")) {
      n = Number(part); // only digits and SP/HTAB here, which Number() trims
      if (n > Number.MAX_SAFE_INTEGER) throw bad("Content-Length too large");
      if (previous >= 0 && n !== previous) break;
      previous = n;
    }
  }
  if (previous >= 0 && n !== previous) throw bad("conflicting Content-Length values");
  return n;
}

// Connection options are a comma list of tokens (RFC 9110 §7.6.1).
export const CLOSE = /(?:^|,)[ \t]*close[ \t]*(?:,|$)/;
export const KEEP_ALIVE = /(?:^|,)[ \t]*keep-alive[ \t]*(?:,|$)/;

/** The last non-empty element of a lowercased comma list ("" if none). */
export function lastElement(v: string): string {
  const parts = v.split(",");
  for (let j = parts.length - 1; j >= 0; j--) {
    const t = parts[j]!.trim();
    if (t !== "") return t;
  }
  return "";
}
