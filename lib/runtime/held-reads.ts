// What a socket has read but not yet handed to its handler: chunks that arrived while paused (or
// before a handler was set), the peer's EOF, and a failure. A RawSocket starts paused and pause()
// stops delivery at once, so these wait here until resume() or setHandler(). The adapter keeps
// the paused flag and the handler; this file keeps the order: data, then EOF, each once.
import type { HansomError } from "../errors.ts";
import type { SocketHandler } from "./socket.ts";

export class HeldReads {
  #chunks: Uint8Array[] = [];
  #eof = false;
  #endDelivered = false;
  #error: HansomError | null = null;
  #errorDelivered = false;

  /** The peer's EOF was read (delivered or not). */
  get eof(): boolean {
    return this.#eof;
  }
  /** The socket's failure, once there is one. */
  get error(): HansomError | null {
    return this.#error;
  }
  /** Chunks are waiting: new ones must queue behind them. */
  get holding(): boolean {
    return this.#chunks.length > 0;
  }

  hold(chunk: Uint8Array): void {
    this.#chunks.push(chunk);
  }
  /** Records the peer's EOF; deliverEnd() hands it over. */
  setEof(): void {
    this.#eof = true;
  }
  /** Records the failure; deliverError() hands it over. */
  setError(e: HansomError): void {
    this.#error = e;
  }

  /** Hands held chunks to `h` in order, stopping as soon as `paused()`; true when none are left. */
  deliverChunks(h: SocketHandler, paused: () => boolean): boolean {
    while (this.#chunks.length > 0) {
      h.data(this.#chunks.shift()!);
      if (paused()) return false;
    }
    return true;
  }
  /** Hands the EOF to `h`, once, if it was read. */
  deliverEnd(h: SocketHandler): void {
    if (this.#eof && !this.#endDelivered) {
      this.#endDelivered = true;
      h.end();
    }
  }
  /** Hands the failure to `h` unless a handler already had it; true if it did now. */
  deliverError(h: SocketHandler): boolean {
    if (!this.#error || this.#errorDelivered) return false;
    this.#errorDelivered = true;
    h.error(this.#error);
    return true;
  }
}
