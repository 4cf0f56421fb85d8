// Timeouts that may be Infinity: setTimeout fires at once for delays past 2^31-1 ms, so a
// delay that large (or Infinity) means "no timer" here.

const MAX_DELAY = 0x7fffffff;

/** setTimeout for an optional deadline; undefined when `ms` is too large to ever fire. */
export function timer(fn: () => void, ms: number): ReturnType<typeof setTimeout> | undefined {
  if (!(ms <= MAX_DELAY)) return undefined;
  return setTimeout(fn, ms);
}

/** Lets the process exit while only this timer is pending (where the runtime supports it). */
export function unrefTimer(t: ReturnType<typeof setTimeout> | undefined): void {
  (t as unknown as { unref?: () => void } | undefined)?.unref?.();
}
