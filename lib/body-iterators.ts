// Small body iterators for Responses whose body does not come from a connection's channel:
// a body read on elsewhere (stopAsync), a byte limit over any iterator, one buffered chunk.
import { limitError } from "./errors.ts";

/** `prefix` chunks, then whatever `rest` yields (stopAsync's continued body). */
export function chain(
  prefix: Uint8Array<ArrayBuffer>[],
  rest: AsyncIterator<Uint8Array<ArrayBuffer>> | null,
): AsyncIterator<Uint8Array<ArrayBuffer>> {
  let i = 0;
  return {
    next: () => {
      if (i < prefix.length) return Promise.resolve({ value: prefix[i++]!, done: false });
      return rest ? rest.next() : Promise.resolve({ value: undefined, done: true });
    },
    return: async () => {
      await rest?.return?.();
      return { value: undefined, done: true };
    },
  };
}

/** Enforces a byte limit on an iterator that is not a BodyChannel. */
export function limited(
  it: AsyncIterator<Uint8Array<ArrayBuffer>>,
  max: number | undefined,
): AsyncIterator<Uint8Array<ArrayBuffer>> {
  if (max === undefined) return it;
  let n = 0;
  return {
    next: async () => {
      const r = await it.next();
      if (!r.done && (n += r.value.byteLength) > max) {
        await it.return?.();
        throw limitError("body_too_large", "The response body is", max, "maxBody or maxLength", "body");
      }
      return r;
    },
    return: () => it.return?.() ?? Promise.resolve({ value: undefined, done: true }),
  };
}

/** One buffered body as an iterator; past `maxLength` its first read rejects. */
export function onceIterator(
  b: Uint8Array<ArrayBuffer>,
  maxLength: number | undefined,
): AsyncIterator<Uint8Array<ArrayBuffer>> {
  if (maxLength !== undefined && b.byteLength > maxLength) {
    const e = limitError("body_too_large", "The response body is", maxLength, "maxLength", "body");
    return { next: () => Promise.reject(e) };
  }
  let done = b.byteLength === 0;
  return {
    next: () => {
      if (done) return Promise.resolve({ value: undefined, done: true });
      done = true;
      return Promise.resolve({ value: b, done: false });
    },
  };
}
