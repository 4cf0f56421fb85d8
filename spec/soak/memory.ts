// Memory readings for the soak: RSS and heap after a full GC where the runtime offers one (Bun.gc,
// a --expose-gc global, or V8's flag set at run time on Node; Deno has none), so that growth means
// retained memory, not garbage a lazy collector has not reached yet.
import * as v8 from "node:v8";
import * as vm from "node:vm";

const forceGc: (() => void) | null = (() => {
  const g = globalThis as { gc?: () => void; Bun?: { gc(sync: boolean): void } };
  if (g.Bun) return () => g.Bun!.gc(true);
  if (typeof g.gc === "function") return g.gc;
  try {
    v8.setFlagsFromString("--expose-gc");
    const f = vm.runInNewContext("gc") as unknown;
    if (typeof f === "function") return f as () => void;
  } catch {
    // no way to force a collection here
  }
  return null;
})();

/** Whether readings follow a forced GC. */
export const gcForced: boolean = forceGc !== null;

/** One reading, in bytes: resident set, JS heap in use, and ArrayBuffer memory (outside the heap). */
export interface Reading {
  rss: number;
  heap: number;
  buffers: number;
}

/** RSS and heap now, after a full GC when possible. */
export function reading(): Reading {
  forceGc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed, buffers: m.arrayBuffers ?? 0 };
}
