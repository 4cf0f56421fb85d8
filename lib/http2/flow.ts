// Receive-side flow control (RFC 9113 §5.2, §6.9): one window per stream and one for the
// connection. The peer may send as much as the window holds; bytes the reader consumes are
// given back with WINDOW_UPDATE, batched so that a stream of small reads does not become a
// stream of small frames: credit goes back once half the window is owed. That never stalls
// the peer: while less than half is owed, a reader that has caught up leaves over half open.

/** Our receive window for the connection or one stream. */
export class RecvWindow {
  /** What the peer may still send before the next WINDOW_UPDATE. */
  available: number;
  /** The window we keep open when the reader keeps up. */
  readonly size: number;
  #owed = 0;

  constructor(size: number) {
    this.available = size;
    this.size = size;
  }

  /** Counts `n` received octets; false when they exceed the window (a FLOW_CONTROL_ERROR). */
  receive(n: number): boolean {
    if (n > this.available) return false;
    this.available -= n;
    return true;
  }

  /** Credits `n` consumed octets; returns the WINDOW_UPDATE increment now due, or 0. */
  consume(n: number): number {
    this.#owed += n;
    if (this.#owed < this.size / 2) return 0;
    const inc = this.#owed;
    this.#owed = 0;
    this.available += inc;
    return inc;
  }
}
