import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { HUFFMAN_CODES } from "../../lib/http2/huffman-table.ts";
import { huffmanDecode, huffmanEncode, huffmanLength } from "../../lib/http2/huffman.ts";
import { hex, toHex } from "./support.ts";

const latin1 = (s: string) => Uint8Array.from(s, (c) => c.charCodeAt(0));

function encode(src: Uint8Array): Uint8Array {
  const out = new Uint8Array(huffmanLength(src));
  assert.equal(huffmanEncode(src, out, 0), out.length);
  return out;
}

test("huffman table - 257 codes, canonical, complete and prefix-free", () => {
  assert.equal(HUFFMAN_CODES.length, 2 * 257);
  const syms = Array.from({ length: 257 }, (_, s) => ({
    s,
    code: HUFFMAN_CODES[2 * s]!,
    len: HUFFMAN_CODES[2 * s + 1]!,
  }));
  // Kraft: sum of 2^-len is exactly 1 for a complete prefix code (exact in binary floating point).
  assert.equal(
    syms.reduce((a, x) => a + 2 ** -x.len, 0),
    1,
  );
  // Canonical: sorted by (length, symbol), each code is the previous plus one, shifted to its length.
  const sorted = [...syms].sort((a, b) => a.len - b.len || a.s - b.s);
  let next = 0,
    len = sorted[0]!.len;
  for (const x of sorted) {
    next *= 2 ** (x.len - len);
    len = x.len;
    assert.equal(x.code, next, `symbol ${x.s}`);
    next++;
  }
  assert.equal(next, 2 ** 30, "the last code is all ones");
  assert.deepEqual([HUFFMAN_CODES[2 * 256], HUFFMAN_CODES[2 * 256 + 1]], [0x3fffffff, 30]); // EOS
  assert.deepEqual([HUFFMAN_CODES[2 * 48], HUFFMAN_CODES[2 * 48 + 1]], [0x0, 5]); // '0'
});

// RFC 7541 Appendix C.4 and C.6 string literals.
const VECTORS: Array<[string, string]> = [
  ["www.example.com", "f1e3 c2e5 f23a 6ba0 ab90 f4ff"],
  ["no-cache", "a8eb 1064 9cbf"],
  ["custom-key", "25a8 49e9 5ba9 7d7f"],
  ["custom-value", "25a8 49e9 5bb8 e8b4 bf"],
  ["302", "6402"],
  ["307", "640e ff"],
  ["private", "aec3 771a 4b"],
  ["Mon, 21 Oct 2013 20:13:21 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e082 a62d 1bff"],
  ["Mon, 21 Oct 2013 20:13:22 GMT", "d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff"],
  ["https://www.example.com", "9d29 ad17 1863 c78f 0b97 c8e9 ae82 ae43 d3"],
  ["gzip", "9bd9 ab"],
  [
    "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1",
    "94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
  ],
];

for (const [text, code] of VECTORS) {
  test(`huffman - RFC 7541 vector ${JSON.stringify(text.slice(0, 24))} encodes and decodes`, () => {
    assert.equal(toHex(encode(latin1(text))), toHex(hex(code)));
    assert.deepEqual(huffmanDecode(hex(code)), latin1(text));
  });
}

test("huffman - every byte value round-trips", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  assert.deepEqual(huffmanDecode(encode(all)), all);
  for (let i = 0; i < 256; i++) assert.deepEqual(huffmanDecode(encode(all.subarray(i, i + 1))), all.subarray(i, i + 1));
  assert.deepEqual(huffmanDecode(new Uint8Array(0)), new Uint8Array(0));
});

test("huffman - random byte strings round-trip (fast-check, seeded)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (src) => {
      const enc = encode(src);
      assert.deepEqual(huffmanDecode(enc), src);
    }),
    { seed: 7541, numRuns: 500 },
  );
});

test("huffman - EOS in the string, padding over 7 bits and padding of zeros are rejected", () => {
  assert.equal(huffmanDecode(hex("ffffffff")), null, "30 ones: EOS");
  assert.equal(huffmanDecode(hex("07 ff")), null, "'0' then 11 bits of padding");
  assert.equal(huffmanDecode(hex("ff")), null, "8 bits of padding alone");
  assert.equal(huffmanDecode(hex("00")), null, "'0' then padding of zeros");
  assert.deepEqual(huffmanDecode(hex("07")), latin1("0"), "'0' then 3 bits of padding");
});
