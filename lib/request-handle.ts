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

/** A request whose body the caller writes (API.md section 4). */
export interface RequestHandle {
  /** Sends a chunk (hackney:send_body); resolves once the connection has taken it. */
  write(chunk: Uint8Array | string): Promise<void>;
  /** Sends one multipart event (hackney:send_multipart_body). */
  writeMultipart(ev: SendPartEvent): Promise<void>;
  /** The body as a WritableStream; closing it ends the body. */
  readonly writable: WritableStream<Uint8Array>;
  /** Ends the body and waits for the response (finish_send_body + start_response). */
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
    if (this.#ended) return Promise.reject(new HansomError("closed", "The request body was already finished", { phase: "send" }));
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
        (e: unknown) => this.#body.fail(e instanceof HansomError ? e : new HansomError("closed", String(e), { cause: e })),
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
        if (this.#response) throw new HansomError("multipart_error", "writeMultipart() needs a multipart Content-Type, and the request head was already sent without one", { phase: "send" });
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
      abort: (reason) => this.#body.fail(new HansomError("aborted", "The request body stream was aborted", { cause: reason, phase: "send" })),
    });
    return this.#writable;
  }

  response(): Promise<Response> {
    const p = this.#begin();
    this.#body.end();
    return p;
  }
}
