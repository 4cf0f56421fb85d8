// The slice of the Deno namespace that deno.ts uses, as types, declared here so that tsc with
// Node types checks the Deno adapter.
export interface DenoNetAddr {
  hostname: string;
  port: number;
}
export interface DenoConn {
  readonly localAddr: DenoNetAddr;
  readonly remoteAddr: DenoNetAddr;
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
  close(): void;
  ref(): void;
  unref(): void;
}
export interface DenoTlsConn extends DenoConn {
  handshake(): Promise<{ alpnProtocol: string | null }>;
}
export interface DenoTlsBase {
  caCerts?: string[];
  alpnProtocols?: string[];
}
export interface DenoFile {
  read(p: Uint8Array): Promise<number | null>;
  close(): void;
}
