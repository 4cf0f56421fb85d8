// HPACK Huffman coding (RFC 7541 §5.2) over the Appendix B code in huffman-table.ts.
// Decoding runs a table-driven automaton that eats 4 bits per step: its states are the
// internal nodes of the code tree (256 of them), and each (state, nibble) entry gives the
// next state and the symbol completed on the way, if any (codes are at least 5 bits long,
// so a nibble completes at most one). Built once, at module load, from the code table.
import { HUFFMAN_CODES } from "./huffman-table.ts";

const EOS = 256;
const FAIL = 0xffff;

// The code tree: children of internal node i are at 2i and 2i+1; a value >= 0x8000 is a leaf
// holding symbol (value - 0x8000), anything else the index of an internal node.
const tree = new Uint16Array(512);
let nodes = 1;
for (let sym = 0; sym <= EOS; sym++) {
  const code = HUFFMAN_CODES[2 * sym]!,
    bits = HUFFMAN_CODES[2 * sym + 1]!;
  let node = 0;
  for (let b = bits - 1; b > 0; b--) {
    const slot = 2 * node + ((code >>> b) & 1);
    if (tree[slot] === 0) tree[slot] = nodes++;
    node = tree[slot]!;
  }
  tree[2 * node + (code & 1)] = 0x8000 + sym;
}

// Whether decoding may stop at a node: §5.2 allows padding of at most 7 bits, all ones (the
// most significant bits of EOS), so the valid end states are the root and the all-ones
// path's first 7 nodes.
const accepting = new Uint8Array(256);
for (let node = 0, depth = 0; depth <= 7; depth++) {
  accepting[node] = 1;
  node = tree[2 * node + 1]!;
}

// The automaton: NEXT[state * 16 + nibble] and EMIT (0: no symbol, 1 + sym, or FAIL on EOS).
const NEXT = new Uint8Array(256 * 16);
const EMIT = new Uint16Array(256 * 16);
for (let state = 0; state < nodes; state++) {
  for (let nibble = 0; nibble < 16; nibble++) {
    let node = state,
      emit = 0;
    for (let b = 3; b >= 0; b--) {
      const next = tree[2 * node + ((nibble >>> b) & 1)]!;
      if (next < 0x8000) {
        node = next;
        continue;
      }
      emit = next - 0x8000 === EOS ? FAIL : 1 + next - 0x8000;
      node = 0;
      if (emit === FAIL) break;
    }
    NEXT[state * 16 + nibble] = node;
    EMIT[state * 16 + nibble] = emit;
  }
}

/** Decodes a Huffman-coded string; returns null for EOS inside it or bad padding (§5.2). */
export function huffmanDecode(src: Uint8Array): Uint8Array | null {
  const out = new Uint8Array(Math.ceil((src.length * 8) / 5));
  let n = 0,
    state = 0;
  for (let i = 0; i < src.length; i++) {
    const byte = src[i]!;
    let k = state * 16 + (byte >>> 4);
    let e = EMIT[k]!;
    if (e !== 0) {
      if (e === FAIL) return null;
      out[n++] = e - 1;
    }
    state = NEXT[k]!;
    k = state * 16 + (byte & 15);
    e = EMIT[k]!;
    if (e !== 0) {
      if (e === FAIL) return null;
      out[n++] = e - 1;
    }
    state = NEXT[k]!;
  }
  return accepting[state] === 1 ? out.subarray(0, n) : null;
}

/** The length in octets of the Huffman coding of `src` (bytes 0..255). */
export function huffmanLength(src: Uint8Array): number {
  let bits = 0;
  for (let i = 0; i < src.length; i++) bits += HUFFMAN_CODES[2 * src[i]! + 1]!;
  return Math.ceil(bits / 8);
}

/** Writes the Huffman coding of `src` into `out` at `at`, padded with ones (§5.2); returns the end offset. */
export function huffmanEncode(src: Uint8Array, out: Uint8Array, at: number): number {
  // Up to 7 pending bits plus a 30-bit code fit in a double's exact integer range.
  let acc = 0,
    bits = 0;
  for (let i = 0; i < src.length; i++) {
    const s = src[i]!;
    const len = HUFFMAN_CODES[2 * s + 1]!;
    acc = acc * 2 ** len + HUFFMAN_CODES[2 * s]!;
    bits += len;
    while (bits >= 8) {
      bits -= 8;
      const p = 2 ** bits;
      const byte = Math.floor(acc / p);
      out[at++] = byte;
      acc -= byte * p;
    }
  }
  if (bits > 0) out[at++] = (acc << (8 - bits)) | (0xff >>> bits);
  return at;
}
