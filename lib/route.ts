// How a request reaches its origin: directly, or through one kind of proxy. Each kind is a
// strategy that carries its own behaviour (the pool-key part, the request-target form, the
// headers it adds, how its socket is opened), in one table typed on the kinds, so a new kind
// is a compile error until every one of those is given.
import type { RawSocket, SocketAdapter, TlsOptions } from "./runtime/socket.ts";
import type { ParsedUrl } from "./url.ts";
import { connectProxy, openTunnel, proxyAuthorization, resolveProxy } from "./proxy/index.ts";
import type { ProxyOption, ProxyRoute, ProxyTlsOptions } from "./proxy/index.ts";

/** What opening a socket to the origin needs. */
export interface DialSpec {
  target: ParsedUrl;
  /** A Unix socket to connect to instead of the target's host and port (socketPath, http+unix). */
  socketPath?: string;
  timeout: number;
  signal?: AbortSignal;
  tls?: TlsOptions;
  insecure?: boolean;
}

/** One route to an origin, with its behaviour. */
export interface Route {
  readonly kind: "direct" | ProxyRoute["kind"];
  /** Added to the pool key: requests on different routes never share a connection. */
  readonly key: string;
  /** Whether TLS settings shape the connection (TLS to the origin happens on it). */
  readonly tlsInKey: boolean;
  /** The request target in absolute form (RFC 9112 §3.2.2): an HTTP proxy forwards it. */
  readonly absoluteForm: boolean;
  /** Header fields this route adds to every request, unless the caller set them. */
  readonly headers: Array<[string, string]>;
  /** Opens the socket that speaks HTTP to the origin. */
  open(adapter: SocketAdapter, spec: DialSpec): Promise<RawSocket>;
}

type Strategy = (proxy: ProxyRoute | null, target: ParsedUrl) => Route;

const STRATEGIES: { readonly [K in Route["kind"]]: Strategy } = {
  direct: (_p, target) => ({
    kind: "direct",
    key: "",
    tlsInKey: target.scheme === "https",
    absoluteForm: false,
    headers: [],
    open: (adapter, s) =>
      adapter.connect({
        host: s.target.host,
        port: s.target.port,
        path: s.socketPath,
        tls: s.target.scheme === "https" ? (s.tls ?? {}) : undefined,
        insecure: s.insecure,
        timeout: s.timeout,
        signal: s.signal,
      }),
  }),
  // Plain http through an HTTP proxy: absolute-form requests, credentials in Proxy-Authorization;
  // over TLS to the proxy when it is an https:// one.
  http: (p) => {
    const auth = proxyAuthorization(p!);
    return {
      kind: "http",
      key: p!.key,
      tlsInKey: false,
      absoluteForm: true,
      headers: auth ? [["Proxy-Authorization", auth]] : [],
      open: (adapter, s) => connectProxy(adapter, p!, { timeout: s.timeout, signal: s.signal }),
    };
  },
  // CONNECT and SOCKS5: a tunnel, then TLS to the origin inside it when the origin is https
  // (TLS inside TLS through an https:// proxy).
  tunnel: (p) => tunnelled(p!),
  socks5: (p) => tunnelled(p!),
};

function tunnelled(p: ProxyRoute): Route {
  return {
    kind: p.kind,
    key: p.key,
    tlsInKey: true,
    absoluteForm: false,
    headers: [],
    open: (adapter, s) =>
      openTunnel(
        adapter,
        p,
        { host: s.target.host, port: s.target.port, secure: s.target.scheme === "https" },
        { timeout: s.timeout, signal: s.signal, tls: s.tls, insecure: s.insecure },
      ),
  };
}

const DIRECT_HTTP = STRATEGIES.direct(null, { scheme: "http" } as ParsedUrl);
const DIRECT_HTTPS = STRATEGIES.direct(null, { scheme: "https" } as ParsedUrl);

/**
 * The route to `target` under the proxy option (null/undefined: direct), with `proxyTls` for an
 * https:// proxy. Throws invalid_option or invalid_url for a bad proxy option, before any connection.
 */
export function routeFor(
  opt: ProxyOption | undefined,
  target: ParsedUrl,
  adapter: SocketAdapter,
  proxyTls?: ProxyTlsOptions,
): Route {
  // The common case, no proxy: one shared route object per scheme (it depends on nothing else).
  if (opt === undefined) return target.scheme === "https" ? DIRECT_HTTPS : DIRECT_HTTP;
  const p = resolveProxy(opt, target, adapter, proxyTls);
  return p ? STRATEGIES[p.kind](p, target) : STRATEGIES.direct(null, target);
}
