// The I/O side of proxy handshakes: drives a Handshake (http.ts, socks5.ts) over a RawSocket
// under the request's connect deadline and signal, and hands the socket on without losing a
// byte or an event that arrived after the handshake's reply.
import { HansomError, abortError } from "../errors.ts";
import type { RawSocket, SocketAddress, SocketHandler, UpgradeSpec } from "../runtime/socket.ts";
import type { Handshake } from "./http.ts";

type Held = { data: Uint8Array } | { end: true } | { error: HansomError };

/**
 * A RawSocket over a proxied one that holds back what its owner cannot take yet: the bytes
 * that followed a handshake reply in the same read, and reads, EOF or errors that arrive
 * while no handler is set. They reach the next handler, in order, on resume().
 */
export class TunnelSocket implements RawSocket {
  #inner: RawSocket;
  #handler: SocketHandler | null = null;
  #held: Held[] = [];
  #paused = true;

  constructor(inner: RawSocket) {
    this.#inner = inner;
    inner.setHandler({
      data: (chunk) => this.#take({ data: chunk }),
      end: () => this.#take({ end: true }),
      error: (err) => this.#take({ error: err }),
    });
  }

  get remote(): SocketAddress {
    return this.#inner.remote;
  }
  get local(): SocketAddress {
    return this.#inner.local;
  }
  get secure(): boolean {
    return this.#inner.secure;
  }
  get alpn(): string | null {
    return this.#inner.alpn;
  }
  get closed(): boolean {
    return this.#inner.closed;
  }
  /** Bytes held for the next handler (read from the proxy, not yet delivered). */
  get heldBytes(): number {
    let n = 0;
    for (const h of this.#held) if ("data" in h) n += h.data.length;
    return n;
  }

  /** Puts bytes back in front of anything held: the tail of the read that ended a handshake. */
  unshift(chunk: Uint8Array): void {
    if (chunk.length > 0) this.#held.unshift({ data: chunk });
  }
  /** Drops the handler: until the next setHandler(), whatever arrives is held. */
  detach(): void {
    this.#handler = null;
  }

  setHandler(handler: SocketHandler): void {
    this.#handler = handler;
    this.#flush(); // an EOF or error at the head is reported at once, as the adapters do
  }
  pause(): void {
    this.#paused = true;
    this.#inner.pause();
  }
  resume(): void {
    this.#paused = false;
    this.#flush();
    if (!this.#paused && this.#held.length === 0) this.#inner.resume();
  }
  write(chunk: Uint8Array): boolean {
    return this.#inner.write(chunk);
  }
  drain(): Promise<void> {
    return this.#inner.drain();
  }
  unref(): void {
    this.#inner.unref?.();
  }
  ref(): void {
    this.#inner.ref?.();
  }
  destroy(): void {
    this.#held = [];
    this.#inner.destroy();
  }
  startTls(spec: UpgradeSpec): Promise<RawSocket> {
    const n = this.heldBytes;
    if (n > 0) {
      // TLS runs on the inner socket, which cannot be handed bytes it already read.
      this.destroy();
      return Promise.reject(
        new HansomError("proxy_error", `Proxy sent ${n} bytes through the tunnel before the TLS handshake began`, {
          phase: "proxy",
        }),
      );
    }
    return this.#inner.startTls(spec);
  }

  #take(ev: Held): void {
    const h = this.#handler;
    // Deliver straight through unless something is queued ahead or the owner cannot take it.
    if (h && this.#held.length === 0 && !("data" in ev && this.#paused)) {
      if ("data" in ev) h.data(ev.data);
      else if ("end" in ev) h.end();
      else h.error(ev.error);
      return;
    }
    this.#held.push(ev);
  }

  #flush(): void {
    while (this.#held.length > 0 && this.#handler) {
      const ev = this.#held[0]!;
      if ("data" in ev && this.#paused) return;
      this.#held.shift();
      if ("data" in ev) this.#handler.data(ev.data);
      else if ("end" in ev) this.#handler.end();
      else this.#handler.error(ev.error);
    }
  }
}

/** Why the time ran out: a connect_timeout in the proxy phase. */
export function handshakeTimeout(what: string, timeout: number): HansomError {
  return new HansomError(
    "connect_timeout",
    `Proxy handshake (${what}) did not finish within ${timeout} ms (connectTimeout)`,
    {
      phase: "proxy",
    },
  );
}

/**
 * Runs `hs` over `sock` until it succeeds, then leaves the socket paused and detached, with the
 * bytes that followed the reply unshifted. Rejects (and destroys the socket) on refusal, EOF,
 * error, abort, or when `deadline` (a Date.now() value) passes.
 */
export function runHandshake(sock: TunnelSocket, hs: Handshake, deadline: number, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let settled = false;
    const remaining = deadline - Date.now();
    const finish = (err: HansomError | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (err) {
        sock.destroy();
        reject(err);
      } else {
        resolve();
      }
    };
    const onAbort = (): void => finish(abortError(signal));
    // Clamped: timers past 2^31-1 ms fire at once (connectTimeout: Infinity means no limit).
    const timer =
      remaining > 0x7fffffff
        ? undefined
        : setTimeout(() => finish(handshakeTimeout(hs.what, Math.max(0, remaining))), Math.max(0, remaining));
    if (signal?.aborted) return finish(abortError(signal));
    signal?.addEventListener("abort", onAbort, { once: true });

    sock.setHandler({
      data(chunk) {
        if (settled) return;
        let r: { send?: Uint8Array; used?: number };
        try {
          r = hs.feed(chunk);
        } catch (e) {
          return finish(
            e instanceof HansomError ? e : new HansomError("proxy_error", String(e), { cause: e, phase: "proxy" }),
          );
        }
        if (r.send) sock.write(r.send);
        if (r.used !== undefined) {
          sock.pause();
          sock.detach();
          sock.unshift(chunk.subarray(r.used));
          finish(null);
        }
      },
      end() {
        finish(
          new HansomError("proxy_error", `Proxy closed the connection during the handshake (${hs.what})`, {
            phase: "proxy",
          }),
        );
      },
      error(err) {
        finish(
          new HansomError("proxy_error", `Proxy connection failed during the handshake (${hs.what}): ${err.message}`, {
            cause: err,
            phase: "proxy",
          }),
        );
      },
    });
    if (settled) return; // an EOF or error held from before
    sock.write(hs.first());
    sock.resume();
  });
}
