// Flood guards (RFC 9113 §10.5): frames that cost us work but move no response forward —
// SETTINGS and PING (each owes an answer), RST_STREAM for streams already gone, empty DATA
// and CONTINUATION frames, frames that are ignored — are counted, and the count starts over
// whenever a response makes progress (a head, body bytes) or we open a stream. A server
// that sends more of one kind than its limit without progress is ended with
// ENHANCE_YOUR_CALM. No clock is needed: the window is measured in useful work.
import { connectionError, ENHANCE_YOUR_CALM } from "./errors.ts";
import type { H2Error } from "./errors.ts";
import type { ResolvedOptions } from "./settings.ts";

/** The kinds of frame counted, and the option that bounds each. */
const KINDS = {
  settings: ["SETTINGS frames", "maxSettingsFrames"],
  ping: ["PING frames", "maxPingFrames"],
  reset: ["RST_STREAM frames for closed streams", "maxResetFrames"],
  empty: ["empty DATA or CONTINUATION frames", "maxEmptyFrames"],
  ignored: ["ignored frames (PRIORITY, unknown types, updates for closed streams)", "maxIgnoredFrames"],
} as const;

/** A kind of frame the guard counts. */
export type FloodKind = keyof typeof KINDS;

/** Counts overhead frames per kind since the last progress. */
export class FloodGuard {
  #limits: ResolvedOptions;
  #counts: Record<FloodKind, number> = { settings: 0, ping: 0, reset: 0, empty: 0, ignored: 0 };

  constructor(limits: ResolvedOptions) {
    this.#limits = limits;
  }

  /** Counts one frame; returns the connection error when its kind is over the limit, else null. */
  count(kind: FloodKind): H2Error | null {
    const [what, option] = KINDS[kind];
    const limit = this.#limits[option];
    if (++this.#counts[kind] <= limit) return null;
    return connectionError(
      ENHANCE_YOUR_CALM,
      `flood: more than ${limit} ${what} without a response making progress (the ${option} limit)`,
    );
  }

  /** A response made progress, or a stream was opened: every count starts over. */
  progress(): void {
    const c = this.#counts;
    c.settings = c.ping = c.reset = c.empty = c.ignored = 0;
  }
}
