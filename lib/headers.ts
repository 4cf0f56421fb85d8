// Request header fields: the caller's input as ordered pairs, looked up by name through one
// prepared list of lower-cased names (built once per hop, not rescanned per lookup), merged,
// and stripped of credentials when a redirect leaves the origin.
import { assertHeaderName, assertHeaderValue } from "./http1/encode.ts";

/**
 * Header input: a `Headers`, a record, or name/value pairs kept in order and case (any iterable
 * of pairs). In a record, a field whose value is undefined is left out.
 */
export type HeadersInput =
  | Array<[string, string]>
  | Record<string, string | undefined>
  | Iterable<readonly [string, string]>;

/** Header input as ordered pairs. */
export function headerPairs(h: HeadersInput | undefined): Array<[string, string]> {
  if (!h) return [];
  if (Array.isArray(h)) return h.map((p) => [String(p[0]), String(p[1])] as [string, string]);
  if (typeof Headers !== "undefined" && h instanceof Headers) return [...h.entries()];
  if (typeof (h as Iterable<unknown>)[Symbol.iterator] === "function") {
    return [...(h as Iterable<readonly [string, string]>)].map((p) => [String(p[0]), String(p[1])] as [string, string]);
  }
  const out: Array<[string, string]> = [];
  for (const [k, v] of Object.entries(h as Record<string, string | undefined>))
    if (v !== undefined) out.push([k, String(v)]);
  return out;
}

/** Ordered header pairs with their lower-cased names prepared for lookups. */
export class HeaderFields {
  readonly pairs: Array<[string, string]>;
  readonly #lower: string[];

  constructor(pairs: Array<[string, string]>) {
    this.pairs = pairs;
    this.#lower = pairs.map((p) => p[0].toLowerCase());
  }

  /** Whether a field named `lower` (a lower-case name) is present. */
  has(lower: string): boolean {
    return this.#lower.includes(lower);
  }

  /** The first value of the field named `lower`, or undefined. */
  get(lower: string): string | undefined {
    const i = this.#lower.indexOf(lower);
    return i < 0 ? undefined : this.pairs[i]![1];
  }

  /** The fields without those named in `lower` (lower-case names). */
  without(lower: readonly string[]): HeaderFields {
    const keep: Array<[string, string]> = [];
    for (let i = 0; i < this.pairs.length; i++) if (!lower.includes(this.#lower[i]!)) keep.push(this.pairs[i]!);
    return keep.length === this.pairs.length ? this : new HeaderFields(keep);
  }

  /** These fields after `base`, whose fields a field of the same name here replaces. */
  over(base: Array<[string, string]>): HeaderFields {
    if (base.length === 0) return this;
    const kept = base.filter(([k]) => !this.#lower.includes(k.toLowerCase()));
    return new HeaderFields([...kept, ...this.pairs]);
  }
}

/** Value of the first pair named `name` (any case), or undefined. */
export function getHeader(pairs: Array<[string, string]>, name: string): string | undefined {
  const n = name.toLowerCase();
  for (const [k, v] of pairs) if (k.length === n.length && k.toLowerCase() === n) return v;
  return undefined;
}

/** base64 of a UTF-8 string, Web APIs only. */
export function base64(s: string): string {
  const bytes = new TextEncoder().encode(s);
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!);
  return btoa(bin);
}

/** Checks header names and values: a bad token, or CR, LF or NUL in a value, is invalid_header. */
export function validateHeaderPairs(pairs: Array<[string, string]>): void {
  for (const [k, v] of pairs) {
    assertHeaderName(k);
    assertHeaderValue(k, v);
  }
}
