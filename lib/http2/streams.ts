// The session's streams (RFC 9113 §5.1): client-initiated odd ids handed out in order, the
// live ones by id, and why recently closed ones closed, so that a late frame can be told
// apart: frames after a reset may have been in flight and are ignored, frames after the
// server's own END_STREAM are a STREAM_CLOSED error. Ids never opened are idle: a frame on
// one is a PROTOCOL_ERROR (even ids too, since push is off and the server opens none).
import { connectionError, PROTOCOL_ERROR, STREAM_CLOSED } from "./errors.ts";
import type { Stream } from "./stream.ts";

/** Why a stream closed: the server ended it, or it was reset (by either side or a GOAWAY). */
export const ENDED = 1,
  RESET = 2;
// Closed streams remembered; older ones are treated as reset (their late frames ignored).
const CLOSED_MEMORY = 1024;
const MAX_STREAM_ID = 0x7fffffff;

/** Streams by id, with the bookkeeping of §5.1. */
export class StreamTable {
  /** Streams not closed, plus closed ones whose body the reader has not consumed yet. */
  readonly map = new Map<number, Stream>();
  /** Streams not closed: what SETTINGS_MAX_CONCURRENT_STREAMS counts. */
  open = 0;
  /** The id the next request gets. */
  nextId = 1;
  readonly #why = new Map<number, number>();

  /** Stream ids are used up (§5.1.1): the connection must be replaced. */
  get exhausted(): boolean {
    return this.nextId > MAX_STREAM_ID;
  }

  /** Registers a stream just opened with nextId, and moves nextId on. */
  add(s: Stream): void {
    this.map.set(s.id, s);
    this.open++;
    this.nextId += 2;
  }

  /** The stream a frame is for, or null when it is closed; throws a PROTOCOL_ERROR for an idle one. */
  live(id: number, type: string): Stream | null {
    const s = this.map.get(id);
    if (s !== undefined && s.state !== "closed") return s;
    if (id % 2 === 0 || id >= this.nextId) throw connectionError(PROTOCOL_ERROR, `${type} frame on idle stream ${id}`);
    return null;
  }

  /** Why a stream closed, while remembered; undefined for a stream not closed. */
  reason(id: number): number | undefined {
    return this.#why.get(id);
  }

  /** A frame carrying a response arrived on a closed stream: an error only after the server's END_STREAM. */
  late(id: number, type: string): void {
    if (this.#why.get(id) === ENDED)
      throw connectionError(STREAM_CLOSED, `${type} frame on stream ${id} after its END_STREAM`);
  }

  /**
   * Closes a stream and returns the body credit to give back to the connection window: a
   * reset stream's unread bytes are dropped (the reader will not consume them); an ended one
   * stays in the map until they are consumed.
   */
  close(s: Stream, why: number): number {
    if (s.state !== "closed") this.open--;
    s.state = "closed";
    s.dropQueue();
    this.#why.delete(s.id);
    this.#why.set(s.id, why);
    if (this.#why.size > CLOSED_MEMORY) this.#why.delete(this.#why.keys().next().value!);
    let credit = 0;
    if (why === RESET) {
      credit = s.unconsumed;
      s.unconsumed = 0;
    }
    if (s.unconsumed === 0) this.map.delete(s.id);
    return credit;
  }
}
