// Multipart request bodies (RFC 7578 form-data over RFC 2046 framing) in hackney's wire format:
// each part is "--B\r\n" + headers + "\r\n" + content + "\r\n", the body ends with "--B--\r\n".
// Parts compile to a plan of byte segments and file/stream sources; small segments
// are packed into shared buffers so thousands of small fields become a few writes.
// The streamed send (SendPartEvent, MultipartWriter) is in writer.ts; part framing in part-head.ts.
import { HansomError } from "../errors.ts";
import type { EncodedBody } from "../body.ts";
import { contentTypeFor } from "../mime.ts";
import { getAdapter } from "../runtime/index.ts";
import type { FileHandle } from "../runtime/socket.ts";

import {
  basename,
  boundary,
  boundaryParam,
  checkBoundary,
  checkLength,
  disposition,
  head,
  headerPairs,
  valueBytes,
  withLength,
} from "./part-head.ts";
import type { PartHeaders } from "./part-head.ts";

export { boundary };

/** One part of a `{ multipart: Part[] }` body. A `mixed` part nests its parts as multipart/mixed. */
export type Part =
  | { name: string; value: string | Uint8Array; headers?: PartHeaders }
  | { name: string; file: string; filename?: string; contentType?: string; headers?: PartHeaders }
  | {
      name: string;
      stream: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;
      length?: number;
      filename?: string;
      contentType?: string;
      headers?: PartHeaders;
    }
  | { mixed: string; parts: Part[] /** Inner boundary; a fresh boundary() when absent. */; boundary?: string };

const utf8 = new TextEncoder();
const BIG = 64 * 1024; // values this large are sent by reference, not copied into a pack buffer

type Source = AsyncIterable<Uint8Array> | ReadableStream<Uint8Array>;
/** A plan segment: bytes as they are, or a source streamed at send time with its expected size. */
type Segment = Uint8Array | { src: () => Source; size: number | undefined; label: string };

/** Segments under construction: text and small bytes packed into one growing buffer. */
class Plan {
  segs: Segment[] = [];
  length: number | null = 0;
  replayable = true;
  #buf = new Uint8Array(4096);
  #start = 0; // where the unflushed run begins in #buf
  #n = 0;

  #ensure(extra: number): void {
    if (this.#n + extra <= this.#buf.length) return;
    this.flush(); // a full buffer becomes a segment: 64 KiB writes for many small fields
    this.#buf = new Uint8Array(Math.max(BIG, extra));
    this.#start = this.#n = 0;
  }
  text(s: string): void {
    this.#ensure(s.length * 3);
    const w = utf8.encodeInto(s, this.#buf.subarray(this.#n)).written;
    this.#n += w;
    if (this.length !== null) this.length += w;
  }
  bytes(b: Uint8Array): void {
    if (b.length >= BIG) {
      this.flush();
      this.segs.push(b);
    } else {
      this.#ensure(b.length);
      this.#buf.set(b, this.#n);
      this.#n += b.length;
    }
    if (this.length !== null) this.length += b.length;
  }
  source(src: () => Source, size: number | undefined, label: string): void {
    this.flush();
    this.segs.push({ src, size, label });
    this.length = this.length === null || size === undefined ? null : this.length + size;
  }
  flush(): void {
    if (this.#n > this.#start) this.segs.push(this.#buf.subarray(this.#start, this.#n));
    this.#start = this.#n;
  }
}

/** A part of encodeFormData's: a Blob entry with its file name. */
type BlobPart = { name: string; blob: Blob; filename: string };

async function compile(parts: Array<Part | BlobPart>, b: string, plan: Plan, forLength: boolean): Promise<void> {
  if (!Array.isArray(parts)) throw new TypeError("hansom: multipart parts must be an array");
  for (const p of parts) {
    if (p === null || typeof p !== "object")
      throw new TypeError(`hansom: a multipart part must be an object, got ${p === null ? "null" : typeof p}`);
    if ("mixed" in p) {
      const inner = checkBoundary(p.boundary ?? boundary());
      plan.text(
        head(
          b,
          [
            ["content-disposition", disposition(p.mixed)],
            ["content-type", `multipart/mixed; ${boundaryParam(inner)}`],
          ],
          [],
        ),
      );
      await compile(p.parts, inner, plan, forLength);
      plan.text(`--${inner}--\r\n\r\n`); // inner close delimiter, then the outer part's CRLF
      continue;
    }
    const extra = headerPairs((p as { headers?: PartHeaders }).headers);
    const label = JSON.stringify(p.name);
    if ("value" in p) {
      // Content-Type as hackney's (by the name's extension, else octet-stream) for bytes; a JS
      // string is text, so "text/plain; charset=utf-8". Either way with content-length.
      const bytes = valueBytes(p.value, `multipart part ${label} value`);
      const ct = typeof p.value === "string" ? "text/plain; charset=utf-8" : contentTypeFor(p.name);
      plan.text(
        head(
          b,
          [
            ["content-disposition", disposition(p.name)],
            ["content-type", ct],
            ["content-length", String(bytes.length)],
          ],
          extra,
        ),
      );
      plan.bytes(bytes);
    } else if ("file" in p || "blob" in p) {
      const fh: FileHandle =
        "file" in p
          ? await (await getAdapter()).openFile(p.file)
          : { size: p.blob.size, chunks: () => p.blob.stream() };
      const fname = "file" in p ? (p.filename ?? basename(p.file)) : p.filename;
      const ct = "file" in p ? (p.contentType ?? contentTypeFor(fname)) : p.blob.type || "application/octet-stream";
      plan.text(
        head(
          b,
          [
            ["content-disposition", disposition(p.name, fname)],
            ["content-type", ct],
            ["content-length", String(fh.size)],
          ],
          extra,
        ),
      );
      // Small blobs are read now so the body stays one packed buffer; files and large blobs stream.
      if ("blob" in p && p.blob.size < BIG) plan.bytes(new Uint8Array(await p.blob.arrayBuffer()));
      else plan.source(() => fh.chunks(), fh.size, "file" in p ? `${label} (file ${p.file})` : label);
    } else if ("stream" in p) {
      const len = checkLength(p.length, label);
      if (len === undefined && forLength)
        throw new HansomError(
          "multipart_error",
          `Multipart part ${label} is a stream without a length, so the body length is unknown`,
          { phase: "input" },
        );
      const ct = p.contentType ?? (p.filename ? contentTypeFor(p.filename) : "application/octet-stream");
      plan.text(
        head(
          b,
          withLength(
            [
              ["content-disposition", disposition(p.name, p.filename)],
              ["content-type", ct],
            ],
            len,
          ),
          extra,
        ),
      );
      plan.source(() => p.stream, len, label);
      plan.replayable = false; // a stream is read once
    } else {
      throw new TypeError(`hansom: multipart part ${label} has none of value, file, stream or mixed`);
    }
    plan.text("\r\n");
  }
}

/** Streams a source, failing when it yields more or fewer bytes than the length already announced. */
async function* counted(src: Source, size: number | undefined, label: string): AsyncGenerator<Uint8Array> {
  const fail = (msg: string) => new HansomError("multipart_error", `Multipart part ${label} ${msg}`, { phase: "send" });
  let n = 0;
  // A ReadableStream through its reader: not every runtime makes streams async-iterable.
  const reader = src instanceof ReadableStream ? src.getReader() : null;
  // Async iterables, and (leniently) sync ones such as an array of chunks.
  const it = reader
    ? null
    : ((src as Partial<AsyncIterable<Uint8Array>>)[Symbol.asyncIterator]?.() ??
      (src as unknown as Iterable<Uint8Array>)[Symbol.iterator]());
  let done = false;
  try {
    for (;;) {
      const r = await (reader ? reader.read() : it!.next());
      if (r.done) break;
      const c: unknown = r.value;
      if (!(c instanceof Uint8Array)) throw fail("yielded a chunk that is not a Uint8Array");
      n += c.length;
      if (size !== undefined && n > size) throw fail(`has more than its announced ${size} bytes`);
      yield c;
    }
    done = true;
  } finally {
    // Abandoned or failed mid-way: tell the producer.
    if (!done) await Promise.resolve(reader ? reader.cancel() : it!.return?.()).catch(() => {});
    reader?.releaseLock();
  }
  if (size !== undefined && n !== size) throw fail(`ended after ${n} of its announced ${size} bytes`);
}

async function* playSegments(segs: Segment[]): AsyncGenerator<Uint8Array> {
  for (const s of segs) {
    if (s instanceof Uint8Array) yield s;
    else yield* counted(s.src(), s.size, s.label);
  }
}

/** Compiles parts and the close delimiter; `forLength` rejects a stream part without a length. */
async function planFor(parts: Array<Part | BlobPart>, b: string, forLength: boolean): Promise<Plan> {
  const plan = new Plan();
  await compile(parts, checkBoundary(b), plan, forLength);
  plan.text(`--${b}--\r\n`);
  plan.flush();
  return plan;
}

/** An EncodedBody whose open() works once unless replayable. */
export function encodedBody(
  length: number | null,
  b: string,
  replayable: boolean,
  open: () => Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
): EncodedBody {
  let used = false;
  return {
    length,
    contentType: `multipart/form-data; ${boundaryParam(b)}`,
    replayable,
    open() {
      if (used && !replayable)
        throw new HansomError(
          "not_replayable",
          "The multipart body has a stream part or stream of events and was already sent; it cannot be sent again",
          { phase: "send" },
        );
      used = true;
      return open();
    },
  };
}

function planBody(plan: Plan, b: string): EncodedBody {
  const segs = plan.segs;
  return encodedBody(plan.length, b, plan.replayable, () =>
    segs.every((s) => s instanceof Uint8Array) ? (segs as Uint8Array[]) : playSegments(segs),
  );
}

/**
 * Resolves to the exact byte count of `parts` encoded as multipart with boundary `b` (hackney len_mp_stream),
 * files stat'ed but not read. Rejects with `multipart_error` for a stream part without `length` or an invalid
 * boundary, `file_error` for a file that cannot be stat'ed.
 * @example
 * import { boundary, multipartLength, post } from "hansom";
 * const b = boundary();
 * const parts = [{ name: "title", value: "report" }, { name: "doc", file: "./report.pdf" }];
 * const length = await multipartLength(parts, b);
 * const res = await post("http://127.0.0.1:8080/upload", {
 *   body: { multipart: parts },
 *   headers: { "content-type": `multipart/form-data; boundary=${b}`, "content-length": String(length) },
 * });
 */
export async function multipartLength(parts: Part[], b: string): Promise<number> {
  return (await planFor(parts, b, true)).length!;
}

/** Encodes parts as multipart/form-data; files are stat'ed now and streamed when the body is opened. */
export async function encodeMultipart(parts: Part[], b: string = boundary()): Promise<EncodedBody> {
  return planBody(await planFor(parts, b, false), b);
}

/** Encodes a FormData: strings as value parts, Blob/File entries as file parts (name "blob" by default). */
export async function encodeFormData(fd: FormData, b: string = boundary()): Promise<EncodedBody> {
  const parts = [...fd].map(([name, v]): Part | BlobPart =>
    typeof v === "string" ? { name, value: v } : { name, blob: v, filename: (v as Partial<File>).name ?? "blob" },
  );
  return planBody(await planFor(parts, b, false), b);
}

/** The bytes of parts, without the close delimiter, as the writer sends a data or file event. */
export async function* playParts(parts: Part[], b: string): AsyncGenerator<Uint8Array> {
  const plan = new Plan();
  await compile(parts, b, plan, false);
  plan.flush();
  yield* playSegments(plan.segs);
}
