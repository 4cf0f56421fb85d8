// Every accepted request body kind -> one EncodedBody: a known length (or null for chunked),
// a default Content-Type, and a way to produce the bytes (again, when the body is replayable).
import { HansomError } from "./errors.ts";
import { getAdapter } from "./runtime/index.ts";
import { qs } from "./url.ts";
import { contentTypeFor } from "./mime.ts";
import { encodeMultipart, encodeFormData } from "./multipart/encode.ts";
import type { Part } from "./multipart/encode.ts";
import { isSendPartEvent, multipartEventStream } from "./multipart/writer.ts";
import type { SendPartEvent } from "./multipart/writer.ts";

/** Chunks of a request body: a list, a sync iterable or an async iterable. */
export type BodyChunks = Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** A request body ready to send. */
export interface EncodedBody {
  /** Byte length when known (Content-Length), else null (chunked). */
  length: number | null;
  /** Content-Type to send unless the caller set one. */
  contentType?: string;
  /** Produces the bytes from the start. Callable again only when `replayable`. */
  open(): BodyChunks;
  /** True when open() can be called again (retries, 307/308 redirects). */
  replayable: boolean;
}

/** One chunk of an iolist body. */
export type BodyChunk = string | Uint8Array | ArrayBuffer | ArrayBufferView;

/** Every body kind `request()` accepts. */
export type RequestBody =
  | string
  | Uint8Array
  | ArrayBuffer
  | ArrayBufferView
  | BodyChunk[]
  | Iterable<BodyChunk>
  | AsyncIterable<BodyChunk>
  | AsyncIterable<SendPartEvent>
  | Iterable<SendPartEvent>
  | ReadableStream<Uint8Array>
  | Blob
  | URLSearchParams
  | FormData
  | { form: Record<string, string> | Array<[string, string]> }
  | { file: string }
  | { multipart: Part[] }
  | "stream";

const utf8 = new TextEncoder();

/** Converts one iolist chunk to bytes. */
export function toBytes(c: BodyChunk): Uint8Array {
  if (typeof c === "string") return utf8.encode(c);
  if (c instanceof Uint8Array) return c;
  if (c instanceof ArrayBuffer) return new Uint8Array(c);
  if (ArrayBuffer.isView(c)) return new Uint8Array(c.buffer, c.byteOffset, c.byteLength);
  throw new HansomError(
    "invalid_option",
    `A body chunk must be a string or bytes, got ${c === null ? "null" : typeof c}`,
    { phase: "input" },
  );
}

function fixed(bytes: Uint8Array, contentType?: string): EncodedBody {
  return { length: bytes.byteLength, contentType, open: () => [bytes], replayable: true };
}

async function* fromAsync(it: AsyncIterable<BodyChunk>): AsyncGenerator<Uint8Array> {
  for await (const c of it) yield toBytes(c);
}

async function* fromStream(s: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = s.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield toBytes(value);
    }
  } finally {
    reader.releaseLock();
  }
}

/** A one-shot source: the second open() is an error that says why. */
function oneShot(open: () => BodyChunks): EncodedBody {
  let used = false;
  return {
    length: null,
    replayable: false,
    open() {
      if (used)
        throw new HansomError(
          "not_replayable",
          "The request body is a one-shot stream or iterable and was already sent; it cannot be sent again",
          { phase: "send" },
        );
      used = true;
      return open();
    },
  };
}

function isAsyncIterable(x: object): x is AsyncIterable<unknown> {
  return typeof (x as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === "function";
}

/** Turns any accepted body into an EncodedBody; undefined/null means no body. */
export async function encodeBody(
  body: RequestBody | null | undefined,
  boundaryHint?: string,
): Promise<EncodedBody | null> {
  if (body === undefined || body === null) return null;
  // Content-Type only for form, multipart, file and URLSearchParams (and a Blob's own type).
  if (typeof body === "string") return fixed(utf8.encode(body));
  if (body instanceof Uint8Array || body instanceof ArrayBuffer || ArrayBuffer.isView(body))
    return fixed(toBytes(body));
  if (body instanceof URLSearchParams)
    return fixed(utf8.encode(body.toString()), "application/x-www-form-urlencoded;charset=UTF-8");
  if (typeof Blob !== "undefined" && body instanceof Blob) {
    return {
      length: body.size,
      contentType: body.type || undefined,
      open: () => fromStream(body.stream()),
      replayable: true,
    };
  }
  if (typeof FormData !== "undefined" && body instanceof FormData) return encodeFormData(body, boundaryHint);
  if (typeof ReadableStream !== "undefined" && body instanceof ReadableStream) {
    return oneShot(() => fromStream(body));
  }
  if (Array.isArray(body)) {
    if (body.length > 0 && isSendPartEvent(body[0]))
      return multipartEventStream(body as unknown as SendPartEvent[], boundaryHint);
    const parts = (body as BodyChunk[]).map(toBytes);
    let n = 0;
    for (const p of parts) n += p.byteLength;
    return { length: n, open: () => parts, replayable: true };
  }
  if (typeof body === "object") {
    if ("form" in body) {
      return fixed(utf8.encode(qs(body.form)), "application/x-www-form-urlencoded");
    }
    if ("file" in body && typeof body.file === "string") {
      const path = body.file;
      const fh = await (await getAdapter()).openFile(path);
      return { length: fh.size, contentType: contentTypeFor(path), open: () => fh.chunks(), replayable: true };
    }
    if ("multipart" in body && Array.isArray(body.multipart)) return encodeMultipart(body.multipart, boundaryHint);
    if (isAsyncIterable(body) || Symbol.iterator in body)
      return sniffIterable(body as AsyncIterable<BodyChunk | SendPartEvent>, boundaryHint);
  }
  throw new HansomError("invalid_option", `Unsupported request body of type ${Object.prototype.toString.call(body)}`, {
    phase: "input",
  });
}

/**
 * An iterable body is either chunks or SendPartEvents; its first item tells which, so it is
 * read before the head is sent (the head carries the multipart Content-Type).
 */
async function sniffIterable(
  body: AsyncIterable<BodyChunk | SendPartEvent> | Iterable<BodyChunk | SendPartEvent>,
  boundaryHint?: string,
): Promise<EncodedBody> {
  const it = isAsyncIterable(body)
    ? body[Symbol.asyncIterator]()
    : (body as Iterable<BodyChunk | SendPartEvent>)[Symbol.iterator]();
  const first = await it.next();
  async function* rest<T>(): AsyncGenerator<T> {
    if (first.done) return;
    yield first.value as T;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value as T;
  }
  if (!first.done && isSendPartEvent(first.value)) return multipartEventStream(rest<SendPartEvent>(), boundaryHint);
  return oneShot(() => fromAsync(rest<BodyChunk>()));
}
