// Summaries of a handful of rounds: the median, and the range so the spread is visible.

/** Median, min and max of some rounds. */
export interface Spread {
  median: number;
  min: number;
  max: number;
}

/** The spread of `xs` (NaN throughout when empty). */
export function spread(xs: number[]): Spread {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return { median: NaN, min: NaN, max: NaN };
  const m = s.length >> 1;
  const median = s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  return { median, min: s[0]!, max: s[s.length - 1]! };
}
