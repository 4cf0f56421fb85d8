// Regression: with one long-lived AbortSignal shared by many requests, each way of abandoning
// a body (close() unread, close() after a partial read, break out of for await, cancelling the
// body stream's reader) left an abort listener on the signal, and each kept its body alive.
import { test } from "node:test";
import assert from "node:assert/strict";
import { get, Pool, type Response } from "../../lib/index.ts";
import { httpServer } from "../helpers/servers.ts";

/** A signal whose abort listeners are counted. */
function countedSignal(): { signal: AbortSignal; live(): number } {
  const ctl = new AbortController();
  const signal = ctl.signal;
  const live = new Set<unknown>();
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((type: string, fn: EventListenerOrEventListenerObject, o?: AddEventListenerOptions) => {
    if (type === "abort") live.add(fn);
    add(type, fn, o);
  }) as typeof signal.addEventListener;
  signal.removeEventListener = ((type: string, fn: EventListenerOrEventListenerObject, o?: EventListenerOptions) => {
    if (type === "abort") live.delete(fn);
    remove(type, fn, o);
  }) as typeof signal.removeEventListener;
  return { signal, live: () => live.size };
}

const WAYS: Record<string, (res: Response) => Promise<void>> = {
  "close() unread": (res) => res.close(),
  "close() after a partial read": async (res) => {
    const it = res[Symbol.asyncIterator]();
    await it.next();
    await res.close();
  },
  "break out of for await": async (res) => {
    for await (const _ of res) break;
  },
  "body.getReader().cancel()": async (res) => {
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
  },
  "bytes() to the end": async (res) => {
    await res.bytes();
  },
  "skip()": (res) => res.skip(),
};

test("abort listeners - every way a body ends removes the listeners it added to a shared signal", async () => {
  const big = new Uint8Array(256 * 1024).fill(97);
  const srv = await httpServer((_req, res) => res.end(big));
  const pool = new Pool();
  try {
    for (const [way, end] of Object.entries(WAYS)) {
      const { signal, live } = countedSignal();
      for (let i = 0; i < 10; i++) {
        const res = await get(`${srv.url}/`, { pool, signal });
        await end(res);
      }
      assert.equal(live(), 0, `${way}: ${live()} abort listeners left on the shared signal`);
    }
    assert.equal(pool.stats().inUse, 0);
  } finally {
    await pool.close();
    await srv.close();
  }
});
