// TlsOptions normalised into the shapes the runtimes' TLS layers take: PEM as strings, the CA
// list as an array, the SNI name, ALPN in wire format, protocol versions as numbers.
import { isIpLiteral } from "./address.ts";
import type { TlsOptions } from "./socket.ts";

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** PEM text, whether given as a string or as bytes. */
export function pem(v: string | Uint8Array): string {
  return typeof v === "string" ? v : decoder.decode(v);
}

/** `ca` as a list of PEM strings; undefined when not set (the system store). */
export function caList(ca: TlsOptions["ca"]): string[] | undefined {
  if (ca === undefined) return undefined;
  return (Array.isArray(ca) ? ca : [ca]).map(pem);
}

/** The SNI name: `servername` when given, else the host dialled unless it is an IP literal. */
export function sniName(o: TlsOptions, host: string): string | undefined {
  return o.servername ?? (isIpLiteral(host) ? undefined : host);
}

/** TLS protocol versions as the numbers on the wire (0x0303 is TLS 1.2). */
export const TLS_VERSION_NUMBER = { TLSv1: 0x0301, "TLSv1.1": 0x0302, "TLSv1.2": 0x0303, "TLSv1.3": 0x0304 } as const;

/** ALPN protocol names in wire format (RFC 7301 §3.1): each name after its one-byte length. */
export function alpnWire(names: string[]): Uint8Array {
  const bytes = names.map((p) => encoder.encode(p));
  const wire = new Uint8Array(bytes.reduce((n, b) => n + 1 + b.byteLength, 0));
  let at = 0;
  for (const b of bytes) {
    wire[at++] = b.byteLength;
    wire.set(b, at);
    at += b.byteLength;
  }
  return wire;
}
