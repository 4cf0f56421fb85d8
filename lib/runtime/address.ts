// Socket addresses as the adapters report them, and the IP-literal test that decides whether a
// host gets SNI. Web-only: each adapter passes in what its runtime says about the socket.
import type { SocketAddress } from "./socket.ts";

/** A SocketAddress; `ipv6` is the family as the adapter read it from its runtime. */
export function socketAddress(address: string | undefined, port: number | undefined, ipv6: boolean): SocketAddress {
  return { address: address ?? "", port: port ?? 0, family: ipv6 ? "IPv6" : "IPv4" };
}

/** Whether a runtime's family name is IPv6 ("IPv6", or "6" as older Node versions said). */
export function namesIpv6(family: string | undefined): boolean {
  return family === "IPv6" || family === "6";
}

/** Whether an address is an IPv6 literal by its form: only those have colons. */
export function looksIpv6(address: string | undefined): boolean {
  // undefined: a runtime that no longer knows the address (the peer reset the socket).
  return address?.includes(":") === true;
}

/** Whether `host` is an IP literal rather than a name (RFC 6066 §3: no SNI for literals). */
export function isIpLiteral(host: string): boolean {
  return looksIpv6(host) || /^\d{1,3}(\.\d{1,3}){3}$/.test(host);
}
