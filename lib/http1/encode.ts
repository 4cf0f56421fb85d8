// Request head serialisation (RFC 9112 §3 request line, §5 field lines): every piece is
// validated before a byte is produced, so a CR/LF/NUL smuggled into a method, target, header
// name or value can never split the request (request smuggling / header injection).
//
// Byte encoding of header values, explicitly: a value whose characters are all <= U+00FF is a
// byte string and is sent as Latin-1, one byte per character (the inverse of the parser's
// Latin-1 decoding, so a received value such as a cookie echoes back byte for byte); a value
// with any character above U+00FF is sent as UTF-8. The request target is sent as UTF-8 (it
// should already be percent-encoded ASCII). Method and names are tokens, hence ASCII.
import { HansomError } from "../errors.ts";

/** RFC 9110 §5.6.2 tchar lookup by char code (1 = tchar); shared with the parser. */
export const TCHAR: Uint8Array = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1;

const encoder = new TextEncoder();

// A small typed array costs far more than its bytes (each gets its own ArrayBuffer backing
// store: ~0.5 µs on Node 20, more than encoding a whole head), so heads and chunk prefixes are
// carved out of a shared slab, as Node's own buffer pool does. A region is handed out once and
// never written again; a full slab is dropped and lives on only as long as views of it do.
const SLAB_SIZE = 65536;
let slab = new Uint8Array(SLAB_SIZE);
let slabPos = 0;

/** `n` fresh bytes from the slab (n <= SLAB_SIZE / 4). */
function carve(n: number): Uint8Array {
  if (slabPos + n > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabPos = 0;
  }
  const out = slab.subarray(slabPos, slabPos + n);
  slabPos += n;
  return out;
}

/** CR LF, the line ending of the chunked framing. Shared: do not mutate. */
export const CRLF: Uint8Array = new Uint8Array([13, 10]);
/** The last chunk and the empty trailer section: "0\r\n\r\n" (RFC 9112 §7.1). Shared: do not mutate. */
export const LAST_CHUNK: Uint8Array = new Uint8Array([0x30, 13, 10, 13, 10]);

/** What a request head is made of. */
export interface RequestHeadInit {
  /** The method as it goes on the wire; must be an RFC 9110 token. */
  method: string;
  /** origin-form "/p?q", absolute-form (proxies) or authority-form "host:port" (CONNECT). */
  target: string;
  /** In order and case as given, already including Host and the body framing headers. */
  headers: Array<[string, string]>;
}

function invalid(message: string): HansomError {
  return new HansomError("invalid_header", message, { phase: "input" });
}

/** True when `s` is a non-empty RFC 9110 token (1*tchar). */
export function isToken(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    if (TCHAR[s.charCodeAt(i)] !== 1) return false; // codes > 0xFF read undefined: not a tchar
  }
  return true;
}

/** Throws `invalid_header` unless `name` is a token (RFC 9110 §5.1). */
export function assertHeaderName(name: string): void {
  if (!isToken(name)) {
    throw invalid(`Invalid header name ${JSON.stringify(name)}: not an RFC 9110 token`);
  }
}

/**
 * Checks a value for CR, LF and NUL (RFC 9110 §5.5: they must never reach the wire) and
 * returns the highest char code seen. The message names the header, never the value, which
 * may be a secret (Authorization, Cookie).
 */
function checkValue(name: string, value: string): number {
  let max = 0;
  for (let i = 0, n = value.length; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c <= 13 && (c === 13 || c === 10 || c === 0)) {
      throw invalid(`Invalid value for header ${JSON.stringify(name)}: CR, LF and NUL are not allowed`);
    }
    if (c > max) max = c;
  }
  return max;
}

/** Throws `invalid_header` when `value` holds CR, LF or NUL; the message never shows the value. */
export function assertHeaderValue(name: string, value: string): void {
  checkValue(name, value);
}

/** Returns the highest char code of a valid target; throws for an empty one or any space or control. */
function checkTarget(target: string): number {
  const n = target.length;
  if (n === 0) throw invalid("Invalid request target: empty");
  let max = 0;
  for (let i = 0; i < n; i++) {
    const c = target.charCodeAt(i);
    // RFC 9112 §3.2: no whitespace or controls (C0, DEL, C1) in a request-target. The value
    // is not printed: a query string may carry a token.
    if (c <= 0x20 || c === 0x7f || (c >= 0x80 && c <= 0x9f)) {
      throw invalid(`Invalid request target: space or control character at index ${i}`);
    }
    if (c > max) max = c;
  }
  return max;
}

/** Throws invalid_header for an empty request target or one with a space or control character. */
export function assertRequestTarget(target: string): void {
  checkTarget(target);
}

/** `s` as a byte string holding its UTF-8 encoding (one char per byte). */
function utf8Bytes(s: string): string {
  const b = encoder.encode(s);
  let out = "";
  for (let i = 0; i < b.length; i += 4096) {
    out += String.fromCharCode.apply(null, b.subarray(i, i + 4096) as unknown as number[]);
  }
  return out;
}

/**
 * Validates and serialises a request head (request line, field lines, empty line) to bytes.
 * The result may be a view into a shared slab: send it, never write into it.
 * Throws HansomError `invalid_header` for a method or header name that is not a token, a
 * value with CR, LF or NUL, or a target that is empty or holds a space or control character.
 * @example encodeHead({ method: "GET", target: "/", headers: [["Host", "a.example"]] })
 */
export function encodeHead(init: RequestHeadInit): Uint8Array {
  const { method, target, headers } = init;
  if (!isToken(method)) {
    throw invalid(`Invalid request method ${JSON.stringify(method)}: not an RFC 9110 token`);
  }
  let max = checkTarget(target);
  // One string, encoded once: V8 builds it as a rope and flattens it in the encoder.
  let s = method + " " + target + " HTTP/1.1\r\n";
  for (let k = 0, n = headers.length; k < n; k++) {
    const h = headers[k]!;
    const name = h[0];
    const value = h[1];
    assertHeaderName(name);
    const m = checkValue(name, value);
    if (m > max) max = m;
    s += name + ": " + value + "\r\n";
  }
  s += "\r\n";
  // All ASCII (the usual case): UTF-8 and Latin-1 agree, one byte per char, and TextEncoder
  // (native) beats a charCodeAt loop by about 3x.
  if (max >= 0x80) return encodeMixed(method, target, headers);
  if (s.length > SLAB_SIZE / 4) return encoder.encode(s);
  const out = carve(s.length);
  encoder.encodeInto(s, out);
  return out;
}

/** The slow path for non-ASCII heads: builds a byte string per the rules at the top, then copies. */
function encodeMixed(method: string, target: string, headers: Array<[string, string]>): Uint8Array {
  let s = method + " " + utf8Bytes(target) + " HTTP/1.1\r\n";
  for (const [name, value] of headers) {
    let wide = false;
    for (let i = 0; i < value.length; i++) {
      if (value.charCodeAt(i) > 0xff) {
        wide = true;
        break;
      }
    }
    s += name + ": " + (wide ? utf8Bytes(value) : value) + "\r\n";
  }
  s += "\r\n";
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

const HEX_DIGITS = new Uint8Array([..."0123456789abcdef"].map((c) => c.charCodeAt(0)));

/**
 * The chunk-size line "<hex>\r\n" that precedes `size` bytes of chunk data (RFC 9112 §7.1).
 * Throws RangeError for 0 (a zero-size chunk would end the body: skip empty chunks) and for
 * anything that is not a positive safe integer. The result may be a view into a shared slab.
 */
export function chunkPrefix(size: number): Uint8Array {
  if (!Number.isSafeInteger(size) || size <= 0) {
    throw new RangeError(`chunkPrefix: size must be a positive safe integer, got ${size}`);
  }
  let digits = 1;
  for (let v = size; v >= 16; v = Math.floor(v / 16)) digits++;
  const out = carve(digits + 2);
  let v = size;
  for (let i = digits - 1; i >= 0; i--) {
    out[i] = HEX_DIGITS[v % 16]!;
    v = Math.floor(v / 16);
  }
  out[digits] = 13;
  out[digits + 1] = 10;
  return out;
}
