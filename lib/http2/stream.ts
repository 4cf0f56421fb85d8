// One client-initiated stream (RFC 9113 §5.1): its state, its send window and queue of
// request body bytes that did not fit, its receive window, and where its response is.
import { RecvWindow } from "./flow.ts";

/** §5.1 states a client stream goes through once its HEADERS are sent. */
export type StreamState = "open" | "half_closed_local" | "half_closed_remote" | "closed";

/** Where the response is: awaiting the final head, in the body, or complete. */
export const AWAIT_HEAD = 0,
  IN_BODY = 1,
  COMPLETE = 2;

/** One stream's bookkeeping; the session drives every change. */
export class Stream {
  readonly id: number;
  state: StreamState;
  /** The peer's window for our DATA; negative after a SETTINGS shrink (§6.9.2). */
  sendWindow: number;
  readonly recv: RecvWindow;
  /** Request body bytes waiting for window, oldest first; the head may be partly sent. */
  queue: Uint8Array[] = [];
  queueOffset = 0;
  queued = 0;
  /** END_STREAM is to follow the queued bytes. */
  endQueued = false;
  /** The last flush left bytes queued: the caller waits for onWritable. */
  blocked = false;
  response = AWAIT_HEAD;
  /** HEAD request, 204 or 304: no body may follow (RFC 9110 §6.4.1). */
  noBody: boolean;
  /** content-length of the response, -1 when absent, and DATA octets received so far (§8.1.1). */
  contentLength = -1;
  received = 0;
  /** Body octets handed to the caller and not yet consumed: credit owed to the connection window. */
  unconsumed = 0;

  constructor(id: number, endStream: boolean, sendWindow: number, recvWindow: number, noBody: boolean) {
    this.id = id;
    this.state = endStream ? "half_closed_local" : "open";
    this.sendWindow = sendWindow;
    this.recv = new RecvWindow(recvWindow);
    this.noBody = noBody;
  }

  /** We may still send DATA. */
  get sending(): boolean {
    return this.state === "open" || this.state === "half_closed_remote";
  }

  /** The peer may still send frames that carry a response. */
  get receiving(): boolean {
    return this.state === "open" || this.state === "half_closed_local";
  }

  /** Our END_STREAM went out; returns true when the stream is now to be closed (streams.ts). */
  endLocal(): boolean {
    if (this.state !== "open") return true;
    this.state = "half_closed_local";
    return false;
  }

  /** The peer's END_STREAM arrived; returns true when the stream is now to be closed (streams.ts). */
  endRemote(): boolean {
    this.response = COMPLETE;
    if (this.state !== "open") return true;
    this.state = "half_closed_remote";
    return false;
  }

  /** Drops the queued body, for a stream that will send no more. */
  dropQueue(): void {
    this.queue = [];
    this.queueOffset = this.queued = 0;
    this.endQueued = this.blocked = false;
  }
}
