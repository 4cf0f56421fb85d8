// Proxy routing: which proxy (if any) a request goes through, and opening tunnels through it.
// request.ts calls resolveProxy() before any byte is sent (so a bad option fails early), then
// either sends absolute-form requests to an "http" route with proxyAuthorization(), or speaks
// HTTP over the RawSocket that openTunnel() returns for "tunnel" and "socks5" routes. An
// https:// proxy is reached over TLS first (https.ts), whichever the route.
import { parseUrl } from "../url.ts";
import type { ParsedUrl } from "../url.ts";
import type { RawSocket, SocketAdapter, TlsOptions } from "../runtime/socket.ts";
import { HansomError, abortError } from "../errors.ts";
import { envProxyUrl } from "./env.ts";
import { ConnectHandshake, basicCredentials, hostPort } from "./http.ts";
import type { Handshake } from "./http.ts";
import { connectProxy, proxyTls, proxyTlsKey } from "./https.ts";
import type { ProxyTls, ProxyTlsOptions } from "./https.ts";
import { parseIPv6 } from "./ip.ts";
import { Socks5Handshake, socks5Credentials } from "./socks5.ts";
import { TunnelSocket, handshakeTimeout, runHandshake } from "./tunnel.ts";

export type { ProxyTlsOptions };
export { checkProxyTls, connectProxy } from "./https.ts";

/** The proxy option: a proxy URL ("http://", "https://", "socks5://", "socks5h://"), an object, or "env". */
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
  /** Identifies the route (kind, proxy, user, a hash of the password, proxyTls) in pool keys. */
  key: string;
  /** Present for an https:// proxy: TLS to the proxy first, with these settings (proxyTls). */
  tls?: ProxyTls;
}

/** A validated proxy option, before the target decides http vs tunnel. */
interface ProxyConfig {
  kind: "http" | "connect" | "socks5";
  host: string;
  port: number;
  user?: string;
  password?: string;
  /** An https:// proxy: TLS to it first. */
  secure?: boolean;
}

function badOption(message: string): HansomError {
  return new HansomError("invalid_option", `Invalid proxy option: ${message}`, { phase: "input" });
}

/** Lower-cased host, brackets stripped from IPv6; throws invalid_option for anything else. */
function checkHost(host: unknown): string {
  if (typeof host !== "string" || host === "") throw badOption("host must be a non-empty string");
  let h = host.toLowerCase();
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  if (h.includes(":")) {
    if (!parseIPv6(h)) throw badOption("host is not a valid IPv6 address");
    return h;
  }
  if (/[\s\x00-\x1f\x7f/?#@[\]\\%]/.test(h)) throw badOption("host contains a character not allowed in a host name");
  try {
    return parseUrl(`http://${h}/`).host; // IDN to punycode, as for targets
  } catch {
    throw badOption("host is not a valid host name");
  }
}

function checkPort(port: unknown): number {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw badOption("port must be an integer from 1 to 65535");
  }
  return port;
}

function checkString(v: unknown, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string") throw badOption(`${what} must be a string`);
  return v;
}

// RFC 7617 §2: the user-id of Basic credentials cannot contain a colon.
function checkBasicUser(user: string | undefined): void {
  if (user?.includes(":")) throw badOption("a proxy user name must not contain ':'");
}

function fromObject(o: { host?: unknown; port?: unknown; auth?: unknown }, kind: "http" | "connect"): ProxyConfig {
  const cfg: ProxyConfig = { kind, host: checkHost(o.host), port: checkPort(o.port) };
  if (o.auth !== undefined) {
    const a = o.auth;
    if (!Array.isArray(a) || a.length !== 2 || typeof a[0] !== "string" || typeof a[1] !== "string") {
      throw badOption("auth must be [user, password], two strings");
    }
    cfg.user = a[0];
    cfg.password = a[1];
    checkBasicUser(cfg.user);
  }
  return cfg;
}

/**
 * Parses a proxy URL: "http://", "https://" (TLS to the proxy), "socks5://" or "socks5h://"
 * (both SOCKS5 with the proxy resolving names), or scheme-less "host:port" (http). Default
 * ports: 80 http, 443 https, 1080 SOCKS5.
 * `source` names where it came from; messages never quote the URL (it may hold a password).
 */
function parseProxyUrl(s: string, source: string): ProxyConfig {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(s);
  const scheme = m ? m[1]!.toLowerCase() : "http";
  const rest = m ? s.slice(m[0].length) : s;
  const invalid = (why: string, cause?: unknown): HansomError =>
    new HansomError("invalid_url", `Invalid proxy URL (${source}): ${why}`, { phase: "input", cause });
  if (scheme !== "http" && scheme !== "https" && scheme !== "socks5" && scheme !== "socks5h") {
    throw invalid(`scheme "${scheme}" is not supported; use http://, https://, socks5:// or socks5h://`);
  }
  let u: ParsedUrl;
  try {
    u = parseUrl(`http://${rest}`);
  } catch (e) {
    throw invalid((e as Error).message.replace(/^Invalid URL: /, ""), e);
  }
  const authority = rest.split(/[/?#]/, 1)[0]!;
  const hostPart = authority.slice(authority.lastIndexOf("@") + 1);
  const explicitPort = /:\d+$/.test(hostPart);
  const secure = scheme === "https";
  const kind = scheme === "http" || secure ? "http" : "socks5";
  const cfg: ProxyConfig = {
    kind,
    host: u.host,
    port: explicitPort ? u.port : secure ? 443 : kind === "http" ? 80 : 1080,
  };
  if (secure) cfg.secure = true;
  if (authority.includes("@")) {
    cfg.user = u.user;
    cfg.password = u.password;
    if (kind === "http") checkBasicUser(cfg.user);
    else socks5Credentials(cfg.user, cfg.password);
  }
  return cfg;
}

/** Validates any ProxyOption except "env"; throws invalid_option (invalid_url for a bad URL). */
function normalize(opt: unknown): ProxyConfig {
  if (typeof opt === "string") return parseProxyUrl(opt, "proxy option");
  if (typeof opt !== "object" || opt === null || Array.isArray(opt)) {
    throw badOption('expected a URL string, "env", { host, port }, { connect: ... } or { socks5: ... }');
  }
  const o = opt as Record<string, unknown>;
  const forms = ["host" in o, "connect" in o, "socks5" in o].filter(Boolean).length;
  if (forms !== 1) throw badOption("give exactly one of { host, port }, { connect: ... } or { socks5: ... }");
  if ("host" in o) return fromObject(o, "http");
  const inner = o["connect"] ?? o["socks5"];
  if (typeof inner !== "object" || inner === null) throw badOption("connect and socks5 take { host, port, ... }");
  if ("connect" in o) return fromObject(inner, "connect");
  const s = inner as Record<string, unknown>;
  const cfg: ProxyConfig = { kind: "socks5", host: checkHost(s["host"]), port: checkPort(s["port"]) };
  const username = checkString(s["username"], "socks5.username");
  const password = checkString(s["password"], "socks5.password");
  if (username === undefined && password !== undefined) throw badOption("socks5.password needs socks5.username");
  if (username !== undefined) {
    socks5Credentials(username, password ?? ""); // length limits, before any byte
    cfg.user = username;
    cfg.password = password ?? "";
  }
  return cfg;
}

/** A short, non-reversible tag of a password, so pool keys differ per password without holding it. */
function passwordTag(password: string): string {
  // cyrb53: a fast 53-bit string hash. Not a secret-keeping digest; the key is never shown.
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < password.length; i++) {
    const c = password.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36);
}

function toRoute(cfg: ProxyConfig, target: ParsedUrl, tlsOpt: ProxyTlsOptions | undefined): ProxyRoute {
  // An HTTP proxy forwards plain requests; an https target needs a tunnel so TLS is end to end.
  const kind = cfg.kind === "socks5" ? "socks5" : cfg.kind === "http" && target.scheme === "http" ? "http" : "tunnel";
  const who = cfg.user === undefined ? "" : `${encodeURIComponent(cfg.user)}:${passwordTag(cfg.password ?? "")}@`;
  // proxyTls shapes the connection only where TLS to the proxy runs on it.
  const scheme = cfg.secure ? `${kind}+tls` : kind;
  const tlsPart = cfg.secure ? `|${proxyTlsKey(tlsOpt)}` : "";
  const route: ProxyRoute = {
    kind,
    host: cfg.host,
    port: cfg.port,
    key: `${scheme}://${who}${hostPort(cfg.host, cfg.port)}${tlsPart}`,
  };
  if (cfg.secure) route.tls = proxyTls(tlsOpt);
  if (cfg.user !== undefined) {
    route.user = cfg.user;
    route.password = cfg.password ?? "";
  }
  return route;
}

/**
 * The route for `target`, or null to connect directly. Throws HansomError invalid_option
 * (invalid_url for a malformed proxy URL) synchronously, before any connection. `tls` (the
 * proxyTls option) applies when the proxy is an https:// one.
 * @example resolveProxy("http://u:p@127.0.0.1:3128", parseUrl("https://example.com/"), adapter) // kind "tunnel"
 */
export function resolveProxy(
  opt: ProxyOption | undefined,
  target: ParsedUrl,
  adapter: SocketAdapter,
  tls?: ProxyTlsOptions,
): ProxyRoute | null {
  // A Unix socket is local: no proxy reaches it.
  if (opt === undefined || opt === null || target.scheme === "http+unix") return null;
  if (opt === "env") {
    const found = envProxyUrl(target as ParsedUrl & { scheme: "http" | "https" }, (name) => adapter.env(name));
    return found ? toRoute(parseProxyUrl(found.url, found.from), target, tls) : null;
  }
  return toRoute(normalize(opt), target, tls);
}

/** The Proxy-Authorization value for an "http" route with credentials (Basic, UTF-8); else undefined. */
export function proxyAuthorization(route: ProxyRoute): string | undefined {
  // Tunnel routes authenticate in the CONNECT; the header must never go through to the origin.
  if (route.kind !== "http" || route.user === undefined) return undefined;
  return basicCredentials(route.user, route.password ?? "");
}

/**
 * Connects to the proxy (over TLS for an https:// proxy) and opens a tunnel to `target` (CONNECT
 * or SOCKS5), then negotiates TLS with the target inside it when `target.secure`.
 * `opts.timeout` (connectTimeout) covers all of it. Rejects with proxy_error on a refusal, connect_timeout, aborted,
 * tls_error, or the
 * adapter's connect errors (econnrefused, nxdomain) for the proxy itself.
 */
export async function openTunnel(
  adapter: SocketAdapter,
  route: ProxyRoute,
  target: { host: string; port: number; secure: boolean },
  opts: { timeout: number; signal?: AbortSignal; tls?: TlsOptions; insecure?: boolean },
): Promise<RawSocket> {
  const deadline = Date.now() + opts.timeout;
  // Built first: bad credentials throw before a connection is opened.
  const hs: Handshake =
    route.kind === "socks5"
      ? new Socks5Handshake(target.host, target.port, route.user, route.password)
      : new ConnectHandshake(
          target.host,
          target.port,
          route.user === undefined ? undefined : basicCredentials(route.user, route.password ?? ""),
        );
  const raw = await connectProxy(adapter, route, { timeout: opts.timeout, signal: opts.signal });
  const sock = new TunnelSocket(raw);
  await runHandshake(sock, hs, deadline, opts.signal);
  if (!target.secure) return sock;
  if (opts.signal?.aborted) {
    sock.destroy();
    throw abortError(opts.signal);
  }
  const remaining = deadline - Date.now();
  if (remaining <= 0) {
    sock.destroy();
    throw handshakeTimeout(hs.what, opts.timeout);
  }
  return sock.startTls({
    host: target.host,
    tls: opts.tls ?? {},
    insecure: opts.insecure,
    timeout: remaining,
    signal: opts.signal,
  });
}
