// The slice of Bun's socket API that bun.ts uses, as types (declared here so that tsc with
// Node types checks bun.ts), and the guard every Bun callback goes through.
export interface BunTlsOptions {
  ca?: string[];
  cert?: string;
  key?: string;
  serverName?: string;
  rejectUnauthorized: boolean;
  /** A protocol version number: 0x0303 is TLS 1.2. */
  minVersion: number;
  /** ALPN in wire format: length-prefixed names. */
  ALPNProtocols?: Uint8Array;
}
export interface BunSock {
  readonly remoteAddress: string;
  readonly remotePort: number;
  readonly remoteFamily: string;
  readonly localAddress: string;
  readonly localPort: number;
  readonly localFamily: string;
  /** Whether the peer's certificate verified (TLS). */
  readonly authorized?: boolean;
  /** The protocol ALPN agreed: false or null when none. */
  readonly alpnProtocol?: string | false | null;
  /** Bytes the kernel took (0 when full), or -1 once closed. Nothing is buffered. */
  write(data: Uint8Array): number;
  pause(): void;
  resume(): void;
  terminate(): void;
  setNoDelay(noDelay?: boolean): boolean;
  ref(): void;
  unref(): void;
  upgradeTLS(o: { tls: BunTlsOptions; socket: BunHandlers }): [BunSock, BunSock];
}
export interface BunHandlers {
  binaryType: "uint8array";
  open(s: BunSock): void;
  handshake(s: BunSock, success: boolean, authorizationError: Error | null): void;
  data(s: BunSock, chunk: Uint8Array): void;
  drain(s: BunSock): void;
  end(s: BunSock): void;
  close(s: BunSock, err?: Error): void;
  error(s: BunSock, err: Error): void;
  connectError(s: BunSock, err: Error): void;
}
/**
 * Bun's callbacks with every throw caught: an exception inside a runtime callback has nowhere
 * to go but the process, so it becomes the socket's error and reaches the request.
 */
export function guarded(h: BunHandlers, onThrow: (err: Error) => void): BunHandlers {
  const wrap =
    <A extends unknown[]>(f: (...a: A) => void) =>
    (...a: A): void => {
      try {
        f(...a);
      } catch (err) {
        onThrow(err instanceof Error ? err : new Error(String(err)));
      }
    };
  return {
    binaryType: h.binaryType,
    open: wrap(h.open),
    handshake: wrap(h.handshake),
    data: wrap(h.data),
    drain: wrap(h.drain),
    end: wrap(h.end),
    close: wrap(h.close),
    error: wrap(h.error),
    connectError: wrap(h.connectError),
  };
}
