// Deno's node:tls over a RawSocket: the fallback for what Deno's own TLS (rustls) cannot do, namely
// skip certificate verification per connection, present a client certificate on an upgraded
// socket, set a TLS 1.3 floor, or upgrade a connection with a read in flight (see needsNodeTls in
// ../deno.ts), nor run over a TLS connection (TLS inside TLS, through an https:// proxy:
// Deno.startTls fails with BadResource there). Bun uses it for that last case too
// (../bun/node-tls.ts). node:tls and node:stream are loaded on first use, not with the adapter.
import { abortError } from "../../errors.ts";
import type { HansomError } from "../../errors.ts";
import type { RawSocket, SocketAddress, SocketHandler, UpgradeSpec } from "../socket.ts";
import type { Duplex } from "node:stream";
import type { ConnectionOptions, TLSSocket } from "node:tls";
import { whenReady } from "../connect-deadline.ts";
import { denoSocketError } from "../error-codes.ts";
import { streamDrained } from "../stream-drain.ts";
import { caList, pem, sniName } from "../tls-options.ts";

/**
 * A node Duplex over a RawSocket. Deno's node:tls drains its transport eagerly, whatever the
 * TLSSocket's own flow state, so reading is gated twice: the raw socket reads only while the
 * Duplex wants data and the TLS socket above is not paused (`hold`). Pausing the TLS socket thus
 * stops reads at the OS, as on the native path.
 */
class RawDuplex {
  readonly duplex: Duplex;
  readonly #raw: RawSocket;
  #wanted = false;
  #held = false;

  constructor(raw: RawSocket, DuplexCtor: typeof Duplex) {
    this.#raw = raw;
    this.duplex = new DuplexCtor({
      read: () => {
        this.#wanted = true;
        this.#update();
      },
      write(chunk: Uint8Array, _enc, cb) {
        if (raw.write(chunk)) cb();
        else raw.drain().then(() => cb(), cb);
      },
      final(cb) {
        cb();
      },
      destroy(err, cb) {
        raw.destroy();
        cb(err);
      },
    });
    raw.setHandler({
      data: (chunk) => {
        if (!this.duplex.push(chunk)) {
          this.#wanted = false;
          this.#update();
        }
      },
      end: () => this.duplex.push(null),
      error: (e) => this.duplex.destroy(e),
    });
  }
  hold(held: boolean): void {
    this.#held = held;
    this.#update();
  }
  #update(): void {
    if (this.#wanted && !this.#held) this.#raw.resume();
    else this.#raw.pause();
  }
}

/** A node TLSSocket (on Deno's node:tls) as a RawSocket. */
class NodeTlsSocket implements RawSocket {
  readonly remote: SocketAddress;
  readonly local: SocketAddress;
  readonly secure = true;
  readonly alpn: string | null;
  #s: TLSSocket;
  #handler: SocketHandler | null = null;
  #pendingError: HansomError | null = null;
  #ended = false;
  #closed = false;

  #gate: RawDuplex;
  #under: RawSocket;

  constructor(s: TLSSocket, under: RawSocket, gate: RawDuplex) {
    this.#s = s;
    this.alpn = s.alpnProtocol || null;
    this.#gate = gate;
    this.#under = under;
    this.remote = under.remote;
    this.local = under.local;
    s.pause();
    gate.hold(true);
    s.on("data", (b: Uint8Array) => this.#handler?.data(new Uint8Array(b.buffer, b.byteOffset, b.byteLength)));
    s.on("end", () => {
      this.#ended = true;
      this.#handler?.end();
    });
    s.on("error", (err: Error) => {
      const e = denoSocketError(err, false, "Socket error");
      if (this.#handler) this.#handler.error(e);
      else this.#pendingError = e;
    });
    s.on("close", () => {
      this.#closed = true;
    });
  }
  get closed(): boolean {
    return this.#closed || this.#s.destroyed;
  }
  setHandler(handler: SocketHandler): void {
    this.#handler = handler;
    if (this.#pendingError) handler.error(this.#pendingError);
    else if (this.#ended) handler.end();
  }
  pause(): void {
    this.#s.pause();
    this.#gate.hold(true);
  }
  resume(): void {
    this.#gate.hold(false);
    this.#s.resume();
  }
  write(chunk: Uint8Array): boolean {
    if (this.closed) return false;
    return this.#s.write(chunk);
  }
  drain(): Promise<void> {
    return streamDrained(this.#s);
  }
  unref(): void {
    this.#under.unref?.();
  }
  ref(): void {
    this.#under.ref?.();
  }
  destroy(): void {
    this.#closed = true;
    this.#s.destroy();
  }
  startTls(spec: UpgradeSpec): Promise<RawSocket> {
    return nodeTlsOver(this, spec, `TLS handshake with ${spec.host} failed`);
  }
}

function nodeTlsOptions(spec: UpgradeSpec): ConnectionOptions {
  const o = spec.tls;
  return {
    servername: sniName(o, spec.host),
    ca: caList(o.ca),
    cert: o.cert === undefined ? undefined : pem(o.cert),
    key: o.key === undefined ? undefined : pem(o.key),
    minVersion: o.minVersion ?? "TLSv1.2",
    ALPNProtocols: o.alpn,
    rejectUnauthorized: !spec.insecure,
  };
}

/** TLS from Deno's node:tls, over `under` (a DenoSocket or another NodeTlsSocket). */
export async function nodeTlsOver(under: RawSocket, spec: UpgradeSpec, what: string): Promise<RawSocket> {
  const [{ connect, checkServerIdentity }, { Duplex }] = await Promise.all([import("node:tls"), import("node:stream")]);
  // The signal may have fired while node:tls loaded.
  if (spec.signal?.aborted) {
    under.destroy();
    throw abortError(spec.signal);
  }
  const options = nodeTlsOptions(spec);
  const name = options.servername ?? spec.host;
  const gate = new RawDuplex(under, Duplex);
  const t = connect({
    socket: gate.duplex,
    ...options,
    checkServerIdentity: (_h, cert) => checkServerIdentity(name, cert),
  });
  return whenReady(t, {
    ready: "secureConnect",
    timeout: spec.timeout,
    signal: spec.signal,
    what,
    toError: (err) => denoSocketError(err, true, what),
    onReady: () => new NodeTlsSocket(t, under, gate),
    destroy() {
      t.on("error", () => {});
      t.destroy();
      under.destroy();
    },
  });
}
