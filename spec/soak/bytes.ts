// The soak's bytes: one pseudo-random source that every body is a slice of (so a body is named
// by offset and size), and the incremental FNV-1a checksum both sides compute.

/** 8 MiB of xorshift32 output: bodies are slices of it. */
export const SOURCE: Uint8Array = (() => {
  const b = new Uint8Array(8 * 1024 * 1024);
  const w = new Uint32Array(b.buffer);
  let x = 0x9e3779b9;
  for (let i = 0; i < w.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    w[i] = x >>> 0;
  }
  return b;
})();

/** FNV-1a, 32-bit, incremental; `n` counts the bytes seen. */
export class Fnv {
  h = 0x811c9dc5;
  n = 0;
  update(b: Uint8Array): this {
    let h = this.h;
    for (let i = 0; i < b.length; i++) h = Math.imul(h ^ b[i]!, 0x01000193);
    this.h = h >>> 0;
    this.n += b.length;
    return this;
  }
}

/** xorshift32: the soak's seeded randomness. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 0x100000000;
  };
}
