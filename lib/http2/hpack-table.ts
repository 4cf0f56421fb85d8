// HPACK's indexing tables (RFC 7541 §2.3): the static table of Appendix A and the dynamic
// table, a FIFO of recent fields bounded in size (§4), shared by one encoder or decoder.

/** RFC 7541 Appendix A, index 1..61 at positions 0..60. */
export const STATIC_TABLE: ReadonlyArray<readonly [string, string]> = [
  [":authority", ""],
  [":method", "GET"],
  [":method", "POST"],
  [":path", "/"],
  [":path", "/index.html"],
  [":scheme", "http"],
  [":scheme", "https"],
  [":status", "200"],
  [":status", "204"],
  [":status", "206"],
  [":status", "304"],
  [":status", "400"],
  [":status", "404"],
  [":status", "500"],
  ["accept-charset", ""],
  ["accept-encoding", "gzip, deflate"],
  ["accept-language", ""],
  ["accept-ranges", ""],
  ["accept", ""],
  ["access-control-allow-origin", ""],
  ["age", ""],
  ["allow", ""],
  ["authorization", ""],
  ["cache-control", ""],
  ["content-disposition", ""],
  ["content-encoding", ""],
  ["content-language", ""],
  ["content-length", ""],
  ["content-location", ""],
  ["content-range", ""],
  ["content-type", ""],
  ["cookie", ""],
  ["date", ""],
  ["etag", ""],
  ["expect", ""],
  ["expires", ""],
  ["from", ""],
  ["host", ""],
  ["if-match", ""],
  ["if-modified-since", ""],
  ["if-none-match", ""],
  ["if-range", ""],
  ["if-unmodified-since", ""],
  ["last-modified", ""],
  ["link", ""],
  ["location", ""],
  ["max-forwards", ""],
  ["proxy-authenticate", ""],
  ["proxy-authorization", ""],
  ["range", ""],
  ["referer", ""],
  ["refresh", ""],
  ["retry-after", ""],
  ["server", ""],
  ["set-cookie", ""],
  ["strict-transport-security", ""],
  ["transfer-encoding", ""],
  ["user-agent", ""],
  ["vary", ""],
  ["via", ""],
  ["www-authenticate", ""],
];

/** Number of static entries; dynamic indices start after it. */
export const STATIC_LENGTH = 61;

/** §4.1: an entry's size is its name and value lengths in octets plus 32. */
export const ENTRY_OVERHEAD = 32;

/**
 * The dynamic table. Entries carry the octet length the size rule counts, which the caller
 * provides (names and values are octet strings; JS strings may hold UTF-8 decoded otherwise).
 * Every entry ever added has a sequence number (`inserted` counts them), which lets the
 * encoder keep lookup maps that survive eviction.
 */
export class DynamicTable {
  #names: string[] = [];
  #values: string[] = [];
  #sizes: number[] = [];
  // Entries live in #names[#head..] (oldest first); #head grows on eviction, compacted sometimes.
  #head = 0;
  #size = 0;
  #maxSize: number;
  #inserted = 0;

  constructor(maxSize: number) {
    this.#maxSize = maxSize;
  }

  /** Sum of entry sizes (§4.1). */
  get size(): number {
    return this.#size;
  }

  /** The current maximum size (§4.2). */
  get maxSize(): number {
    return this.#maxSize;
  }

  /** Entries in the table. */
  get length(): number {
    return this.#names.length - this.#head;
  }

  /** Entries added since creation, evicted ones included: the newest has sequence `inserted - 1`. */
  get inserted(): number {
    return this.#inserted;
  }

  /** The entry at dynamic index `i` (1 = newest), or undefined. */
  get(i: number): [string, string] | undefined {
    const at = this.#names.length - i;
    if (i < 1 || at < this.#head) return undefined;
    return [this.#names[at]!, this.#values[at]!];
  }

  /** Sequence number to dynamic index (1 = newest); 0 when the entry was evicted. */
  indexOf(seq: number): number {
    const i = this.#inserted - seq;
    return i >= 1 && i <= this.length ? i : 0;
  }

  /** §4.4: adds an entry, evicting the oldest first; an entry larger than the table empties it and is not added. */
  add(name: string, value: string, octets: number): void {
    const size = octets + ENTRY_OVERHEAD;
    this.#inserted++;
    if (size > this.#maxSize) {
      this.#evictTo(0);
      return;
    }
    this.#evictTo(this.#maxSize - size);
    this.#names.push(name);
    this.#values.push(value);
    this.#sizes.push(size);
    this.#size += size;
  }

  /** §4.3: a new maximum size, evicting entries until the table fits. */
  setMaxSize(maxSize: number): void {
    this.#maxSize = maxSize;
    this.#evictTo(maxSize);
  }

  #evictTo(limit: number): void {
    while (this.#size > limit) this.#size -= this.#sizes[this.#head++]!;
    if (this.#head > 64 && this.#head * 2 > this.#names.length) {
      this.#names.splice(0, this.#head);
      this.#values.splice(0, this.#head);
      this.#sizes.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
