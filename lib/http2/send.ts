// The sending side of a session: frames waiting to be handed to the caller's output, and
// the framing of request bodies into DATA within the connection and stream send windows
// (RFC 9113 §6.9) and the peer's SETTINGS_MAX_FRAME_SIZE. Body bytes that do not fit wait in
// their stream's queue, by reference, until a WINDOW_UPDATE makes room.
import { encodeDataHeader, MIN_MAX_FRAME_SIZE } from "./frame.ts";
import { DEFAULT_WINDOW } from "./settings.ts";
import type { Stream } from "./stream.ts";

/** flushStream() result bits: END_STREAM went out; a queue that had been left waiting ran empty. */
export const SENT_END = 1,
  DRAINED = 2;

/** Pending output and DATA framing for one session. */
export class Sender {
  /** The peer's connection window for our DATA. */
  connWindow = DEFAULT_WINDOW;
  /** The peer's SETTINGS_MAX_FRAME_SIZE. */
  maxFrameSize = MIN_MAX_FRAME_SIZE;
  #parts: Uint8Array[] = [];
  #size = 0;

  /** Appends bytes to the pending output. */
  write(bytes: Uint8Array): void {
    this.#parts.push(bytes);
    this.#size += bytes.length;
  }

  /** The pending output as one array (then forgotten), or null when there is none. */
  take(): Uint8Array | null {
    const parts = this.#parts;
    if (parts.length === 0) return null;
    this.#parts = [];
    const size = this.#size;
    this.#size = 0;
    if (parts.length === 1) return parts[0]!;
    const out = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      out.set(p, at);
      at += p.length;
    }
    return out;
  }

  /**
   * Frames as much of the stream's queue as the windows allow, then END_STREAM if due; returns SENT_END | DRAINED bits.
   */
  flushStream(s: Stream): number {
    let result = 0;
    while (s.queued > 0) {
      const n = Math.min(s.sendWindow, this.connWindow, this.maxFrameSize, s.queued);
      if (n <= 0) break;
      const end = n === s.queued && s.endQueued;
      this.write(encodeDataHeader(s.id, n, end));
      // The payload goes out as views of the queued chunks; take() copies them once.
      let left = n;
      while (left > 0) {
        const chunk = s.queue[0]!;
        const piece = Math.min(left, chunk.length - s.queueOffset);
        this.write(chunk.subarray(s.queueOffset, s.queueOffset + piece));
        left -= piece;
        s.queueOffset += piece;
        if (s.queueOffset === chunk.length) {
          s.queue.shift();
          s.queueOffset = 0;
        }
      }
      s.queued -= n;
      s.sendWindow -= n;
      this.connWindow -= n;
      if (end) {
        s.endQueued = false;
        result |= SENT_END;
      }
    }
    // §6.9.1: an empty DATA frame is not flow controlled, so END_STREAM alone always goes out.
    if (s.queued === 0 && s.endQueued) {
      s.endQueued = false;
      this.write(encodeDataHeader(s.id, 0, true));
      result |= SENT_END;
    }
    if (s.blocked && s.queued === 0) result |= DRAINED;
    s.blocked = s.queued > 0;
    return result;
  }
}
