// How a failure reaches a fetch() caller: the signal's reason once the signal has aborted
// (WHATWG Fetch §5.1 "abort the fetch() call"), else a TypeError, fetch's one error for a
// network failure, carrying hansom's HansomError as its cause.
import { HansomError } from "../index.ts";

/** The error fetch() rejects with (or the body stream errors with) for `e`. */
export function fetchError(e: unknown, signal: AbortSignal | null | undefined): unknown {
  if (signal?.aborted) return signal.reason;
  if (e instanceof HansomError) return new TypeError(`fetch failed: ${e.message}`, { cause: e });
  return e;
}
