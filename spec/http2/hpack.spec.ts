import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { HpackDecoder } from "../../lib/http2/hpack-decode.ts";
import { HpackEncoder } from "../../lib/http2/hpack-encode.ts";
import { DynamicTable } from "../../lib/http2/hpack-table.ts";
import { HeaderBlock } from "../../lib/http2/header-block.ts";
import { H2Error } from "../../lib/http2/errors.ts";
import { hex, splits } from "./support.ts";

type Fields = Array<[string, string]>;
/** One block of an RFC 7541 Appendix C sequence: its bytes, fields, and the table after it (newest first) and its size. */
type Step = [string, Fields, Fields, number];

const DATE1 = "Mon, 21 Oct 2013 20:13:21 GMT";
const DATE2 = "Mon, 21 Oct 2013 20:13:22 GMT";
const COOKIE = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
const REQ1: Fields = [
  [":method", "GET"],
  [":scheme", "http"],
  [":path", "/"],
  [":authority", "www.example.com"],
];
const REQ2: Fields = [...REQ1, ["cache-control", "no-cache"]];
const REQ3: Fields = [
  [":method", "GET"],
  [":scheme", "https"],
  [":path", "/index.html"],
  [":authority", "www.example.com"],
  ["custom-key", "custom-value"],
];
const T1: Fields = [[":authority", "www.example.com"]];
const T2: Fields = [["cache-control", "no-cache"], ...T1];
const T3: Fields = [["custom-key", "custom-value"], ...T2];
const RES1: Fields = [
  [":status", "302"],
  ["cache-control", "private"],
  ["date", DATE1],
  ["location", "https://www.example.com"],
];
const RES2: Fields = [
  [":status", "307"],
  ["cache-control", "private"],
  ["date", DATE1],
  ["location", "https://www.example.com"],
];
const RES3: Fields = [
  [":status", "200"],
  ["cache-control", "private"],
  ["date", DATE2],
  ["location", "https://www.example.com"],
  ["content-encoding", "gzip"],
  ["set-cookie", COOKIE],
];
const U1: Fields = [
  ["location", "https://www.example.com"],
  ["date", DATE1],
  ["cache-control", "private"],
  [":status", "302"],
];
const U2: Fields = [
  [":status", "307"],
  ["location", "https://www.example.com"],
  ["date", DATE1],
  ["cache-control", "private"],
];
const U3: Fields = [
  ["set-cookie", COOKIE],
  ["content-encoding", "gzip"],
  ["date", DATE2],
];

const SEQUENCES: Array<[string, number, Step[]]> = [
  [
    "C.2.1 literal with indexing",
    4096,
    [
      [
        "400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572",
        [["custom-key", "custom-header"]],
        [["custom-key", "custom-header"]],
        55,
      ],
    ],
  ],
  [
    "C.2.2 literal without indexing",
    4096,
    [["040c 2f73 616d 706c 652f 7061 7468", [[":path", "/sample/path"]], [], 0]],
  ],
  [
    "C.2.3 literal never indexed",
    4096,
    [["1008 7061 7373 776f 7264 0673 6563 7265 74", [["password", "secret"]], [], 0]],
  ],
  ["C.2.4 indexed field", 4096, [["82", [[":method", "GET"]], [], 0]]],
  [
    "C.3 requests without Huffman",
    4096,
    [
      ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", REQ1, T1, 57],
      ["8286 84be 5808 6e6f 2d63 6163 6865", REQ2, T2, 110],
      ["8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65", REQ3, T3, 164],
    ],
  ],
  [
    "C.4 requests with Huffman",
    4096,
    [
      ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", REQ1, T1, 57],
      ["8286 84be 5886 a8eb 1064 9cbf", REQ2, T2, 110],
      ["8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf", REQ3, T3, 164],
    ],
  ],
  [
    "C.5 responses without Huffman, 256-byte table",
    256,
    [
      [
        `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d
      546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d`,
        RES1,
        U1,
        222,
      ],
      ["4803 3330 37c1 c0bf", RES2, U2, 222],
      [
        `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f
      6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b
      2076 6572 7369 6f6e 3d31`,
        RES3,
        U3,
        215,
      ],
    ],
  ],
  [
    "C.6 responses with Huffman, 256-byte table",
    256,
    [
      [
        `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7
      8f0b 97c8 e9ae 82ae 43d3`,
        RES1,
        U1,
        222,
      ],
      ["4883 640e ffc1 c0bf", RES2, U2, 222],
      [
        `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335
      dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
        RES3,
        U3,
        215,
      ],
    ],
  ],
];

function tableOf(t: DynamicTable): Fields {
  const out: Fields = [];
  for (let i = 1; i <= t.length; i++) out.push(t.get(i)!);
  return out;
}

/** Assembles the block from HEADERS and CONTINUATION fragments cut as given, as the session does. */
function assemble(pieces: Uint8Array[]): Uint8Array {
  const hb = new HeaderBlock(1 << 20, 1 << 20);
  let block = hb.headers(1, false, pieces.length === 1, pieces[0]!.slice());
  for (let i = 1; i < pieces.length; i++) block = hb.continuation(1, i === pieces.length - 1, pieces[i]!.slice());
  assert.ok(block !== null);
  return block;
}

for (const [name, tableSize, steps] of SEQUENCES) {
  test(`hpack decoder - RFC 7541 ${name}, fragmented at every split`, () => {
    // Every step's block is cut every way; a fresh decoder replays the earlier steps whole.
    for (let k = 0; k < steps.length; k++) {
      for (const pieces of splits(hex(steps[k]![0]))) {
        const d = new HpackDecoder();
        d.table.setMaxSize(tableSize);
        for (let j = 0; j < k; j++) d.decode(hex(steps[j]![0]));
        const [, fields, table, size] = steps[k]!;
        assert.deepEqual(d.decode(assemble(pieces)), fields);
        assert.deepEqual(tableOf(d.table), table);
        assert.equal(d.table.size, size);
      }
    }
  });
}

/** Encodes then decodes each list in turn with one encoder and decoder pair. */
function roundTrip(
  lists: Fields[],
  encoder = new HpackEncoder(),
  decoder = new HpackDecoder({ maxHeaderListSize: 1 << 24 }),
): void {
  for (const fields of lists) {
    const block = encoder.encode(fields);
    assert.deepEqual(decoder.decode(block), fields);
    assert.equal(decoder.table.size, encoder.table.size, "tables in step");
    assert.deepEqual(tableOf(decoder.table), tableOf(encoder.table));
  }
}

const name = fc.stringMatching(/^[a-z0-9!#$%&'*+.^_`|~-]{1,20}$/);
const value = fc.string({ unit: fc.integer({ min: 1, max: 255 }).map((c) => String.fromCharCode(c)), maxLength: 60 });
const known = fc.constantFrom<[string, string]>(
  [":method", "GET"],
  [":path", "/"],
  ["accept-encoding", "gzip, deflate"],
  ["user-agent", "hansom"],
  ["authorization", "Bearer x"],
  ["cookie", "a=b"],
  ["content-length", "10"],
  [":authority", "a.example"],
);
const lists = fc.array(fc.array(fc.oneof(fc.tuple(name, value), known), { maxLength: 12 }), {
  minLength: 1,
  maxLength: 8,
});

test("hpack encoder - encode then decode is the identity on generated field lists (fast-check, seeded)", () => {
  for (const cap of [0, 64, 256, 4096]) {
    fc.assert(
      fc.property(lists, (ls) => roundTrip(ls, new HpackEncoder({ maxTableSize: cap }))),
      { seed: 9113 + cap, numRuns: 200 },
    );
  }
});

test("hpack encoder - repeated fields become one-octet indices", () => {
  const e = new HpackEncoder();
  const fields: Fields = [
    [":method", "GET"],
    [":authority", "a.example"],
    ["user-agent", "hansom/1"],
    ["x-trace", "abc"],
  ];
  const first = e.encode(fields);
  const second = e.encode(fields);
  assert.ok(first.length > 20);
  assert.equal(second.length, 4, "four indexed fields");
  roundTrip([fields, fields]);
});

test("hpack encoder - authorization, proxy-authorization and cookie are never indexed", () => {
  const e = new HpackEncoder();
  for (const n of ["authorization", "proxy-authorization", "cookie"]) {
    const block = e.encode([[n, "secret"]]);
    assert.equal(block[0]! & 0xf0, 0x10, `${n}: never-indexed representation (§6.2.3)`);
    assert.equal(e.table.length, 0);
    assert.ok(e.encode([[n, "secret"]]).length > 1, "sent as a literal again");
  }
});

test("hpack encoder - values above U+00FF go out as UTF-8 octets", () => {
  const d = new HpackDecoder();
  const got = d.decode(new HpackEncoder().encode([["x-name", "é€"]]));
  assert.deepEqual(got, [["x-name", "\u00c3\u00a9\u00e2\u0082\u00ac"]], "c3 a9 e2 82 ac as Latin-1");
});

test("hpack encoder - honours the peer's SETTINGS_HEADER_TABLE_SIZE with size updates (§4.2)", () => {
  const e = new HpackEncoder();
  const d = new HpackDecoder();
  roundTrip(
    [
      [
        ["x-a", "1"],
        ["x-b", "2"],
      ],
    ],
    e,
    d,
  );
  assert.equal(d.table.length, 2);
  e.setPeerTableSize(0);
  e.setPeerTableSize(2000);
  const block = e.encode([["x-c", "3"]]);
  assert.deepEqual(Array.from(block.subarray(0, 4)), [0x20, 0x3f, 0xb1, 0x0f], "size 0, then 2000");
  d.decode(block);
  assert.equal(d.table.maxSize, 2000);
  assert.deepEqual(tableOf(d.table), [["x-c", "3"]], "the shrink to 0 evicted the older entries");
  // Above our own cap, the table stays at the cap, which needs no update when already there.
  const capped = new HpackEncoder({ maxTableSize: 1024 });
  const b1 = capped.encode([["x-d", "4"]]);
  assert.deepEqual(Array.from(b1.subarray(0, 3)), [0x3f, 0xe1, 0x07], "a cap below 4096 is announced first: 1024");
  capped.setPeerTableSize(65536);
  assert.equal(capped.table.maxSize, 1024);
  assert.notEqual(capped.encode([["x-e", "5"]])[0]! & 0xe0, 0x20);
});

test("hpack table - eviction keeps the newest entries; an entry larger than the table empties it (§4.4)", () => {
  const t = new DynamicTable(100);
  t.add("a", "1", 2);
  t.add("b", "2", 2);
  t.add("c", "3", 2);
  assert.deepEqual(
    tableOf(t),
    [
      ["c", "3"],
      ["b", "2"],
    ],
    "34 octets each: two fit in 100",
  );
  assert.equal(t.size, 68);
  t.add("big", "x".repeat(80), 83);
  assert.equal(t.length, 0);
  assert.equal(t.size, 0);
  t.add("d", "4", 2);
  t.setMaxSize(10);
  assert.equal(t.length, 0);
  assert.equal(t.inserted, 5);
});

// Each: a block, the message pattern, and the decoder's limits.
const BAD: Array<[string, string, RegExp, { maxTableSize?: number; maxHeaderListSize?: number }?]> = [
  ["index 0", "80", /index 0/],
  ["an index past the dynamic table", "be", /index 62 past the end/],
  [
    "a size update above SETTINGS_HEADER_TABLE_SIZE",
    "3fe21f",
    /size update to 4097, above our SETTINGS_HEADER_TABLE_SIZE 4096/,
  ],
  ["a size update after a field", "82 20", /size update after a field/],
  ["three size updates", "20 20 20 82", /more than 2 dynamic table size updates/],
  ["a truncated integer", "ff", /integer past the end/],
  ["an integer over 32 bits", "ff ff ff ff ff ff 0f", /integer longer than 32 bits/],
  ["a string past the end of the block", "40 05 61", /string literal past the end/],
  ["a missing value string", "40 01 61", /string literal missing/],
  ["a Huffman string with EOS", "40 01 61 84 ff ff ff ff", /invalid Huffman code/],
  ["a Huffman string with bad padding", "40 01 61 81 00", /invalid Huffman code/],
];

for (const [what, block, message, opts] of BAD) {
  test(`hpack decoder - ${what} is a COMPRESSION_ERROR`, () => {
    assert.throws(
      () => new HpackDecoder(opts).decode(hex(block)),
      (e: unknown) => {
        assert.ok(e instanceof H2Error);
        assert.equal(e.code, 9);
        assert.equal(e.streamId, 0);
        assert.match(e.message, message);
        return true;
      },
    );
  });
}

test("hpack decoder - a field list over SETTINGS_MAX_HEADER_LIST_SIZE is refused while decoding", () => {
  const e = new HpackEncoder();
  const fields: Fields = Array.from({ length: 10 }, (_, i) => [`x-field-${i}`, "v".repeat(50)]);
  const block = e.encode(fields);
  // Each field counts 9 + 50 + 32 = 91 octets (RFC 9113 §6.5.2).
  assert.equal(new HpackDecoder({ maxHeaderListSize: 910 }).decode(block).length, 10);
  assert.throws(
    () => new HpackDecoder({ maxHeaderListSize: 909 }).decode(block),
    (err: unknown) => {
      assert.ok(err instanceof H2Error);
      assert.equal(err.code, 1);
      assert.match(err.message, /header list larger than SETTINGS_MAX_HEADER_LIST_SIZE 909 bytes/);
      return true;
    },
  );
});
