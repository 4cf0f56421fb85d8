// A fetch body (every BodyInit kind, or a Request's body) as a hansom request body, with the
// Content-Type fetch gives it (WHATWG Fetch §5.2 "extract a body") where hansom sets none,
// and whether it is a stream: a stream cannot be sent again, so a redirect that needs the
// body again fails (§4.4 step 11).
import type { RequestBody } from "../index.ts";

/** A request body ready for hansom. */
export interface FetchBody {
  body: RequestBody;
  /** Content-Type to send unless the caller set one (hansom sets those of Blob, FormData, URLSearchParams). */
  contentType: string | null;
  /** A one-shot stream (its source is null in fetch's terms): not re-sent on a redirect. */
  stream: boolean;
}

const TEXT = "text/plain;charset=UTF-8";
/** A Request's body read whole only when it is already all there and at most this long. */
const BUFFER_LIMIT = 1024 * 1024;

function isAsyncIterable(x: object): x is AsyncIterable<unknown> {
  return typeof (x as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function";
}

/**
 * `init.body` as a hansom body; null for no body. Bytes are copied, as fetch copies them
 * when the call is made. A stream (or async iterable) needs `duplex: "half"`.
 */
export function bodyOf(body: unknown, duplex: unknown): FetchBody | null {
  if (body === undefined || body === null) return null;
  if (typeof body === "string") return { body, contentType: TEXT, stream: false };
  if (body instanceof ArrayBuffer) return { body: new Uint8Array(body.slice(0)), contentType: null, stream: false };
  if (ArrayBuffer.isView(body))
    return {
      body: new Uint8Array(body.buffer, body.byteOffset, body.byteLength).slice(),
      contentType: null,
      stream: false,
    };
  if (
    (typeof Blob !== "undefined" && body instanceof Blob) ||
    body instanceof URLSearchParams ||
    (typeof FormData !== "undefined" && body instanceof FormData)
  ) {
    return { body, contentType: null, stream: false };
  }
  const stream = typeof ReadableStream !== "undefined" && body instanceof ReadableStream;
  if (stream || (typeof body === "object" && isAsyncIterable(body))) {
    if (duplex !== "half") throw new TypeError('fetch: a streamed body needs duplex: "half" in the init');
    if (stream && body.locked) throw new TypeError("fetch: the body stream is locked by another reader");
    return { body: body as RequestBody, contentType: null, stream: true };
  }
  // Anything else is a USVString body, as WebIDL converts it.
  return { body: String(body), contentType: TEXT, stream: false };
}

/** Resolves after a macrotask: a read that is not done by then waits on its source. */
function nextTask(): { promise: Promise<"later">; cancel(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const promise = new Promise<"later">((resolve) => (timer = setTimeout(resolve, 0, "later")));
  return { promise, cancel: () => clearTimeout(timer) };
}

function concat(chunks: Uint8Array[], n: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(n);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * A Request's body. A Request built from bytes or a string holds them all in its stream
 * already: they are taken whole (so a 307 can send them again). One whose source is still
 * producing when the next task runs, or that passes BUFFER_LIMIT, is sent as a stream.
 */
export async function requestBodyOf(stream: ReadableStream<Uint8Array>): Promise<FetchBody> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  let n = 0;
  const later = nextTask();
  let pending: Promise<ReadableStreamReadResult<Uint8Array>> | null = null;
  try {
    for (;;) {
      pending = reader.read();
      const r = await Promise.race([pending, later.promise]);
      if (r === "later") break;
      pending = null;
      if (r.done) {
        reader.releaseLock();
        return { body: concat(chunks, n), contentType: null, stream: false };
      }
      chunks.push(r.value);
      n += r.value.byteLength;
      if (n > BUFFER_LIMIT) break;
    }
  } finally {
    later.cancel();
  }
  // The chunks read so far, then the read in flight, then the rest as it comes.
  let i = 0;
  const rest = new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      if (i < chunks.length) {
        ctrl.enqueue(chunks[i]!);
        chunks[i++] = EMPTY;
        return;
      }
      const r = await (pending ?? reader.read());
      pending = null;
      if (r.done) ctrl.close();
      else ctrl.enqueue(r.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { body: rest, contentType: null, stream: true };
}

const EMPTY = new Uint8Array(0);
