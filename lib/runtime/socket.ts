// The contract every runtime adapter implements (node.ts, deno.ts, bun.ts). Everything above
// lib/runtime talks to sockets and files only through these types, so a new runtime is one file.
import type { HansomError } from "../errors.ts";
import type { DecoderFactories } from "../decompress.ts";

/** A socket endpoint: hackney's peername / sockname. */
export interface SocketAddress {
  address: string;
  port: number;
  family: "IPv4" | "IPv6";
}

/** TLS settings, hackney's ssl_options. */
export interface TlsOptions {
  /** Trusted CA certificates (PEM); replaces the system store. */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  /** Client certificate chain (PEM). */
  cert?: string | Uint8Array;
  /** Client private key (PEM). */
  key?: string | Uint8Array;
  /** SNI and verification name. @default the target host (none for IP literals) */
  servername?: string;
  /** @default "TLSv1.2" */
  minVersion?: "TLSv1" | "TLSv1.1" | "TLSv1.2" | "TLSv1.3";
  /** ALPN protocols to offer, in order of preference (the protocols option sets them). */
  alpn?: string[];
}

/** What an adapter needs to open a connection. */
export interface ConnectSpec {
  host: string;
  port: number;
  /** Connect to this Unix domain socket instead of host:port (plain, no TLS). */
  path?: string;
  /** Present: negotiate TLS once TCP is up. */
  tls?: TlsOptions;
  /** Skip certificate verification (hackney's insecure). */
  insecure?: boolean;
  /** Milliseconds for TCP connect and TLS handshake together. */
  timeout: number;
  signal?: AbortSignal;
}

/** What a TLS upgrade of an open socket needs (CONNECT tunnels). */
export interface UpgradeSpec {
  /** The origin host: SNI and the name the certificate must carry. */
  host: string;
  tls: TlsOptions;
  insecure?: boolean;
  timeout: number;
  signal?: AbortSignal;
}

/** Receives what a socket reads, while it is resumed. */
export interface SocketHandler {
  /** A chunk read; the socket does not reuse its memory. */
  data(chunk: Uint8Array): void;
  /** The peer closed its side (EOF). */
  end(): void;
  /** The socket failed and is destroyed. */
  error(err: HansomError): void;
}

/** One TCP or TLS connection, push-based with explicit flow control. */
export interface RawSocket {
  readonly remote: SocketAddress;
  readonly local: SocketAddress;
  readonly secure: boolean;
  /** True once destroyed or fully closed. */
  readonly closed: boolean;
  /** The protocol the TLS handshake agreed by ALPN ("h2", "http/1.1"), or null (none, or plain TCP). */
  readonly alpn: string | null;
  /** Where read bytes go. Starts paused: nothing is read until resume(). */
  setHandler(handler: SocketHandler): void;
  /** Stop reading from the OS socket (backpressure). */
  pause(): void;
  /** Start or restart reading. */
  resume(): void;
  /** Queue bytes; false means "over the high-water mark, await drain()". */
  write(chunk: Uint8Array): boolean;
  /** Resolves when queued writes have drained below the high-water mark; rejects if the socket fails. */
  drain(): Promise<void>;
  /** Let the process exit while this socket is open (idle in a pool). Optional: a no-op where unsupported. */
  unref?(): void;
  /** Undo unref(): an active request keeps the process alive. */
  ref?(): void;
  /** Tear down at once. Idempotent. */
  destroy(): void;
  /** Negotiate TLS over this socket; this object must not be used afterwards. */
  startTls(spec: UpgradeSpec): Promise<RawSocket>;
}

/** A file opened for streaming as a request body. */
export interface FileHandle {
  size: number;
  /** Reads the whole file from the start, in chunks, never all at once. */
  chunks(): AsyncIterable<Uint8Array>;
}

/** One runtime's sockets and files. */
export interface SocketAdapter {
  readonly runtime: "node" | "deno" | "bun";
  /** Opens TCP (and TLS when spec.tls is set); rejects with a HansomError. */
  connect(spec: ConnectSpec): Promise<RawSocket>;
  /** Stats a file for streaming; rejects with code `file_error`. */
  openFile(path: string): Promise<FileHandle>;
  /** An environment variable (proxy: "env"); undefined when unset or not permitted. */
  env(name: string): string | undefined;
  /**
   * This runtime's zlib decoders for the content-codings its DecompressionStream lacks or gets wrong (loaded on first
   * use).
   */
  decoders(): Promise<DecoderFactories>;
}
