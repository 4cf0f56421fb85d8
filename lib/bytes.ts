// Byte-array helpers shared by the connection and the body readers.

/** An empty body. */
export const EMPTY: Uint8Array<ArrayBuffer> = new Uint8Array(0);

/** Joins chunks into one array (the chunk itself when there is only one). */
export function concatBytes<T extends ArrayBufferLike>(parts: Uint8Array<T>[]): Uint8Array<T | ArrayBuffer> {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(byteLength(parts));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

/** Total length of a list of chunks. */
export function byteLength(parts: Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  return n;
}
