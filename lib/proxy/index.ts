// Proxy routing: which proxy (if any) a request goes through, and opening tunnels.
// (Stub written by the lead; the proxy work replaces it, keeping these names.)
import type { ParsedUrl } from "../url.ts";
import type { RawSocket, SocketAdapter, TlsOptions } from "../runtime/socket.ts";
import { HansomError } from "../errors.ts";

/** The proxy option (API.md section 8). */
export type ProxyOption =
  | "env"
  | string
  | { host: string; port: number; auth?: [string, string] }
  | { connect: { host: string; port: number; auth?: [string, string] } }
  | { socks5: { host: string; port: number; username?: string; password?: string } };

/** How one request reaches its target through a proxy. */
export interface ProxyRoute {
  /** "http": absolute-form requests to the proxy; "tunnel": CONNECT; "socks5": SOCKS5 CONNECT. */
  kind: "http" | "tunnel" | "socks5";
  host: string;
  port: number;
  user?: string;
  password?: string;
  /** Identifies the proxy (and its credentials) in pool keys. */
  key: string;
}

/** The route for `target`, or null to connect directly. */
export function resolveProxy(opt: ProxyOption | undefined, target: ParsedUrl, adapter: SocketAdapter): ProxyRoute | null {
  void target;
  void adapter;
  if (opt === undefined) return null;
  throw new HansomError("invalid_option", "Proxies are not implemented yet", { phase: "input" });
}

/** Proxy-Authorization value for an "http" route, if it has credentials. */
export function proxyAuthorization(route: ProxyRoute): string | undefined {
  void route;
  return undefined;
}

/** Connects to the proxy and opens a tunnel to target (TLS to the target inside it when secure). */
export async function openTunnel(
  adapter: SocketAdapter,
  route: ProxyRoute,
  target: { host: string; port: number; secure: boolean },
  opts: { timeout: number; signal?: AbortSignal; tls?: TlsOptions; insecure?: boolean },
): Promise<RawSocket> {
  void adapter; void route; void target; void opts;
  throw new HansomError("proxy_error", "Proxies are not implemented yet", { phase: "proxy" });
}
