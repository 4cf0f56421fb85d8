// One deadline for opening a connection: connectTimeout and the caller's AbortSignal together.
// ConnectDeadline arms both and reports whichever passes first, once; `run` races a promise step
// against it (the promise-based runtimes), `whenReady` settles a connect on a Node-style socket's
// events (node:net, node:tls). Web-only: sockets are reached through the callbacks given.
import { HansomError, abortError } from "../errors.ts";

/** The connect_timeout error: `what` is the action that did not finish in time. */
export function connectTimeoutError(what: string, timeout: number): HansomError {
  return new HansomError("connect_timeout", `${what}: no connection within ${timeout} ms (connectTimeout)`, {
    phase: "connect",
  });
}

/**
 * A connect's timeout and signal. Expires once, with connect_timeout or aborted, calling
 * `onExpire` and aborting `signal`; `clear()` disarms it. A signal that is already aborted
 * does not expire it: callers check that first.
 */
export class ConnectDeadline {
  readonly #ctl = new AbortController();
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #signal: AbortSignal | undefined;
  readonly #expired: Promise<never>;
  #reject: (e: HansomError) => void = () => {};
  #onExpire: ((e: HansomError) => void) | null;

  /** `timeout` undefined: no timer, only the signal. */
  constructor(
    timeout: number | undefined,
    signal: AbortSignal | undefined,
    what: string,
    onExpire: ((e: HansomError) => void) | null = null,
  ) {
    this.#signal = signal;
    this.#onExpire = onExpire;
    this.#expired = new Promise<never>((_, reject) => {
      this.#reject = reject;
    });
    this.#expired.catch(() => {});
    // Infinity (or a delay past 2^31-1 ms, which setTimeout fires at once) means no timer.
    this.#timer =
      timeout === undefined || !(timeout <= 0x7fffffff)
        ? undefined
        : setTimeout(() => this.#expire(connectTimeoutError(what, timeout)), timeout);
    signal?.addEventListener("abort", this.#onAbort, { once: true });
  }

  #onAbort = (): void => this.#expire(abortError(this.#signal));
  #expire(e: HansomError): void {
    if (this.#ctl.signal.aborted) return;
    this.#ctl.abort(e);
    this.#onExpire?.(e);
    this.#reject(e);
  }

  /** Aborted, with the HansomError as its reason, when the deadline passes. */
  get signal(): AbortSignal {
    return this.#ctl.signal;
  }
  /** What to do (close) if the deadline passes during the current step. */
  onExpire(f: ((e: HansomError) => void) | null): void {
    this.#onExpire = f;
  }
  /**
   * Races `step` against the deadline. A step that fails in time rejects with `toError(err)`;
   * one that loses has its late result passed to `lateResult` (to close it), so nothing leaks.
   */
  async run<T>(step: Promise<T>, lateResult: (v: T) => void, toError: (err: unknown) => HansomError): Promise<T> {
    if (!this.#ctl.signal.aborted) {
      try {
        return await Promise.race([step, this.#expired]);
      } catch (err) {
        if (!this.#ctl.signal.aborted) throw toError(err);
      }
    }
    step.then(lateResult, () => {});
    throw this.#ctl.signal.reason as HansomError;
  }
  clear(): void {
    clearTimeout(this.#timer);
    this.#signal?.removeEventListener("abort", this.#onAbort);
  }
}

/** The slice of a Node-style socket (node:net, node:tls) that whenReady listens on. */
export interface ReadyEmitter {
  once(event: string, listener: (err: Error) => void): unknown;
  off(event: string, listener: (err: Error) => void): unknown;
}

/** How whenReady settles: the event that means connected, the deadline, and what to build or tear down. */
export interface ReadySpec<T> {
  /** "connect" or "secureConnect". */
  ready: string;
  /** Milliseconds; undefined for no timer. */
  timeout: number | undefined;
  signal: AbortSignal | undefined;
  /** The action, for the connect_timeout message. */
  what: string;
  /** The socket's "error" event as a HansomError. */
  toError(err: Error): HansomError;
  /** Builds the RawSocket once `ready` fires. */
  onReady(): T;
  /** Tears the socket down after a failure, before the promise rejects. */
  destroy(): void;
}

/**
 * Waits for `spec.ready` on `s` under one timeout and signal; the first of ready, error, timeout or abort settles it.
 */
export function whenReady<T>(s: ReadyEmitter, spec: ReadySpec<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const cleanup = (): void => {
      deadline.clear();
      s.off(spec.ready, onReady);
      s.off("error", onError);
    };
    const fail = (e: HansomError): void => {
      cleanup();
      spec.destroy();
      reject(e);
    };
    const onReady = (): void => {
      // Settle before clearing the deadline: a throw in onReady (the peer reset the socket
      // as it connected) must reject this promise, not escape into the runtime's callback.
      let sock: T;
      try {
        sock = spec.onReady();
      } catch (err) {
        fail(spec.toError(err as Error));
        return;
      }
      cleanup();
      resolve(sock);
    };
    const onError = (err: Error): void => fail(spec.toError(err));
    const deadline = new ConnectDeadline(spec.timeout, spec.signal, spec.what, fail);
    s.once(spec.ready, onReady);
    s.once("error", onError);
  });
}
