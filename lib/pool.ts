// Pool: idle connections per key, one limit for the whole pool, a FIFO queue of waiters.
// It never touches bytes: a Connection says whether it is reusable when it comes back.
import { HansomError, abortError } from "./errors.ts";
import type { Http1Connection } from "./http1/connection.ts";
import { timer, unrefTimer } from "./timers.ts";

/** Pool settings (hackney's pool options). */
export interface PoolOptions {
  /** Connections open at once across all hosts. @default 50 */
  maxConnections?: number;
  /** Milliseconds an idle connection is kept. @default 2000 */
  idleTimeout?: number;
  /** Milliseconds to wait for a free connection; a request's own checkoutTimeout wins. */
  checkoutTimeout?: number;
}

/** A snapshot of the pool's counters. */
export interface PoolStats {
  inUse: number;
  free: number;
  queued: number;
  maxConnections: number;
}

type Dial = () => Promise<Http1Connection>;

interface Waiter {
  key: string;
  dial: Dial;
  resolve(c: Http1Connection): void;
  reject(e: HansomError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface Idle {
  conn: Http1Connection;
  timer: ReturnType<typeof setTimeout> | undefined;
}


/** A set of keep-alive connections shared by requests (hackney_pool). */
export class Pool {
  readonly maxConnections: number;
  readonly idleTimeout: number;
  readonly checkoutTimeout: number | undefined;
  /** Idle connections by key, most recently used last. */
  #idle = new Map<string, Idle[]>();
  #idleCount = 0;
  /** Connections checked out or being dialled. */
  #busy = 0;
  #queue: Waiter[] = [];
  /** Connections checked out when close() ran: destroyed when they come back. */
  #doomed = new WeakSet<Http1Connection>();
  #out = new Set<Http1Connection>();

  constructor(opts: PoolOptions = {}) {
    const max = opts.maxConnections ?? 50;
    if (!Number.isInteger(max) || max < 1) throw new RangeError(`hansom: maxConnections must be a positive integer, got ${max}`);
    this.maxConnections = max;
    this.idleTimeout = opts.idleTimeout ?? 2000;
    this.checkoutTimeout = opts.checkoutTimeout;
  }

  /** Counters: connections in use, idle, waiters queued. */
  stats(): PoolStats {
    return { inUse: this.#busy, free: this.#idleCount, queued: this.#queue.length, maxConnections: this.maxConnections };
  }

  /**
   * Closes idle connections and fails queued waiters; connections in use close when released.
   * The pool stays usable: a later request opens new connections (as hackney restarts a pool).
   */
  async close(): Promise<void> {
    for (const c of this.#out) this.#doomed.add(c);
    for (const list of this.#idle.values()) for (const i of list) this.#dropIdle(i, false);
    this.#idle.clear();
    this.#idleCount = 0;
    for (const w of this.#queue.splice(0)) this.#settle(w, new HansomError("closed", "The pool was closed", { phase: "checkout" }));
  }

  /** A connection for `key`: an idle one, a new one from dial(), or the next free one. */
  checkout(key: string, dial: Dial, timeout: number, signal?: AbortSignal): Promise<Http1Connection> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const idle = this.#takeIdle(key);
    if (idle) {
      this.#busy++;
      this.#out.add(idle);
      return Promise.resolve(idle);
    }
    if (this.#busy + this.#idleCount >= this.maxConnections && this.#idleCount > 0 && this.#busy < this.maxConnections) {
      this.#evictOldest();
    }
    if (this.#busy + this.#idleCount < this.maxConnections) return this.#dial(dial);
    return new Promise<Http1Connection>((resolve, reject) => {
      const w: Waiter = { key, dial, resolve, reject, timer: undefined, signal, onAbort: undefined };
      w.timer = timer(() => {
        this.#remove(w);
        this.#settle(w, new HansomError("checkout_timeout", `No connection free in the pool within ${timeout} ms (checkoutTimeout, maxConnections ${this.maxConnections})`, { phase: "checkout" }));
      }, timeout);
      if (signal) {
        w.onAbort = () => {
          this.#remove(w);
          this.#settle(w, abortError(signal));
        };
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      this.#queue.push(w);
    });
  }

  /** Called by a connection when its exchange is over (or it failed, or was detached). */
  release = (conn: Http1Connection, reusable: boolean): void => {
    this.#busy--;
    this.#out.delete(conn);
    if (reusable && !this.#doomed.has(conn) && !conn.closed) {
      const w = this.#queue.findIndex((q) => q.key === conn.key);
      if (w >= 0) {
        const waiter = this.#queue.splice(w, 1)[0]!;
        this.#busy++;
        this.#out.add(conn);
        this.#settle(waiter, null, conn);
        return;
      }
      this.#putIdle(conn);
    } else if (!conn.closed) {
      conn.destroy();
    }
    this.#serveQueue();
  };

  #dial(dial: Dial): Promise<Http1Connection> {
    this.#busy++;
    return dial().then((c) => {
      this.#out.add(c);
      return c;
    }, (e: unknown) => {
      this.#busy--;
      this.#serveQueue();
      throw e;
    });
  }

  /** Starts connections for waiters while there is room. */
  #serveQueue(): void {
    while (this.#queue.length > 0) {
      const w = this.#queue[0]!;
      const idle = this.#takeIdle(w.key);
      if (idle) {
        this.#queue.shift();
        this.#busy++;
        this.#out.add(idle);
        this.#settle(w, null, idle);
        continue;
      }
      if (this.#busy + this.#idleCount >= this.maxConnections && this.#idleCount > 0) this.#evictOldest();
      if (this.#busy + this.#idleCount >= this.maxConnections) return;
      this.#queue.shift();
      this.#clearWaiter(w);
      this.#dial(w.dial).then(w.resolve, w.reject);
    }
  }

  #takeIdle(key: string): Http1Connection | null {
    const list = this.#idle.get(key);
    while (list && list.length > 0) {
      const i = list.pop()!;
      this.#idleCount--;
      clearTimeout(i.timer);
      if (i.conn.idle) return i.conn;
      i.conn.destroy();
    }
    return null;
  }

  #putIdle(conn: Http1Connection): void {
    let list = this.#idle.get(conn.key);
    if (!list) this.#idle.set(conn.key, (list = []));
    const entry: Idle = { conn, timer: timer(() => this.#dropIdle(entry, true), this.idleTimeout) };
    unrefTimer(entry.timer);
    list.push(entry);
    this.#idleCount++;
    // The server may close an idle socket; notice it now, not on the next request.
    conn.watchIdle(() => this.#dropIdle(entry, true));
  }

  #dropIdle(entry: Idle, unlink: boolean): void {
    clearTimeout(entry.timer);
    if (unlink) {
      const list = this.#idle.get(entry.conn.key);
      const at = list ? list.indexOf(entry) : -1;
      if (at < 0) return;
      list!.splice(at, 1);
      if (list!.length === 0) this.#idle.delete(entry.conn.key);
      this.#idleCount--;
    }
    entry.conn.destroy();
    if (unlink) this.#serveQueue();
  }

  #evictOldest(): void {
    let oldest: Idle | null = null;
    for (const list of this.#idle.values()) {
      const first = list[0];
      if (first && (!oldest || first.conn.lastUsed < oldest.conn.lastUsed)) oldest = first;
    }
    if (oldest) {
      const list = this.#idle.get(oldest.conn.key)!;
      list.shift();
      if (list.length === 0) this.#idle.delete(oldest.conn.key);
      this.#idleCount--;
      clearTimeout(oldest.timer);
      oldest.conn.destroy();
    }
  }

  #remove(w: Waiter): void {
    const at = this.#queue.indexOf(w);
    if (at >= 0) this.#queue.splice(at, 1);
  }

  #clearWaiter(w: Waiter): void {
    clearTimeout(w.timer);
    if (w.onAbort) w.signal?.removeEventListener("abort", w.onAbort);
  }

  #settle(w: Waiter, err: HansomError | null, conn?: Http1Connection): void {
    this.#clearWaiter(w);
    if (err) w.reject(err);
    else w.resolve(conn!);
  }
}

/** The pool requests use unless they name another (or pool: false). */
export const defaultPool: Pool = new Pool();
