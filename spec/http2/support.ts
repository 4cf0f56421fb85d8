// Shared by the http2 specs: hex fixtures, and every way of cutting bytes.

/** Bytes from hex, whitespace ignored. */
export function hex(s: string): Uint8Array {
  const h = s.replace(/\s+/g, "");
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Hex of bytes, for messages. */
export function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** Every way of cutting the input: whole, each split point in two, and one byte at a time. */
export function* splits(input: Uint8Array): Generator<Uint8Array[]> {
  yield [input];
  for (let k = 1; k < input.length; k++) yield [input.subarray(0, k), input.subarray(k)];
  yield Array.from(input, (_, i) => input.subarray(i, i + 1));
}

/** Joins chunks. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let n = 0;
  for (const c of chunks) {
    out.set(c, n);
    n += c.length;
  }
  return out;
}
