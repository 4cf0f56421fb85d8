// Writing one request body onto an HTTP/2 stream: chunks go to the session, which frames them
// within the send windows and queues the rest by reference. The writer waits when that queue
// passes a mark (the server has not opened its window) or the socket is over its own mark,
// so a large body never sits in memory twice. The connection decides when to stop.
import { HansomError } from "../errors.ts";
import type { EncodedBody } from "../body.ts";
import { EMPTY } from "../bytes.ts";

/** Bytes queued in the session for one stream before the writer waits for onWritable. */
const QUEUE_MARK = 64 * 1024;

/** What the writer asks of the connection. */
export interface UploadControl {
  /** False once the stream can send no more (reset, answered early, connection gone). */
  proceed(): boolean;
  /** Hands bytes to the session; returns the bytes it holds queued for the stream. */
  send(bytes: Uint8Array, end: boolean): number;
  /** Resolves when the stream's queue has drained, or the exchange ended. */
  writable(): Promise<void>;
  /** A promise while the socket is over its write mark, else null. */
  drain(): Promise<void> | null;
  /** With Expect: 100-continue: true to send the body, false when a final status came first. */
  awaitContinue(): Promise<boolean>;
  /** Body bytes handed over so far; `done` on the last call. */
  progress(sent: number, done?: boolean): void;
}

/** Sends the body, then END_STREAM; resolves true when all of it went to the session. */
export async function sendBody(body: EncodedBody, expectContinue: boolean, ctl: UploadControl): Promise<boolean> {
  if (expectContinue && !(await ctl.awaitContinue())) return false;
  let sent = 0;
  for await (const chunk of body.open()) {
    if (!ctl.proceed()) return false;
    if (chunk.byteLength === 0) continue;
    const queued = ctl.send(chunk, false);
    sent += chunk.byteLength;
    ctl.progress(sent);
    if (queued > QUEUE_MARK) await ctl.writable();
    const full = ctl.drain();
    if (full) await full;
  }
  if (!ctl.proceed()) return false;
  if (body.length !== null && sent !== body.length) {
    throw new HansomError(
      "invalid_option",
      `The request body was ${sent} bytes but its declared length is ${body.length}`,
      { phase: "send" },
    );
  }
  ctl.send(EMPTY, true);
  ctl.progress(sent, true);
  return true;
}
