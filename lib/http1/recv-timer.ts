// recvTimeout for one connection: the time allowed without a byte while someone waits for
// one. A wait that starts while the timer is pending only moves the last-activity time, and
// the timer re-arms itself for what is left when it fires, so a busy exchange sets at most
// one timer instead of clearing and setting one per wait.
import { timer } from "../timers.ts";

export class RecvTimer {
  /** Milliseconds allowed; 0 or less (or Infinity) disables the timer. */
  ms = 0;
  #handle: ReturnType<typeof setTimeout> | undefined;
  #dueAt = 0;
  #last = 0;
  #waiting: () => boolean;
  #expire: () => void;

  /** `waiting` says whether anyone waits for bytes now; `expire` is called when the time is up. */
  constructor(waiting: () => boolean, expire: () => void) {
    this.#waiting = waiting;
    this.#expire = expire;
  }

  /** A wait begins: the clock starts from now. */
  start(): void {
    const ms = this.ms;
    if (!(ms > 0)) return;
    const now = Date.now();
    this.#last = now;
    if (this.#handle !== undefined) {
      if (this.#dueAt <= now + ms) return;
      clearTimeout(this.#handle);
    }
    this.#dueAt = now + ms;
    this.#handle = timer(this.#fire, ms);
  }

  /** Bytes moved (read, or written while uploading). */
  touch(): void {
    this.#last = Date.now();
  }

  /** The exchange is over. */
  stop(): void {
    clearTimeout(this.#handle);
    this.#handle = undefined;
  }

  #fire = (): void => {
    this.#handle = undefined;
    // Nobody is waiting (a paused reader): the timer lapses until the next wait.
    if (!this.#waiting()) return;
    const left = this.#last + this.ms - Date.now();
    if (left > 0) {
      this.#dueAt = Date.now() + left;
      this.#handle = timer(this.#fire, left);
      return;
    }
    this.#expire();
  };
}
