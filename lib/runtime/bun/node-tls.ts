// node:tls in Bun over a RawSocket, for the one upgrade Bun's own TLS cannot do: TLS over a
// socket that is TLS already (an https origin through an https:// proxy). Bun's upgradeTLS on a
// TLS socket returns nothing and never handshakes (Bun 1.x); node:tls in Bun does run over a
// Duplex. The Duplex bridge written for Deno's node:tls uses node:tls and node:stream only, so
// it serves here as it is.
export { nodeTlsOver } from "../deno/node-tls.ts";
