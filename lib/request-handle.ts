// body: "stream" (hackney send_body / send_multipart_body / finish_send_body / start_response).
// The request starts on the first write, so a first writeMultipart can still choose the
// multipart Content-Type; every write waits until the connection has taken its bytes.
import { HansomError } from "./errors.ts";
import type { EncodedBody } from "./body.ts";
import { toBytes } from "./body.ts";
import type { Response } from "./response.ts";
import { boundary as newBoundary } from "./multipart/encode.ts";
import { MultipartWriter } from "./multipart/writer.ts";
import type { SendPartEvent } from "./multipart/writer.ts";
import { boundaryFromContentType } from "./multipart/decode.ts";

/**
 * A request whose body the caller writes, what request() resolves to with `body: "stream"`. The request head
 * goes out with the first write (chunked, unless a Content-Length header was given); response() ends the
 * body and resolves to the Response. If the server answers before taking the whole body, what is still
 * queued, and any later write, is dropped.
 * @example
 * import { post } from "hansom";
 * const handle = await post("http://127.0.0.1:8080/upload", {
 *   body: "stream",
 *   headers: { "content-type": "text/csv" },
 * });
 * await handle.write("a,b\n");
 * await handle.write(new TextEncoder().encode("1,2\n"));
 * const res = await handle.response();
 * console.log(res.status);
 */
export interface RequestHandle {
  /**
   * Sends a chunk of the body (hackney:send_body; a string as UTF-8) and resolves once the connection has
   * taken it. Rejects with `closed` after the body was ended, and with the request's own HansomError (e.g.
   * `econnrefused`, `econnreset`, `recv_timeout`) when the request failed.
   * @example
   * const handle = await put("http://127.0.0.1:8080/blob", { body: "stream", headers: { "content-length": "10" } });
   * await handle.write("0123456789");
   * await (await handle.response()).skip();
   */
  write(chunk: Uint8Array | string): Promise<void>;
  /**
   * Sends one multipart event (hackney:send_multipart_body) and resolves once its bytes are taken; without a
   * multipart Content-Type, the first call adds `multipart/form-data` with a fresh boundary. Rejects with
   * `multipart_error` for an event out of order (e.g. `part_bin` with no `part` open), or for a first call
   * after plain write()s sent the head without a multipart Content-Type; with `file_error` for an unreadable file.
   * @example
   * const handle = await post("http://127.0.0.1:8080/form", { body: "stream" });
   * await handle.writeMultipart({ type: "data", name: "title", content: "report" });
   * await handle.writeMultipart({ type: "part", name: "log", headers: { "content-type": "text/plain" } });
   * await handle.writeMultipart({ type: "part_bin", bytes: new TextEncoder().encode("line 1\n") });
   * await handle.writeMultipart({ type: "end_of_part" });
   * await handle.writeMultipart({ type: "eof" });
   * const res = await handle.response();
   */
  writeMultipart(ev: SendPartEvent): Promise<void>;
  /**
   * The body as a WritableStream (the same one on every access): each chunk is a write(), closing it ends the
   * body, aborting it fails the request with `aborted`. Then call response() for the Response.
   * @example
   * const handle = await post("http://127.0.0.1:8080/upload", { body: "stream" });
   * const file = new Blob(["some ", "bytes"]);
   * await file.stream().pipeTo(handle.writable); // resolves once the body is sent and ended
   * const res = await handle.response();
   * console.log(res.status);
   */
  readonly writable: WritableStream<Uint8Array>;
  /**
   * Ends the body and resolves to the Response once its headers are in (hackney finish_send_body +
   * start_response); rejects with request()'s HansomError codes (`econnrefused`, `recv_timeout`,
   * `bad_response`, ...). With no write before it, the body is empty.
   * @example
   * const handle = await post("http://127.0.0.1:8080/upload", { body: "stream" });
   * await handle.write("all of it");
   * const res = await handle.response();
   * console.log(res.status, await res.text());
   */
  response(): Promise<Response>;
}

/** Starts the request with this body and extra headers; resolves with its Response. */
export type StartStreamed = (body: EncodedBody, extraHeaders: Array<[string, string]>) => Promise<Response>;

interface Item {
  chunk: Uint8Array;
  taken: () => void;
}

/** The chunks the caller writes, pulled by the connection's send loop. */
class Pushable implements AsyncIterable<Uint8Array> {
  #q: Item[] = [];
  #ended = false;
  #failure: HansomError | null = null;
  #wake: (() => void) | null = null;
  #rejects = new Set<(e: HansomError) => void>();

  push(chunk: Uint8Array): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#discarding) return Promise.resolve();
    if (this.#ended)
      return Promise.reject(new HansomError("closed", "The request body was already finished", { phase: "send" }));
    return new Promise<void>((resolve, reject) => {
      const item: Item = {
        chunk,
        taken: () => {
          this.#rejects.delete(reject);
          resolve();
        },
      };
      this.#rejects.add(reject);
      this.#q.push(item);
      this.#wake?.();
    });
  }
  end(): void {
    this.#ended = true;
    this.#wake?.();
  }
  /** The server answered before taking the body: what is queued, and any later write, is dropped. */
  discard(): void {
    this.#discarding = true;
    this.#ended = true;
    for (const item of this.#q) item.taken();
    this.#q = [];
    this.#wake?.();
  }
  #discarding = false;
  fail(e: HansomError): void {
    if (this.#failure) return;
    this.#failure = e;
    for (const r of this.#rejects) r(e);
    this.#rejects.clear();
    this.#q = [];
    this.#wake?.();
  }
  async *[Symbol.asyncIterator](): AsyncGenerator<Uint8Array> {
    for (;;) {
      const item = this.#q.shift();
      if (item) {
        yield item.chunk;
        // The send loop asks for the next chunk only after this one is on the socket.
        item.taken();
        continue;
      }
      if (this.#failure) throw this.#failure;
      if (this.#ended) return;
      await new Promise<void>((r) => (this.#wake = r));
      this.#wake = null;
    }
  }
}

/** The RequestHandle behind `body: "stream"`. */
export class StreamedRequest implements RequestHandle {
  #start: StartStreamed;
  #headers: Array<[string, string]>;
  #length: number | null;
  #body = new Pushable();
  #response: Promise<Response> | null = null;
  #mp: MultipartWriter | null = null;
  #writable: WritableStream<Uint8Array> | null = null;

  /** @internal */
  constructor(start: StartStreamed, callerHeaders: Array<[string, string]>, length: number | null) {
    this.#start = start;
    this.#headers = callerHeaders;
    this.#length = length;
  }

  #begin(extra: Array<[string, string]> = []): Promise<Response> {
    if (!this.#response) {
      const body: EncodedBody = { length: this.#length, open: () => this.#body, replayable: false };
      this.#response = this.#start(body, extra);
      this.#response.then(
        // Once the response is in, nothing more of the body is sent (hackney stops too):
        // pending and later writes settle instead of waiting for a reader that is gone.
        () => this.#body.discard(),
        (e: unknown) =>
          this.#body.fail(e instanceof HansomError ? e : new HansomError("closed", String(e), { cause: e })),
      );
    }
    return this.#response;
  }

  write(chunk: Uint8Array | string): Promise<void> {
    this.#begin();
    return this.#body.push(toBytes(chunk));
  }

  async writeMultipart(ev: SendPartEvent): Promise<void> {
    if (!this.#mp) {
      let b = boundaryFromContentType(this.#headers.find(([k]) => k.toLowerCase() === "content-type")?.[1] ?? null);
      const extra: Array<[string, string]> = [];
      if (!b) {
        if (this.#response)
          throw new HansomError(
            "multipart_error",
            "writeMultipart() needs a multipart Content-Type, and the request head was already sent without one",
            { phase: "send" },
          );
        b = newBoundary();
        extra.push(["Content-Type", `multipart/form-data; boundary=${b}`]);
      }
      this.#mp = new MultipartWriter(b);
      this.#begin(extra);
    }
    for await (const bytes of this.#mp.encode(ev)) await this.#body.push(bytes);
  }

  get writable(): WritableStream<Uint8Array> {
    this.#writable ??= new WritableStream<Uint8Array>({
      write: (chunk) => this.write(chunk),
      close: () => {
        this.#begin();
        this.#body.end();
      },
      abort: (reason) =>
        this.#body.fail(
          new HansomError("aborted", "The request body stream was aborted", { cause: reason, phase: "send" }),
        ),
    });
    return this.#writable;
  }

  response(): Promise<Response> {
    const p = this.#begin();
    this.#body.end();
    return p;
  }
}
