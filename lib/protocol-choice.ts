// Which protocol a new connection speaks: HTTP/2 when TLS agreed "h2" by ALPN, or on cleartext
// with http2PriorKnowledge (h2c, RFC 9113 §3.3); HTTP/1.1 otherwise. The one place that names
// both connection classes: everything above works through the HttpConnection seam.
import type { HttpConnection, Release } from "./exchange.ts";
import type { RequestOptions } from "./options.ts";
import type { Route } from "./route.ts";
import type { RawSocket } from "./runtime/socket.ts";
import type { ParsedUrl } from "./url.ts";
import { Http1Connection } from "./http1/connection.ts";
import type { Http2Connection } from "./http2/connection.ts";
import { DEFAULTS } from "./option-registry.ts";

// The HTTP/2 engine is loaded the first time a connection speaks h2: an HTTP/1.1-only process
// (most of them) never parses or compiles it.
let h2: Promise<typeof Http2Connection> | undefined;

/** The connection for a freshly opened socket. */
export async function connectionFor(
  u: ParsedUrl,
  opts: RequestOptions,
  route: Route,
  key: string,
  sock: RawSocket,
  release: Release,
): Promise<HttpConnection> {
  // An HTTP proxy forwards HTTP/1.1 requests in absolute form; h2 needs the socket end to end.
  const speaksH2 = route.absoluteForm
    ? false
    : u.scheme === "https"
      ? sock.alpn === "h2"
      : opts.http2PriorKnowledge === true;
  if (!speaksH2) return new Http1Connection(key, sock, release);
  let Conn: typeof Http2Connection;
  try {
    Conn = await (h2 ??= import("./http2/connection.ts").then((m) => m.Http2Connection));
  } catch (e) {
    sock.destroy();
    throw e;
  }
  return new Conn(key, sock, release, { maxHeaderListSize: opts.maxHeaderSize ?? DEFAULTS.maxHeaderSize });
}
