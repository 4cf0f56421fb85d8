// The streamed multipart send (hackney send_multipart_body): SendPartEvents in, body bytes out.
// MultipartWriter checks the events' order as they come (RequestHandle.writeMultipart);
// multipartEventStream turns a whole iterable of events into a chunked body. Part heads come
// from part-head.ts and data/file parts from encode.ts, so both paths send the same bytes.
import { HansomError } from "../errors.ts";
import type { EncodedBody } from "../body.ts";
import { contentTypeFor } from "../mime.ts";
import {
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
import { encodedBody, playParts } from "./encode.ts";
import type { Part } from "./encode.ts";

/** One step of a streamed multipart send, hackney's send_multipart_body vocabulary. */
export type SendPartEvent =
  | { type: "file"; path: string; name?: string; headers?: PartHeaders }
  | { type: "data"; name: string; content: string | Uint8Array; headers?: PartHeaders }
  | { type: "part"; name: string; length?: number; headers?: PartHeaders }
  | { type: "part_bin"; bytes: Uint8Array }
  | { type: "end_of_part" }
  | { type: "mp_mixed"; name: string; boundary: string }
  | { type: "mp_mixed_eof"; boundary: string }
  | { type: "eof" };

const utf8 = new TextEncoder();
const EVENT_TYPES = new Set(["file", "data", "part", "part_bin", "end_of_part", "mp_mixed", "mp_mixed_eof", "eof"]);

/** True for an object whose string `type` is a SendPartEvent type. */
export function isSendPartEvent(x: unknown): x is SendPartEvent {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as { type?: unknown }).type === "string" &&
    EVENT_TYPES.has((x as { type: string }).type)
  );
}

/** A chunked body from SendPartEvents; a missing final `eof` is added when no part is open. */
export function multipartEventStream(
  events: Iterable<SendPartEvent> | AsyncIterable<SendPartEvent>,
  b: string = boundary(),
): EncodedBody {
  checkBoundary(b);
  return encodedBody(null, b, Array.isArray(events), () => writeEvents(events, b));
}

async function* writeEvents(
  events: Iterable<SendPartEvent> | AsyncIterable<SendPartEvent>,
  b: string,
): AsyncGenerator<Uint8Array> {
  const w = new MultipartWriter(b);
  for await (const ev of events) {
    if (!isSendPartEvent(ev))
      throw new HansomError("multipart_error", `Not a multipart event: ${Object.prototype.toString.call(ev)}`, {
        phase: "send",
      });
    yield* w.encode(ev);
  }
  if (!w.done) yield* w.encode({ type: "eof" });
}

async function* one(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Encodes SendPartEvents one by one (RequestHandle.writeMultipart), checking their order. */
export class MultipartWriter {
  /** The outer boundary. */
  readonly boundary: string;
  #stack: string[]; // open boundaries, outermost first
  #part: { label: string; left: number | undefined } | null = null;
  #done = false;

  constructor(b: string) {
    this.boundary = checkBoundary(b);
    this.#stack = [b];
  }

  /** True once `eof` was encoded. */
  get done(): boolean {
    return this.#done;
  }

  #misuse(msg: string): HansomError {
    return new HansomError("multipart_error", `Multipart event out of order: ${msg}`, { phase: "send" });
  }

  /** Bytes for one event, in order (file events stream the file's chunks). Misuse throws at once. */
  encode(ev: SendPartEvent): AsyncIterable<Uint8Array> {
    if (this.#done) throw this.#misuse(`"${ev.type}" after "eof"`);
    const b = this.#stack[this.#stack.length - 1]!;
    if (ev.type === "part_bin" || ev.type === "end_of_part") {
      const part = this.#part;
      if (!part) throw this.#misuse(`"${ev.type}" without an open "part"`);
      if (ev.type === "end_of_part") {
        if (part.left !== undefined && part.left !== 0)
          throw this.#misuse(`"end_of_part" with ${part.left} of part ${part.label}'s announced bytes unsent`);
        this.#part = null;
        return one(utf8.encode("\r\n"));
      }
      if (!(ev.bytes instanceof Uint8Array)) throw new TypeError("hansom: part_bin bytes must be a Uint8Array");
      if (part.left !== undefined) {
        if (ev.bytes.length > part.left) throw this.#misuse(`"part_bin" beyond part ${part.label}'s announced length`);
        part.left -= ev.bytes.length;
      }
      return one(ev.bytes);
    }
    if (this.#part)
      throw this.#misuse(`"${ev.type}" while part ${this.#part.label} is open (send "end_of_part" first)`);
    switch (ev.type) {
      case "data":
      case "file": {
        // The bytes of the equivalent Part (hackney's default field name for {file, Path} is
        // "file"); its input is checked now, the file opened when the bytes are read.
        const p: Part =
          ev.type === "data"
            ? { name: ev.name, value: ev.content, headers: ev.headers }
            : { name: ev.name ?? "file", file: ev.path, headers: ev.headers };
        headerPairs(ev.headers);
        disposition(p.name);
        if (ev.type === "data" && typeof ev.content !== "string") valueBytes(ev.content, "data event content");
        return playParts([p], b);
      }
      case "part": {
        const len = checkLength(ev.length, JSON.stringify(ev.name));
        // hackney {part, Name[, Len]}: type by the name's extension, length when given.
        const h = head(
          b,
          withLength(
            [
              ["content-disposition", disposition(ev.name)],
              ["content-type", contentTypeFor(ev.name)],
            ],
            len,
          ),
          headerPairs(ev.headers),
        );
        this.#part = { label: JSON.stringify(ev.name), left: len };
        return one(utf8.encode(h));
      }
      case "mp_mixed": {
        const inner = checkBoundary(ev.boundary);
        this.#stack.push(inner);
        return one(
          utf8.encode(
            head(
              b,
              [
                ["content-disposition", disposition(ev.name)],
                ["content-type", `multipart/mixed; ${boundaryParam(inner)}`],
              ],
              [],
            ),
          ),
        );
      }
      case "mp_mixed_eof": {
        if (this.#stack.length < 2 || ev.boundary !== b)
          throw this.#misuse(
            `"mp_mixed_eof" for ${JSON.stringify(ev.boundary)}, but the open boundary is ${JSON.stringify(b)}`,
          );
        this.#stack.pop();
        return one(utf8.encode(`--${b}--\r\n\r\n`));
      }
      case "eof": {
        if (this.#stack.length > 1)
          throw this.#misuse(`"eof" inside mixed part ${JSON.stringify(b)} (send "mp_mixed_eof" first)`);
        this.#done = true;
        return one(utf8.encode(`--${b}--\r\n`));
      }
      default:
        throw new HansomError(
          "multipart_error",
          `Unknown multipart event type ${JSON.stringify((ev as { type: unknown }).type)}`,
          { phase: "send" },
        );
    }
  }
}
