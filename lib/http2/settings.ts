// SETTINGS (RFC 9113 §6.5): the peer's parameters as the session applies them, ours as we
// announce them, and the session's options with their defaults, limits included.
import { connectionError, FLOW_CONTROL_ERROR, PROTOCOL_ERROR } from "./errors.ts";
import { MAX_MAX_FRAME_SIZE, MAX_WINDOW, MIN_MAX_FRAME_SIZE } from "./frame.ts";

// §6.5.2: setting identifiers.
export const SETTINGS_HEADER_TABLE_SIZE = 0x1;
export const SETTINGS_ENABLE_PUSH = 0x2;
export const SETTINGS_MAX_CONCURRENT_STREAMS = 0x3;
export const SETTINGS_INITIAL_WINDOW_SIZE = 0x4;
export const SETTINGS_MAX_FRAME_SIZE = 0x5;
export const SETTINGS_MAX_HEADER_LIST_SIZE = 0x6;

/** §6.9.2: the initial window of a connection and, until SETTINGS say otherwise, of a stream. */
export const DEFAULT_WINDOW = 65535;

/** The peer's settings in force (§6.5.2 initial values until its SETTINGS arrive). */
export interface PeerSettings {
  headerTableSize: number;
  enablePush: boolean;
  /** Infinity when the peer sets no limit. */
  maxConcurrentStreams: number;
  initialWindowSize: number;
  maxFrameSize: number;
  /** Infinity when the peer sets no limit (advisory, §10.5.1). */
  maxHeaderListSize: number;
}

/** §6.5.2 initial values. */
export function initialPeerSettings(): PeerSettings {
  return {
    headerTableSize: 4096,
    enablePush: true,
    maxConcurrentStreams: Infinity,
    initialWindowSize: DEFAULT_WINDOW,
    maxFrameSize: MIN_MAX_FRAME_SIZE,
    maxHeaderListSize: Infinity,
  };
}

/**
 * Applies a SETTINGS frame's entries in order (§6.5.3) to a copy of `current`. Throws H2Error
 * for a value out of range (§6.5.2); unknown identifiers are ignored.
 */
export function applySettings(current: PeerSettings, entries: Array<[number, number]>): PeerSettings {
  const s = { ...current };
  for (const [id, v] of entries) {
    switch (id) {
      case SETTINGS_HEADER_TABLE_SIZE:
        s.headerTableSize = v;
        break;
      case SETTINGS_ENABLE_PUSH:
        // A server may only send 0 (§6.5.2; §8.4: it never receives pushes).
        if (v !== 0) throw connectionError(PROTOCOL_ERROR, `SETTINGS_ENABLE_PUSH ${v} from a server`);
        s.enablePush = false;
        break;
      case SETTINGS_MAX_CONCURRENT_STREAMS:
        s.maxConcurrentStreams = v;
        break;
      case SETTINGS_INITIAL_WINDOW_SIZE:
        if (v > MAX_WINDOW) throw connectionError(FLOW_CONTROL_ERROR, `SETTINGS_INITIAL_WINDOW_SIZE ${v} above 2^31-1`);
        s.initialWindowSize = v;
        break;
      case SETTINGS_MAX_FRAME_SIZE:
        if (v < MIN_MAX_FRAME_SIZE || v > MAX_MAX_FRAME_SIZE) {
          throw connectionError(PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${v} outside 16384..16777215`);
        }
        s.maxFrameSize = v;
        break;
      case SETTINGS_MAX_HEADER_LIST_SIZE:
        s.maxHeaderListSize = v;
        break;
    }
  }
  return s;
}

/** The session's tunables; the limit options bound what a hostile server can make it do. */
export interface SessionOptions {
  /** Our SETTINGS_INITIAL_WINDOW_SIZE: how much one stream may receive ahead of the reader. @default 1048576 */
  initialWindowSize?: number;
  /** The connection receive window, shared by all streams (a WINDOW_UPDATE raises it from 65535). @default 8388608 */
  connectionWindowSize?: number;
  /** Our SETTINGS_MAX_FRAME_SIZE. @default 16384 */
  maxFrameSize?: number;
  /** Our SETTINGS_MAX_HEADER_LIST_SIZE, enforced on every response head and trailer section. @default 65536 */
  maxHeaderListSize?: number;
  /** Our SETTINGS_HEADER_TABLE_SIZE: the response decoder's dynamic table. @default 4096 */
  headerTableSize?: number;
  /** The most dynamic table our request encoder keeps, whatever the server allows. @default 4096 */
  encoderTableSize?: number;
  /** CONTINUATION frames allowed in one header block. @default 32 */
  maxContinuationFrames?: number;
  /** SETTINGS frames allowed between two responses' progress (a head or body bytes). @default 64 */
  maxSettingsFrames?: number;
  /** PING frames allowed between two responses' progress. @default 256 */
  maxPingFrames?: number;
  /** RST_STREAM frames for streams already closed, allowed between two responses' progress. @default 256 */
  maxResetFrames?: number;
  /** Empty DATA (without END_STREAM) and empty CONTINUATION frames allowed between progress. @default 256 */
  maxEmptyFrames?: number;
  /**
   * Frames without effect (PRIORITY, unknown types, WINDOW_UPDATE on closed streams) allowed between progress. @default
   * 4096
   */
  maxIgnoredFrames?: number;
}

/** SessionOptions with every default filled in. */
export type ResolvedOptions = Required<SessionOptions>;

/** Fills in defaults and checks ranges; throws RangeError naming the option. */
export function resolveOptions(o: SessionOptions): ResolvedOptions {
  const r: ResolvedOptions = {
    initialWindowSize: o.initialWindowSize ?? 1 << 20,
    connectionWindowSize: o.connectionWindowSize ?? 8 << 20,
    maxFrameSize: o.maxFrameSize ?? MIN_MAX_FRAME_SIZE,
    maxHeaderListSize: o.maxHeaderListSize ?? 65536,
    headerTableSize: o.headerTableSize ?? 4096,
    encoderTableSize: o.encoderTableSize ?? 4096,
    maxContinuationFrames: o.maxContinuationFrames ?? 32,
    maxSettingsFrames: o.maxSettingsFrames ?? 64,
    maxPingFrames: o.maxPingFrames ?? 256,
    maxResetFrames: o.maxResetFrames ?? 256,
    maxEmptyFrames: o.maxEmptyFrames ?? 256,
    maxIgnoredFrames: o.maxIgnoredFrames ?? 4096,
  };
  const check = (name: keyof ResolvedOptions, min: number, max: number) => {
    const v = r[name];
    if (!Number.isInteger(v) || v < min || v > max)
      throw new RangeError(`${name} must be an integer in ${min}..${max}, got ${v}`);
  };
  check("initialWindowSize", 1, MAX_WINDOW);
  check("connectionWindowSize", DEFAULT_WINDOW, MAX_WINDOW);
  check("maxFrameSize", MIN_MAX_FRAME_SIZE, MAX_MAX_FRAME_SIZE);
  check("maxHeaderListSize", 1, 0xffffffff);
  check("headerTableSize", 0, 0xffffffff);
  check("encoderTableSize", 0, 0xffffffff);
  for (const k of [
    "maxContinuationFrames",
    "maxSettingsFrames",
    "maxPingFrames",
    "maxResetFrames",
    "maxEmptyFrames",
    "maxIgnoredFrames",
  ] as const) {
    check(k, 0, Number.MAX_SAFE_INTEGER);
  }
  return r;
}

/** The SETTINGS entries we announce (§3.4): push off, our windows, frame and header limits. */
export function ourSettings(o: ResolvedOptions): Array<[number, number]> {
  const s: Array<[number, number]> = [
    [SETTINGS_ENABLE_PUSH, 0],
    [SETTINGS_INITIAL_WINDOW_SIZE, o.initialWindowSize],
    [SETTINGS_MAX_FRAME_SIZE, o.maxFrameSize],
    [SETTINGS_MAX_HEADER_LIST_SIZE, o.maxHeaderListSize],
  ];
  if (o.headerTableSize !== 4096) s.unshift([SETTINGS_HEADER_TABLE_SIZE, o.headerTableSize]);
  return s;
}
