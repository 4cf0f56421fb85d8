// Writing one request: the head, then the body as it is (Content-Length) or chunk-framed,
// with the socket's backpressure honoured. The connection decides when to stop.
import { HansomError } from "../errors.ts";
import type { RawSocket } from "../runtime/socket.ts";
import { byteLength, concatBytes } from "../bytes.ts";
import { CRLF, LAST_CHUNK, chunkPrefix } from "./encode.ts";
import type { RequestSpec } from "../exchange.ts";

/** Bodies up to this size are written together with the head. */
const SMALL_BODY = 16 * 1024;

/** What the sender asks of the connection while it writes. */
export interface SendControl {
  /** False once writing must stop (a response head arrived, or the exchange is over). */
  proceed(): boolean;
  /** With Expect: 100-continue: true to send the body, false when a final status came first. */
  awaitContinue(): Promise<boolean>;
  /** Bytes of body written so far (progress and recvTimeout activity); `done` on the last call. */
  progress(sent: number, done?: boolean): void;
}

/** Writes head and body; resolves true when the whole request went out. */
export async function sendRequest(
  s: RawSocket,
  head: Uint8Array,
  spec: RequestSpec,
  ctl: SendControl,
): Promise<boolean> {
  const body = spec.body;
  if (!body || (body.length === 0 && !spec.expectContinue)) {
    s.write(head);
    return true;
  }
  if (!spec.expectContinue && body.length !== null && body.length <= SMALL_BODY) {
    const parts = body.open();
    if (Array.isArray(parts) && byteLength(parts) === body.length) {
      // A small body known up front goes out with the head in one write (one syscall).
      s.write(concatBytes([head, ...parts]));
      ctl.progress(body.length, true);
      return true;
    }
    if (!s.write(head)) await s.drain();
    return sendChunks(s, parts, body.length, ctl);
  }
  if (!s.write(head)) await s.drain();
  // RFC 9110 §10.1.1: after a final status instead of 100, the body is not sent.
  if (spec.expectContinue && !(await ctl.awaitContinue())) return false;
  return sendChunks(s, body.open(), body.length, ctl);
}

/** Writes body chunks (chunk-framed when the length is unknown), waiting on drain. */
async function sendChunks(
  s: RawSocket,
  chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>,
  length: number | null,
  ctl: SendControl,
): Promise<boolean> {
  const chunked = length === null;
  let sent = 0;
  for await (const chunk of chunks) {
    if (!ctl.proceed()) return false;
    if (chunk.byteLength === 0) continue;
    let ok: boolean;
    if (chunked) {
      s.write(chunkPrefix(chunk.byteLength));
      s.write(chunk);
      ok = s.write(CRLF);
    } else {
      ok = s.write(chunk);
    }
    sent += chunk.byteLength;
    ctl.progress(sent);
    if (!ok) await s.drain();
  }
  if (!ctl.proceed()) return false;
  ctl.progress(sent, true);
  if (chunked) s.write(LAST_CHUNK);
  else if (sent !== length) {
    throw new HansomError("invalid_option", `The request body was ${sent} bytes but its declared length is ${length}`, {
      phase: "send",
    });
  }
  return true;
}

/** Expect: 100-continue waits at most this long before the body goes anyway. */
const EXPECT_TIMEOUT = 1000;

/** The wait for 100 Continue: opened by the sender, settled by what the parser sees. */
export class ContinueGate {
  #settle: ((go: boolean) => void) | null = null;

  /** Resolves true on 100 or after 1000 ms, false when a final status (or failure) came first. */
  wait(): Promise<boolean> {
    return new Promise((resolve) => {
      const t = setTimeout(() => this.#done(true), EXPECT_TIMEOUT);
      this.#settle = (go) => {
        clearTimeout(t);
        this.#settle = null;
        resolve(go);
      };
    });
  }
  /** A 100 Continue arrived. */
  proceed(): void {
    this.#done(true);
  }
  /** A final status arrived, or the exchange ended: the body is not sent. */
  refuse(): void {
    this.#done(false);
  }
  #done(go: boolean): void {
    this.#settle?.(go);
  }
}
