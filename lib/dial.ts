// Opening connections: the pool key (the origin, then every option the registry marks as
// shaping the connection) and the dial function a pool calls when it has no connection to give.
import type { HttpConnection, Release } from "./exchange.ts";
import { DEFAULTS, KEY_OPTIONS } from "./option-registry.ts";
import type { RequestOptions } from "./options.ts";
import { connectionFor } from "./protocol-choice.ts";
import { routeFor } from "./route.ts";
import type { Route } from "./route.ts";
import { getAdapter } from "./runtime/index.ts";
import type { SocketAdapter } from "./runtime/socket.ts";
import { tlsKey } from "./tls-key.ts";
import type { ParsedUrl } from "./url.ts";

/** The pool key: the origin, then each option the registry marks as shaping the connection. */
export function poolKey(u: ParsedUrl, opts: RequestOptions, route: Route): string {
  let key = `${u.scheme}://${u.host}:${u.port}`;
  for (const name of KEY_OPTIONS) {
    if (name === "proxy") {
      if (route.key) key += `|${route.key}`;
    } else if (name === "tls") {
      // tls and insecure shape the connection only where TLS to the origin runs on it.
      if (route.tlsInKey) key += `|${tlsKey(opts.tls, opts.insecure)}`;
    } else if (name === "proxyTls") {
      // Already in route.key: it shapes only connections to an https:// proxy.
    } else if (name !== "insecure") {
      key += `|${String(opts[name] ?? "")}`;
    }
  }
  return key;
}

/** Opens a connection for `u` along `route`, HTTP/1.1 or HTTP/2 as the socket agrees. */
export function dialer(
  adapter: SocketAdapter,
  u: ParsedUrl,
  opts: RequestOptions,
  route: Route,
  key: string,
  release: Release,
  timings: { connect?: number },
  started: number,
): () => Promise<HttpConnection> {
  // ALPN offers the protocols option (RFC 7301); without it nothing is offered and HTTP/1.1 is spoken.
  const tls = opts.protocols ? { ...opts.tls, alpn: opts.protocols } : opts.tls;
  return async () => {
    const socketPath = u.scheme === "http+unix" ? u.host : opts.socketPath;
    const sock = await route.open(adapter, {
      target: u,
      socketPath,
      timeout: opts.connectTimeout ?? DEFAULTS.connectTimeout,
      signal: opts.signal,
      tls,
      insecure: opts.insecure,
    });
    timings.connect = Date.now() - started;
    return connectionFor(u, opts, route, key, sock, release);
  };
}

/** The pool key and dial function for `u` under `opts` (Connection opens its socket with it). */
export async function dialFor(
  u: ParsedUrl,
  opts: RequestOptions,
  release: Release,
): Promise<{ key: string; dial: () => Promise<HttpConnection> }> {
  const adapter = await getAdapter();
  const route = routeFor(opts.proxy, u, adapter, opts.proxyTls);
  const key = poolKey(u, opts, route);
  return { key, dial: dialer(adapter, u, opts, route, key, release, {}, Date.now()) };
}
