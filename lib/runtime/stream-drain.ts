// drain() for a socket that queues its own writes: a Node-style writable stream (node:net and
// node:tls sockets, on Node and in Deno's node:tls fallback). Typed by the slice it uses, so it
// stays Web-only.
import { closedWhileWriting } from "./write-queue.ts";

/** The slice of a Node-style writable stream that streamDrained uses. */
export interface DrainingStream {
  readonly destroyed: boolean;
  readonly writableNeedDrain: boolean;
  on(event: "drain" | "close", listener: () => void): unknown;
  off(event: "drain" | "close", listener: () => void): unknown;
}

/** Resolves when `s` has drained ("drain"), at once if it need not; rejects if it closes first. */
export function streamDrained(s: DrainingStream): Promise<void> {
  if (s.destroyed) return Promise.reject(closedWhileWriting());
  if (!s.writableNeedDrain) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = (): void => {
      s.off("drain", done);
      s.off("close", done);
      if (s.destroyed) reject(closedWhileWriting());
      else resolve();
    };
    s.on("drain", done);
    s.on("close", done);
  });
}
