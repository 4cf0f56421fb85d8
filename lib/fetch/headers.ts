// A fetch HeadersInit as the name/value pairs hansom sends, in the caller's order, with
// values normalised as Headers would (WHATWG Fetch §2.2: leading and trailing HTTP
// whitespace stripped) and a lookup by lower-cased name for the defaults fetch adds.

/** Request header fields as pairs. */
export type Fields = Array<[string, string]>;

/** True for the HTTP whitespace bytes: tab, LF, CR, space. */
function isHttpSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** A header value without leading or trailing HTTP whitespace. */
function normalizeValue(v: string): string {
  if (v.length === 0 || (!isHttpSpace(v.charCodeAt(0)) && !isHttpSpace(v.charCodeAt(v.length - 1)))) return v;
  return v.replace(/^[\t\n\r ]+|[\t\n\r ]+$/g, "");
}

/** Any HeadersInit (a Headers, pairs, a record) as pairs; a pair that is not two items is a TypeError. */
export function fieldsOf(h: HeadersInit | null | undefined): Fields {
  const out: Fields = [];
  if (h === undefined || h === null) return out;
  if (typeof Headers !== "undefined" && h instanceof Headers) {
    h.forEach((v, k) => {
      out.push([k, v]);
    });
    return out;
  }
  if (typeof h !== "object")
    throw new TypeError("fetch: headers must be a Headers, an object or a list of [name, value] pairs");
  if (Symbol.iterator in h) {
    for (const p of h as Iterable<ArrayLike<unknown>>) {
      if (!p || typeof p !== "object" || p.length !== 2)
        throw new TypeError("fetch: each header pair must be [name, value]");
      out.push([String(p[0]), normalizeValue(String(p[1]))]);
    }
    return out;
  }
  const rec = h as Record<string, unknown>;
  for (const k of Object.keys(rec)) out.push([k, normalizeValue(String(rec[k]))]);
  return out;
}

/** Whether a field named `lower` (lower-case) is among `fields`. */
export function hasField(fields: Fields, lower: string): boolean {
  for (let i = 0; i < fields.length; i++) {
    const k = fields[i]![0];
    if (k.length === lower.length && k.toLowerCase() === lower) return true;
  }
  return false;
}

/** `fields` without those whose lower-cased name is in `lower`. */
export function withoutFields(fields: Fields, lower: readonly string[]): Fields {
  return fields.filter(([k]) => !lower.includes(k.toLowerCase()));
}

/** The first value of a response field named `lower` (lower-case) in raw pairs, or null. */
export function fieldValue(raw: ReadonlyArray<[string, string]>, lower: string): string | null {
  for (let i = 0; i < raw.length; i++) {
    const k = raw[i]![0];
    if (k.length === lower.length && k.toLowerCase() === lower) return raw[i]![1];
  }
  return null;
}
