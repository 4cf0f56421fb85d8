// Byte chunks for the specs: join them, cut bytes into them at chosen offsets, and feed them
// to a decoder as an async source, so a fixture can run at every split point.

/** The chunks joined into one Uint8Array. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let n = 0;
  for (const c of chunks) {
    out.set(c, n);
    n += c.length;
  }
  return out;
}

/** Cuts bytes at the given offsets (ascending; a repeated offset gives an empty chunk). */
export function cut(bytes: Uint8Array, at: number[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const a of [...at, bytes.length]) {
    out.push(bytes.subarray(prev, a));
    prev = a;
  }
  return out;
}

/** The chunks as an async source, one yield each. */
export async function* feed(chunks: Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const c of chunks) yield c;
}
