// A scripted server for the session specs: it drives a ClientSession with frames the spec
// encodes, decodes what the session writes back into frames, and records the session's events.
import assert from "node:assert/strict";
import { ClientSession } from "../../lib/http2/session.ts";
import type { SessionOptions } from "../../lib/http2/session.ts";
import { FrameDecoder } from "../../lib/http2/frame-decoder.ts";
import type { Frame } from "../../lib/http2/frame.ts";
import { encodeHeadersFrame, encodeSettings, PREFACE } from "../../lib/http2/frame.ts";
import { HpackDecoder } from "../../lib/http2/hpack-decode.ts";
import { HpackEncoder } from "../../lib/http2/hpack-encode.ts";
import type { HansomError } from "../../lib/errors.ts";
import { concat } from "./support.ts";

/** One thing the session did, as the spec sees it. */
export type Event =
  | ["headers", number, number, Array<[string, string]>, boolean]
  | ["informational", number, number, Array<[string, string]>]
  | ["data", number, string, boolean]
  | ["trailers", number, Array<[string, string]>]
  | ["reset", number, string, boolean]
  | ["streamError", number, string, string]
  | ["goaway", number, string, string]
  | ["settings"]
  | ["writable", number]
  | ["pingAck"]
  | ["error", string, string];

const latin1 = (b: Uint8Array): string => String.fromCharCode(...b);

/**
 * A scripted server: a ClientSession whose output is decoded back into frames (`frames`, and
 * request heads decoded with HPACK in `requests`), and whose events are recorded in `events`.
 */
export class ScriptedServer {
  readonly session: ClientSession;
  readonly events: Event[] = [];
  readonly frames: Frame[] = [];
  /** Request field lists by stream id, as the server would decode them. */
  readonly requests = new Map<number, Array<[string, string]>>();
  errors: HansomError[] = [];
  /** Calls to make from inside events, e.g. consume as data arrives. */
  onData: ((id: number, chunk: Uint8Array) => void) | null = null;
  onWritable: ((id: number) => void) | null = null;
  readonly encoder = new HpackEncoder();
  #decoder = new FrameDecoder(1 << 24);
  #hpack = new HpackDecoder({ maxHeaderListSize: 1 << 24 });
  #preface = 0;
  #block: Uint8Array[] = [];

  constructor(options: SessionOptions = {}) {
    this.session = new ClientSession(
      {
        output: (b) => this.#output(b),
        onHeaders: (id, status, fields, end) => this.events.push(["headers", id, status, fields, end]),
        onInformational: (id, status, fields) => this.events.push(["informational", id, status, fields]),
        onData: (id, chunk, end) => {
          const last = this.events[this.events.length - 1];
          if (last && last[0] === "data" && last[1] === id && !last[3]) {
            last[2] += latin1(chunk);
            last[3] = end;
          } else this.events.push(["data", id, latin1(chunk), end]);
          this.onData?.(id, chunk);
        },
        onTrailers: (id, fields) => this.events.push(["trailers", id, fields]),
        onStreamReset: (id, code, retryable) => this.events.push(["reset", id, code, retryable]),
        onStreamError: (id, err, code) => this.events.push(["streamError", id, code, err.message]),
        onGoaway: (last, code, debug) => this.events.push(["goaway", last, code, latin1(debug)]),
        onSettings: () => this.events.push(["settings"]),
        onWritable: (id) => {
          this.events.push(["writable", id]);
          this.onWritable?.(id);
        },
        onPingAck: () => this.events.push(["pingAck"]),
        onError: (err, code) => {
          this.errors.push(err);
          this.events.push(["error", code, err.message]);
        },
      },
      options,
    );
  }

  #output(b: Uint8Array): void {
    let off = 0;
    while (this.#preface < PREFACE.length && off < b.length) {
      assert.equal(b[off], PREFACE[this.#preface], "the connection preface");
      off++;
      this.#preface++;
    }
    this.#decoder.push(b.subarray(off), (f) => {
      // Copies: the session may hand out views of memory it later reuses.
      const copy = structuredCloneFrame(f);
      this.frames.push(copy);
      if (f.type === "HEADERS" || f.type === "CONTINUATION") {
        this.#block.push(f.fragment.slice());
        if (f.endHeaders) {
          this.requests.set(f.streamId, this.#hpack.decode(concat(this.#block)));
          this.#block = [];
        }
      }
    });
  }

  /** Starts the session and answers with the server preface (an empty SETTINGS unless given); forgets both. */
  handshake(settings: Array<[number, number]> = []): this {
    this.session.start();
    this.feed(encodeSettings(settings));
    assert.deepEqual(this.events, [["settings"]]);
    this.events.length = 0;
    this.frames.length = 0;
    return this;
  }

  /** Feeds bytes to the session. */
  feed(...chunks: Uint8Array[]): this {
    for (const c of chunks) this.session.receive(c);
    return this;
  }

  /** A response HEADERS frame for the stream, encoded with the server's HPACK encoder. */
  head(id: number, fields: Array<[string, string]>, endStream = false): Uint8Array {
    return encodeHeadersFrame(id, this.encoder.encode(fields), { endStream });
  }

  /** Frames of a type the session sent, dropping them from the record. */
  take(type: Frame["type"]): Frame[] {
    const out = this.frames.filter((f) => f.type === type);
    this.frames.splice(0, this.frames.length, ...this.frames.filter((f) => f.type !== type));
    return out;
  }

  /** The single connection error, checked for its code and message. */
  assertError(code: string, message: RegExp): void {
    const errs = this.events.filter((e) => e[0] === "error");
    assert.equal(errs.length, 1, `one connection error, got ${JSON.stringify(this.events)}`);
    assert.equal(errs[0]![1], code);
    assert.match(errs[0]![2], message);
    assert.equal(this.errors[0]!.code, "bad_response");
    const goaway = this.frames.filter((f) => f.type === "GOAWAY");
    assert.equal(goaway.length, 1, "one GOAWAY sent");
    assert.ok(this.session.closed);
  }
}

function structuredCloneFrame(f: Frame): Frame {
  const copy = { ...f } as Record<string, unknown>;
  for (const k of Object.keys(copy)) if (copy[k] instanceof Uint8Array) copy[k] = (copy[k] as Uint8Array).slice();
  return copy as Frame;
}
