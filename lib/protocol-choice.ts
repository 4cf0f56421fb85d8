// Which protocol a new connection speaks: HTTP/2 when TLS agreed "h2" by ALPN, or on cleartext
// with http2PriorKnowledge (h2c, RFC 9113 §3.3); HTTP/1.1 otherwise. The one place that names
// both connection classes: everything above works through the HttpConnection seam.
import type { HttpConnection, Release } from "./exchange.ts";
import type { RequestOptions } from "./options.ts";
import type { Route } from "./route.ts";
import type { RawSocket } from "./runtime/socket.ts";
import type { ParsedUrl } from "./url.ts";
import { Http1Connection } from "./http1/connection.ts";
import { Http2Connection } from "./http2/connection.ts";
import { DEFAULTS } from "./option-registry.ts";

/** The connection for a freshly opened socket. */
export function connectionFor(
  u: ParsedUrl,
  opts: RequestOptions,
  route: Route,
  key: string,
  sock: RawSocket,
  release: Release,
): HttpConnection {
  // An HTTP proxy forwards HTTP/1.1 requests in absolute form; h2 needs the socket end to end.
  const h2 = route.absoluteForm ? false : u.scheme === "https" ? sock.alpn === "h2" : opts.http2PriorKnowledge === true;
  if (!h2) return new Http1Connection(key, sock, release);
  return new Http2Connection(key, sock, release, { maxHeaderListSize: opts.maxHeaderSize ?? DEFAULTS.maxHeaderSize });
}
