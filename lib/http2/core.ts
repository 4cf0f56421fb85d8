// The state one client session shares between its public face (session.ts) and its frame
// handling (inbound.ts): codecs, windows, streams, the peer's settings, and the helpers both
// sides use to close streams, return window credit, send queued DATA and fail.
import type { HansomError } from "../errors.ts";
import { errorName, toHansomError } from "./errors.ts";
import type { H2Error, H2ErrorName } from "./errors.ts";
import { FloodGuard } from "./flood.ts";
import type { FloodKind } from "./flood.ts";
import { RecvWindow } from "./flow.ts";
import { encodeGoaway, encodeRstStream, encodeWindowUpdate } from "./frame.ts";
import { FrameDecoder } from "./frame-decoder.ts";
import { HeaderBlock } from "./header-block.ts";
import { HpackDecoder } from "./hpack-decode.ts";
import { HpackEncoder } from "./hpack-encode.ts";
import { DRAINED, Sender, SENT_END } from "./send.ts";
import { initialPeerSettings, resolveOptions } from "./settings.ts";
import type { PeerSettings, ResolvedOptions, SessionOptions } from "./settings.ts";
import type { Stream } from "./stream.ts";
import { ENDED, RESET, StreamTable } from "./streams.ts";

/** Receives a session's output and events (described at the top of session.ts). */
export interface SessionHandler {
  output(bytes: Uint8Array): void;
  onHeaders(streamId: number, status: number, fields: Array<[string, string]>, endStream: boolean): void;
  onInformational?(streamId: number, status: number, fields: Array<[string, string]>): void;
  onData(streamId: number, chunk: Uint8Array, endStream: boolean): void;
  onTrailers(streamId: number, fields: Array<[string, string]>): void;
  onStreamReset(streamId: number, code: string, retryable: boolean): void;
  onStreamError(streamId: number, error: HansomError, code: H2ErrorName): void;
  onGoaway(lastStreamId: number, code: string, debug: Uint8Array): void;
  onSettings?(settings: Readonly<PeerSettings>): void;
  onWritable?(streamId: number): void;
  onPingAck?(data: Uint8Array): void;
  onError(error: HansomError, code: string): void;
}

/** What the server said in its GOAWAY. */
export interface GoawayInfo {
  lastStreamId: number;
  code: string;
  debug: Uint8Array;
}

const utf8 = new TextEncoder();

/** One session's state; internal to lib/http2. */
export class SessionCore {
  readonly h: SessionHandler;
  readonly o: ResolvedOptions;
  readonly decoder: FrameDecoder;
  readonly hpackIn: HpackDecoder;
  readonly hpackOut: HpackEncoder;
  readonly send = new Sender();
  readonly flood: FloodGuard;
  readonly block: HeaderBlock;
  /** Our connection receive window (raised from 65535 by the preface's WINDOW_UPDATE). */
  readonly connRecv: RecvWindow;
  readonly table = new StreamTable();
  peer: PeerSettings = initialPeerSettings();
  closed = false;
  gotSettings = false;
  settingsAcked = false;
  goaway: GoawayInfo | null = null;
  goawaySent = false;
  /** Data of our PINGs not yet answered. */
  pings: Uint8Array[] = [];
  /** Streams whose queue drained, for onWritable once the current call is done. */
  writable: number[] = [];
  /** A connection error to report once its GOAWAY is out. */
  failure: [HansomError, string] | null = null;

  constructor(handler: SessionHandler, options: SessionOptions) {
    this.h = handler;
    const o = (this.o = resolveOptions(options));
    this.decoder = new FrameDecoder(o.maxFrameSize);
    this.hpackIn = new HpackDecoder({ maxTableSize: o.headerTableSize, maxHeaderListSize: o.maxHeaderListSize });
    this.hpackOut = new HpackEncoder({ maxTableSize: o.encoderTableSize });
    this.flood = new FloodGuard(o);
    this.block = new HeaderBlock(2 * o.maxHeaderListSize, o.maxContinuationFrames);
    this.connRecv = new RecvWindow(o.connectionWindowSize);
  }

  /** Counts an overhead frame; throws the flood's connection error past its limit. */
  count(kind: FloodKind): void {
    const e = this.flood.count(kind);
    if (e !== null) throw e;
  }

  /** §5.4.1: sends GOAWAY with the error, closes the session, and keeps the error for onError. */
  connectionError(e: H2Error): void {
    if (this.closed) return;
    this.send.write(encodeGoaway(0, e.code, utf8.encode(e.message.slice(0, 200))));
    this.closed = true;
    this.failure = [toHansomError(e), errorName(e.code)];
  }

  /** §5.4.2: resets the stream with the error's code and reports it. */
  streamError(e: H2Error): void {
    const s = this.table.map.get(e.streamId);
    if (s !== undefined && s.state !== "closed") {
      this.send.write(encodeRstStream(e.streamId, e.code));
      this.closeStream(s, RESET);
    }
    this.h.onStreamError(e.streamId, toHansomError(e), errorName(e.code) as H2ErrorName);
  }

  /** The server's END_STREAM arrived on a stream. */
  endRemote(s: Stream): void {
    if (s.endRemote()) this.closeStream(s, ENDED);
  }

  /** Closes a stream (streams.ts ENDED or RESET), returning a reset stream's unread credit. */
  closeStream(s: Stream, why: number): void {
    const credit = this.table.close(s, why);
    if (credit > 0) this.creditConnection(credit);
  }

  /** Body octets consumed or discarded: the connection window's share of the credit. */
  creditConnection(n: number): void {
    const inc = this.connRecv.consume(n);
    if (inc > 0 && !this.closed) this.send.write(encodeWindowUpdate(0, inc));
  }

  /** Sends what a stream's windows allow of its queue. */
  flushStream(s: Stream): void {
    const r = this.send.flushStream(s);
    if ((r & SENT_END) !== 0 && s.endLocal()) this.closeStream(s, ENDED);
    if ((r & DRAINED) !== 0) this.writable.push(s.id);
  }

  /** Sends queued DATA of every stream, in stream order, while the connection window lasts. */
  flushAll(): void {
    for (const s of this.table.map.values()) {
      if (this.send.connWindow <= 0) return;
      if (s.state !== "closed" && (s.queued > 0 || s.endQueued)) this.flushStream(s);
    }
  }
}
