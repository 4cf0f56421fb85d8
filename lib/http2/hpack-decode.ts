// HPACK decoder (RFC 7541 §3, §6): a field block in, a field list out, with the dynamic
// table kept across blocks. Every malformed representation is a COMPRESSION_ERROR (RFC 9113
// §4.3), a connection error: the table state cannot be trusted after one. The field list
// size (RFC 9113 §6.5.2) is counted as fields are decoded, so an oversized list is refused
// before it is built. Octets become strings as Latin-1 (one char per octet), as in http1/.
import { latin1 } from "../http1/fields.ts";
import { COMPRESSION_ERROR, connectionError, type H2Error, PROTOCOL_ERROR } from "./errors.ts";
import { huffmanDecode } from "./huffman.ts";
import { DynamicTable, ENTRY_OVERHEAD, STATIC_LENGTH, STATIC_TABLE } from "./hpack-table.ts";

/** Limits of one decoder. */
export interface HpackDecoderOptions {
  /** Our SETTINGS_HEADER_TABLE_SIZE: the most the peer's size updates may ask for. @default 4096 */
  maxTableSize?: number;
  /** Our SETTINGS_MAX_HEADER_LIST_SIZE (§6.5.2 counting). @default 65536 */
  maxHeaderListSize?: number;
}

// §6.3: a block may open with size updates; more than two in a row has no use (§4.2 needs at
// most the smallest and the final value), so a longer run is refused as abuse.
const MAX_SIZE_UPDATES = 2;
// Integers are at most 2^32 - 1 here: no table size, index or length needs more, and a longer
// run of continuation octets is a way to make the decoder spin.
const MAX_INT = 0xffffffff;

function bad(message: string): H2Error {
  return connectionError(COMPRESSION_ERROR, `HPACK: ${message}`);
}

/** Decodes field blocks for one connection. */
export class HpackDecoder {
  readonly table: DynamicTable;
  readonly maxTableSize: number;
  readonly maxHeaderListSize: number;
  #block: Uint8Array = new Uint8Array(0);
  #pos = 0;

  constructor(o: HpackDecoderOptions = {}) {
    this.maxTableSize = o.maxTableSize ?? 4096;
    this.maxHeaderListSize = o.maxHeaderListSize ?? 65536;
    this.table = new DynamicTable(this.maxTableSize);
  }

  /**
   * Decodes one complete field block. Throws H2Error: COMPRESSION_ERROR for a malformed
   * block, PROTOCOL_ERROR for a field list over maxHeaderListSize (both connection errors).
   */
  decode(block: Uint8Array): Array<[string, string]> {
    this.#block = block;
    this.#pos = 0;
    const fields: Array<[string, string]> = [];
    let listSize = 0;
    let updates = 0;
    while (this.#pos < block.length) {
      const b = block[this.#pos]!;
      let name: string, value: string;
      if (b & 0x80) {
        // §6.1 indexed field
        [name, value] = this.#entry(this.#int(7));
      } else if (b & 0x40) {
        // §6.2.1 literal with incremental indexing
        const i = this.#int(6);
        name = i === 0 ? this.#string() : this.#entry(i)[0];
        value = this.#string();
        this.table.add(name, value, name.length + value.length);
      } else if (b & 0x20) {
        // §6.3 dynamic table size update: only at the start of a block (§4.2)
        if (fields.length > 0) throw bad("dynamic table size update after a field");
        if (++updates > MAX_SIZE_UPDATES)
          throw bad(`more than ${MAX_SIZE_UPDATES} dynamic table size updates in one block`);
        const size = this.#int(5);
        if (size > this.maxTableSize)
          throw bad(`dynamic table size update to ${size}, above our SETTINGS_HEADER_TABLE_SIZE ${this.maxTableSize}`);
        this.table.setMaxSize(size);
        continue;
      } else {
        // §6.2.2 literal without indexing, §6.2.3 never indexed
        const i = this.#int(4);
        name = i === 0 ? this.#string() : this.#entry(i)[0];
        value = this.#string();
      }
      listSize += name.length + value.length + ENTRY_OVERHEAD;
      if (listSize > this.maxHeaderListSize) {
        throw connectionError(
          PROTOCOL_ERROR,
          `header list larger than SETTINGS_MAX_HEADER_LIST_SIZE ${this.maxHeaderListSize} bytes`,
        );
      }
      fields.push([name, value]);
    }
    this.#block = new Uint8Array(0);
    return fields;
  }

  /** §2.3.3: index 1..61 is static, above it dynamic; 0 and past the end are errors. */
  #entry(i: number): readonly [string, string] {
    if (i === 0) throw bad("index 0");
    if (i <= STATIC_LENGTH) return STATIC_TABLE[i - 1]!;
    const e = this.table.get(i - STATIC_LENGTH);
    if (e === undefined) throw bad(`index ${i} past the end of the dynamic table`);
    return e;
  }

  /** §5.1: an integer with an N-bit prefix at the current octet. */
  #int(prefix: number): number {
    const block = this.#block;
    const mask = (1 << prefix) - 1;
    let v = block[this.#pos++]! & mask;
    if (v < mask) return v;
    for (let m = 0; ; m += 7) {
      if (this.#pos >= block.length) throw bad("integer past the end of the block");
      if (m > 28) throw bad("integer longer than 32 bits");
      const b = block[this.#pos++]!;
      v += (b & 0x7f) * 2 ** m;
      if ((b & 0x80) === 0) break;
    }
    if (v > MAX_INT) throw bad("integer longer than 32 bits");
    return v;
  }

  /** §5.2: a string literal, Huffman-coded or raw. */
  #string(): string {
    const block = this.#block;
    if (this.#pos >= block.length) throw bad("string literal missing at the end of the block");
    const huffman = (block[this.#pos]! & 0x80) !== 0;
    const len = this.#int(7);
    if (len > block.length - this.#pos) throw bad("string literal past the end of the block");
    const raw = block.subarray(this.#pos, this.#pos + len);
    this.#pos += len;
    if (!huffman) return latin1(raw);
    const decoded = huffmanDecode(raw);
    if (decoded === null) throw bad("invalid Huffman code (EOS or bad padding)");
    return latin1(decoded);
  }
}
