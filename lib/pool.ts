// Pool: connections per key, one limit for the whole pool, a FIFO queue of waiters. It never
// touches bytes: a connection says whether it is reusable when an exchange is over, and how
// many exchanges it carries at once (`capacity`: 1 for HTTP/1.1, more for a multiplexed one).
import { HansomError, abortError } from "./errors.ts";
import type { HttpConnection } from "./exchange.ts";
import { timer, unrefTimer } from "./timers.ts";
import type { Middleware } from "./middleware.ts";

/** Pool settings (hackney's pool options). */
export interface PoolOptions {
  /** Connections open at once across all hosts. @default 50 */
  maxConnections?: number;
  /** Milliseconds an idle connection is kept. @default 2000 */
  idleTimeout?: number;
  /** Milliseconds to wait for a free connection; a request's own checkoutTimeout wins. */
  checkoutTimeout?: number;
  /** Middleware run for every request through this pool, before the request's own. */
  middleware?: Middleware[];
}

/** A snapshot of the pool's counters. */
export interface PoolStats {
  /** Requests holding a connection (checked out, dialling, or reading a body). */
  inUse: number;
  /** Idle connections. */
  free: number;
  /** Requests waiting for a connection. */
  queued: number;
  maxConnections: number;
}

type Dial = () => Promise<HttpConnection>;

interface Waiter {
  key: string;
  /** Wants a new connection, not an idle one. */
  fresh: boolean;
  /** May share a multiplexed connection: waits for a dial in progress rather than dialling too. */
  multiplex: boolean;
  dial: Dial;
  resolve(c: HttpConnection): void;
  reject(e: HansomError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

interface Idle {
  conn: HttpConnection;
  timer: ReturnType<typeof setTimeout> | undefined;
}

function invalid(message: string, cause?: unknown): HansomError {
  return new HansomError("invalid_option", message, { phase: "input", cause });
}

/**
 * A set of keep-alive connections shared by the requests that name it in `opts.pool` (hackney_pool; requests
 * that name none use defaultPool): at most `maxConnections` open across all hosts, idle ones closed after
 * `idleTimeout`, and a request that finds none free waits in line, rejecting with `checkout_timeout` when its
 * checkoutTimeout runs out.
 * @example
 * import { Pool, get } from "hansom";
 * const pool = new Pool({ maxConnections: 10, idleTimeout: 5000 });
 * const res = await get("http://127.0.0.1:8080/", { pool });
 * console.log(await res.text());
 * await pool.close();
 */
export class Pool {
  readonly maxConnections: number;
  readonly idleTimeout: number;
  readonly checkoutTimeout: number | undefined;
  /** Middleware for every request through this pool (outermost first). */
  readonly middleware: readonly Middleware[];
  /** Idle connections by key, most recently used last. */
  #idle = new Map<string, Idle[]>();
  #idleCount = 0;
  /** Connections open and not idle, plus dials in progress: with #idleCount, what the limit counts. */
  #open = 0;
  /** Requests holding a connection (stats().inUse). */
  #inFlight = 0;
  /** Exchanges checked out per busy connection; a multiplexed one is shared while it has room. */
  #load = new Map<HttpConnection, number>();
  /** Busy connections by key that carry more than one exchange at once (HTTP/2). */
  #shared = new Map<string, Set<HttpConnection>>();
  /** Dials in progress per key. */
  #dialing = new Map<string, number>();
  #queue: Waiter[] = [];
  /** Connections busy when close() ran, or that refused more work: closed when their last exchange ends. */
  #doomed = new WeakSet<HttpConnection>();

  /**
   * Makes an empty pool; it dials nothing until a request uses it. A bad or unknown option throws
   * `invalid_option`.
   * @example
   * const pool = new Pool({ maxConnections: 4, checkoutTimeout: 1000 });
   * const all = await Promise.all([1, 2, 3].map((i) => get(`http://127.0.0.1:8080/items/${i}`, { pool })));
   * for (const res of all) await res.skip();
   */
  constructor(opts: PoolOptions = {}) {
    if (typeof opts !== "object" || opts === null) throw invalid("Pool options must be an object");
    const max = opts.maxConnections ?? 50;
    if (!Number.isInteger(max) || max < 1)
      throw invalid(`Option maxConnections must be a positive integer, got ${String(max)}`);
    const idle = opts.idleTimeout ?? 2000;
    if (typeof idle !== "number" || !(idle >= 0))
      throw invalid(`Option idleTimeout must be a number of milliseconds >= 0, got ${String(idle)}`);
    const co = opts.checkoutTimeout;
    if (co !== undefined && (typeof co !== "number" || !(co >= 0)))
      throw invalid(`Option checkoutTimeout must be a number of milliseconds >= 0, got ${String(co)}`);
    const mw = opts.middleware ?? [];
    if (!Array.isArray(mw) || !mw.every((f) => typeof f === "function"))
      throw invalid("Option middleware must be a list of functions (req, next) => Promise<Response>");
    for (const k of Object.keys(opts)) {
      if (!["maxConnections", "idleTimeout", "checkoutTimeout", "middleware"].includes(k))
        throw invalid(`Unknown Pool option ${JSON.stringify(k)}`);
    }
    this.middleware = [...mw];
    this.maxConnections = max;
    this.idleTimeout = idle;
    this.checkoutTimeout = co;
  }

  /**
   * A snapshot of the counters: `inUse` (requests holding a connection), `free` (idle connections), `queued`
   * (requests waiting for one) and `maxConnections`.
   * @example
   * const pool = new Pool();
   * const res = await get("http://127.0.0.1:8080/", { pool });
   * console.log(pool.stats()); // { inUse: 1, free: 0, queued: 0, maxConnections: 50 }
   * await res.skip();
   * console.log(pool.stats().free); // 1 when the server kept the connection alive
   */
  stats(): PoolStats {
    return {
      inUse: this.#inFlight,
      free: this.#idleCount,
      queued: this.#queue.length,
      maxConnections: this.maxConnections,
    };
  }

  /**
   * Closes idle connections and fails queued requests with `closed`; connections in use close when their
   * request releases them. The pool stays usable: a later request opens new connections (as hackney restarts
   * a pool).
   * @example
   * const pool = new Pool();
   * await (await get("http://127.0.0.1:8080/", { pool })).skip();
   * await pool.close();
   * console.log(pool.stats().free); // 0
   */
  async close(): Promise<void> {
    for (const c of this.#load.keys()) this.#doomed.add(c);
    for (const list of this.#idle.values()) for (const i of list) this.#dropIdle(i, false);
    this.#idle.clear();
    this.#idleCount = 0;
    for (const w of this.#queue.splice(0))
      this.#settle(w, new HansomError("closed", "The pool was closed", { phase: "checkout" }));
  }

  /** @internal A connection for `key`: one with room, a new one from dial(), or the next free one. */
  checkout(
    key: string,
    dial: Dial,
    timeout: number,
    signal?: AbortSignal,
    fresh = false,
    multiplex = false,
  ): Promise<HttpConnection> {
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const ready = fresh ? null : this.#take(key);
    if (ready) return Promise.resolve(ready);
    // A request that may speak HTTP/2 waits for the connection being dialled for its key: if
    // it comes up multiplexed, one connection carries them all (else the queue dials for it).
    const waitForDial = multiplex && !fresh && (this.#dialing.get(key) ?? 0) > 0;
    if (!waitForDial) {
      if (this.#open + this.#idleCount >= this.maxConnections && this.#idleCount > 0) this.#evictOldest();
      if (this.#open + this.#idleCount < this.maxConnections) return this.#dial(dial, key);
    }
    return new Promise<HttpConnection>((resolve, reject) => {
      const w: Waiter = { key, fresh, multiplex, dial, resolve, reject, timer: undefined, signal, onAbort: undefined };
      w.timer = timer(() => {
        this.#remove(w);
        this.#settle(
          w,
          new HansomError(
            "checkout_timeout",
            `No connection free in the pool within ${timeout} ms ` +
              `(checkoutTimeout, maxConnections ${this.maxConnections})`,
            { phase: "checkout" },
          ),
        );
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

  /** @internal Called by a connection when an exchange is over (or failed, or was detached). */
  release = (conn: HttpConnection, reusable: boolean): void => {
    const load = this.#load.get(conn);
    if (load === undefined) return; // not ours (already accounted for)
    this.#inFlight--;
    if (!reusable || conn.closed) this.#doomed.add(conn);
    if (load > 1) {
      this.#load.set(conn, load - 1);
    } else {
      this.#load.delete(conn);
      this.#unshare(conn);
      this.#open--;
      if (this.#doomed.has(conn) || conn.closed) {
        if (!conn.closed) conn.destroy();
      } else {
        const w = this.#queue.findIndex((q) => q.key === conn.key && !q.fresh);
        if (w >= 0) {
          this.#hold(conn);
          this.#settle(this.#queue.splice(w, 1)[0]!, null, conn);
          return;
        }
        this.#putIdle(conn);
      }
    }
    this.#serveQueue();
  };

  /** Counts one more exchange on `conn` (busy or freshly dialled). */
  #hold(conn: HttpConnection): void {
    const load = this.#load.get(conn);
    if (load === undefined) {
      this.#open++;
      if (conn.capacity > 1) {
        let set = this.#shared.get(conn.key);
        if (!set) this.#shared.set(conn.key, (set = new Set()));
        set.add(conn);
      }
    }
    this.#load.set(conn, (load ?? 0) + 1);
    this.#inFlight++;
  }

  #unshare(conn: HttpConnection): void {
    const set = this.#shared.get(conn.key);
    if (set?.delete(conn) && set.size === 0) this.#shared.delete(conn.key);
  }

  /** A busy multiplexed connection with room, else an idle one; counted as held. */
  #take(key: string): HttpConnection | null {
    const shared = this.#shared.get(key);
    if (shared) {
      for (const c of shared) {
        if (this.#load.get(c)! < c.capacity && !this.#doomed.has(c) && !c.closed) {
          this.#hold(c);
          return c;
        }
      }
    }
    const idle = this.#takeIdle(key);
    if (idle) this.#hold(idle);
    return idle;
  }

  #dial(dial: Dial, key: string): Promise<HttpConnection> {
    // A dial counts against the limit (#open) and as in use until its connection is held.
    this.#open++;
    this.#inFlight++;
    this.#dialing.set(key, (this.#dialing.get(key) ?? 0) + 1);
    const settled = (): void => {
      this.#open--;
      this.#inFlight--;
      const n = this.#dialing.get(key)! - 1;
      if (n > 0) this.#dialing.set(key, n);
      else this.#dialing.delete(key);
    };
    return dial().then(
      (c) => {
        settled();
        this.#hold(c);
        // Waiters for this key may share it (HTTP/2), or, if it is not multiplexed, dial their own.
        if (this.#queue.length > 0) queueMicrotask(() => this.#serveQueue());
        return c;
      },
      (e: unknown) => {
        settled();
        this.#serveQueue();
        throw e;
      },
    );
  }

  /** Serves waiters in order: a connection with room, else a new one while the limit allows. */
  #serveQueue(): void {
    let full = false;
    for (let i = 0; i < this.#queue.length; ) {
      const w = this.#queue[i]!;
      const ready = w.fresh ? null : this.#take(w.key);
      if (ready) {
        this.#queue.splice(i, 1);
        this.#settle(w, null, ready);
        continue;
      }
      if (full || (w.multiplex && (this.#dialing.get(w.key) ?? 0) > 0)) {
        i++;
        continue;
      }
      if (this.#open + this.#idleCount >= this.maxConnections && this.#idleCount > 0) this.#evictOldest();
      if (this.#open + this.#idleCount >= this.maxConnections) {
        // No room to dial; later waiters may still find a shared connection with room.
        full = true;
        i++;
        continue;
      }
      this.#queue.splice(i, 1);
      this.#clearWaiter(w);
      this.#dial(w.dial, w.key).then(w.resolve, w.reject);
    }
  }

  #takeIdle(key: string): HttpConnection | null {
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

  #putIdle(conn: HttpConnection): void {
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

  #settle(w: Waiter, err: HansomError | null, conn?: HttpConnection): void {
    this.#clearWaiter(w);
    if (err) w.reject(err);
    else w.resolve(conn!);
  }
}

/** The pool requests use unless they name another (or pool: false). */
export const defaultPool: Pool = new Pool();
