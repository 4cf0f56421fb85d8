// HPACK encoder (RFC 7541 §6): a field list in, a field block out. Fields found in the static
// or dynamic table go out as one index; others as literals, added to the dynamic table unless
// they are secrets (never indexed, §7.1.3), volatile, or too large to be worth a slot. String
// literals are Huffman-coded when that is shorter (§5.2). The table never grows beyond the
// peer's SETTINGS_HEADER_TABLE_SIZE nor our own cap, and every change of its size is signalled
// at the start of the next block (§4.2). Strings go out as Latin-1 when every char is <= U+00FF,
// else as UTF-8, the rule http1/encode.ts follows.
import { huffmanEncode, huffmanLength } from "./huffman.ts";
import { DynamicTable, ENTRY_OVERHEAD, STATIC_LENGTH, STATIC_TABLE } from "./hpack-table.ts";

/** §7.1.3: fields whose values are secrets, never entered in a table by anyone on the path. */
const SENSITIVE = new Set(["authorization", "proxy-authorization", "cookie"]);
/** Fields whose values change from request to request: a table slot would be wasted. */
const VOLATILE = new Set(["content-length", "if-modified-since", "if-none-match", "if-range", "range", "date", "etag"]);

// Static lookups: exact field to index, and name to its first index.
const STATIC_EXACT = new Map<string, number>();
const STATIC_NAME = new Map<string, number>();
STATIC_TABLE.forEach(([n, v], i) => {
  STATIC_EXACT.set(`${n}\0${v}`, i + 1);
  if (!STATIC_NAME.has(n)) STATIC_NAME.set(n, i + 1);
});

const utf8 = new TextEncoder();

/** A string's octets: Latin-1 when every char is <= U+00FF, else UTF-8. */
export function toOctets(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0xff) return utf8.encode(s);
    out[i] = c;
  }
  return out;
}

/** Options of one encoder. */
export interface HpackEncoderOptions {
  /** The most dynamic table we are willing to keep, whatever the peer allows. @default 4096 */
  maxTableSize?: number;
}

/** Encodes field lists for one connection. */
export class HpackEncoder {
  readonly table: DynamicTable;
  readonly #cap: number;
  // Size updates owed at the start of the next block (§4.2): the smallest size since the last
  // block, then the current one; -1 when none is owed.
  #pendingMin = -1;
  // Dynamic lookups, by entry sequence number (see DynamicTable.indexOf); stale ones are pruned.
  #exact = new Map<string, number>();
  #names = new Map<string, number>();
  #out = new Uint8Array(256);
  #at = 0;

  constructor(o: HpackEncoderOptions = {}) {
    this.#cap = o.maxTableSize ?? 4096;
    // The peer's decoder starts at 4096 (RFC 9113 §6.5.2); a smaller cap must be announced.
    this.table = new DynamicTable(Math.min(4096, this.#cap));
    if (this.#cap < 4096) this.#pendingMin = this.#cap;
  }

  /** Applies the peer's SETTINGS_HEADER_TABLE_SIZE. */
  setPeerTableSize(size: number): void {
    const next = Math.min(size, this.#cap);
    if (next === this.table.maxSize && this.#pendingMin < 0) return;
    this.#pendingMin = this.#pendingMin < 0 ? next : Math.min(this.#pendingMin, next);
    this.table.setMaxSize(next);
  }

  /** Encodes one field list (names lower-case, already validated) into a new field block. */
  encode(fields: ReadonlyArray<readonly [string, string]>): Uint8Array {
    this.#at = 0;
    if (this.#pendingMin >= 0) {
      if (this.#pendingMin < this.table.maxSize) this.#int(0x20, 5, this.#pendingMin);
      this.#int(0x20, 5, this.table.maxSize);
      this.#pendingMin = -1;
    }
    for (const [name, value] of fields) this.#field(name, value);
    return this.#out.slice(0, this.#at);
  }

  #field(name: string, value: string): void {
    const key = `${name}\0${value}`;
    const sensitive = SENSITIVE.has(name);
    if (!sensitive) {
      const s = STATIC_EXACT.get(key);
      if (s !== undefined) return this.#int(0x80, 7, s);
      const d = this.#dynamic(this.#exact, key);
      if (d > 0) return this.#int(0x80, 7, d);
    }
    const nameIndex = STATIC_NAME.get(name) ?? this.#dynamic(this.#names, name);
    const nameOctets = toOctets(name);
    const valueOctets = toOctets(value);
    const size = nameOctets.length + valueOctets.length + ENTRY_OVERHEAD;
    if (sensitive)
      this.#int(0x10, 4, nameIndex); // §6.2.3
    else if (VOLATILE.has(name) || size * 4 > this.table.maxSize * 3)
      this.#int(0x00, 4, nameIndex); // §6.2.2
    else {
      this.#int(0x40, 6, nameIndex); // §6.2.1
      this.table.add(name, value, size - ENTRY_OVERHEAD);
      const seq = this.table.inserted - 1;
      this.#exact.set(key, seq);
      this.#names.set(name, seq);
      if (this.#exact.size > 2 * this.table.length + 64) this.#prune();
    }
    if (nameIndex === 0) this.#string(nameOctets);
    this.#string(valueOctets);
  }

  /** The HPACK index of a dynamic entry found in `map`, or 0 (dropping a stale mapping). */
  #dynamic(map: Map<string, number>, key: string): number {
    const seq = map.get(key);
    if (seq === undefined) return 0;
    const i = this.table.indexOf(seq);
    if (i === 0) {
      map.delete(key);
      return 0;
    }
    return STATIC_LENGTH + i;
  }

  /** Rebuilds the lookup maps from the live entries, so evicted ones do not pile up. */
  #prune(): void {
    this.#exact.clear();
    this.#names.clear();
    for (let i = this.table.length; i >= 1; i--) {
      const [n, v] = this.table.get(i)!;
      const seq = this.table.inserted - i;
      this.#exact.set(`${n}\0${v}`, seq);
      this.#names.set(n, seq);
    }
  }

  #ensure(n: number): void {
    if (this.#at + n <= this.#out.length) return;
    const grown = new Uint8Array(Math.max(this.#out.length * 2, this.#at + n));
    grown.set(this.#out.subarray(0, this.#at));
    this.#out = grown;
  }

  /** §5.1: `v` with an N-bit prefix, the first octet's high bits set to `first`. */
  #int(first: number, prefix: number, v: number): void {
    this.#ensure(6);
    const mask = (1 << prefix) - 1;
    const out = this.#out;
    if (v < mask) {
      out[this.#at++] = first | v;
      return;
    }
    out[this.#at++] = first | mask;
    v -= mask;
    while (v >= 128) {
      out[this.#at++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    out[this.#at++] = v;
  }

  /** §5.2: a string literal, Huffman-coded when shorter. */
  #string(octets: Uint8Array): void {
    const h = huffmanLength(octets);
    const huffman = h < octets.length;
    this.#int(huffman ? 0x80 : 0, 7, huffman ? h : octets.length);
    this.#ensure(octets.length);
    if (huffman) this.#at = huffmanEncode(octets, this.#out, this.#at);
    else {
      this.#out.set(octets, this.#at);
      this.#at += octets.length;
    }
  }
}
