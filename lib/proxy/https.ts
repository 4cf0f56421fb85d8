// HTTPS proxies ("https://" proxy URLs): TLS to the proxy itself, before any HTTP is spoken to
// it, under settings of its own (the proxyTls option) apart from the origin's `tls`. A plain
// http target then goes in absolute form over that TLS connection; an https one goes through
// CONNECT over it, with TLS to the origin inside (TLS in TLS).
import { HansomError } from "../errors.ts";
import type { RawSocket, SocketAdapter, TlsOptions } from "../runtime/socket.ts";
import { tlsKey } from "../tls-key.ts";
import { hostPort } from "./http.ts";

/** TLS to an https:// proxy (the proxyTls option); the origin's TLS keeps its own `tls` and `insecure`. */
export interface ProxyTlsOptions {
  /** Trusted CA certificates (PEM) for the proxy's certificate; replaces the system store. */
  ca?: string | Uint8Array | Array<string | Uint8Array>;
  /** Client certificate chain (PEM) presented to the proxy. */
  cert?: string | Uint8Array;
  /** The private key (PEM) of `cert`. */
  key?: string | Uint8Array;
  /** SNI and the name the proxy's certificate must carry. Default: the proxy host (none for an IP literal). */
  servername?: string;
  /** Skip verification of the proxy's certificate. Default: false. */
  insecure?: boolean;
}

/** The proxyTls settings as an adapter takes them. */
export interface ProxyTls {
  tls: TlsOptions;
  insecure: boolean;
}

const KEYS = new Set(["ca", "cert", "key", "servername", "insecure"]);
const isPem = (x: unknown): boolean => typeof x === "string" || x instanceof Uint8Array;

function bad(message: string): never {
  throw new HansomError("invalid_option", message, { phase: "input" });
}

/** Checks a proxyTls option value (the option registry's check); throws invalid_option. */
export function checkProxyTls(v: unknown, name: string): void {
  if (typeof v !== "object" || v === null || Array.isArray(v))
    bad(`Option ${name} must be an object { ca?, cert?, key?, servername?, insecure? }`);
  const t = v as Record<string, unknown>;
  for (const k of Object.keys(t))
    if (!KEYS.has(k)) bad(`Unknown option ${name}.${k}: ${name} takes ca, cert, key, servername and insecure`);
  if (t["ca"] !== undefined && !(isPem(t["ca"]) || (Array.isArray(t["ca"]) && t["ca"].every(isPem))))
    bad(`Option ${name}.ca must be PEM text or bytes, or a list of them`);
  for (const k of ["cert", "key"])
    if (t[k] !== undefined && !isPem(t[k])) bad(`Option ${name}.${k} must be PEM text or bytes`);
  if (t["servername"] !== undefined && typeof t["servername"] !== "string")
    bad(`Option ${name}.servername must be a string`);
  if (t["insecure"] !== undefined && typeof t["insecure"] !== "boolean")
    bad(`Option ${name}.insecure must be a boolean`);
}

/** The proxyTls option as adapter settings; undefined means system CAs with verification on. */
export function proxyTls(o: ProxyTlsOptions | undefined): ProxyTls {
  const tls: TlsOptions = {};
  if (o?.ca !== undefined) tls.ca = o.ca;
  if (o?.cert !== undefined) tls.cert = o.cert;
  if (o?.key !== undefined) tls.key = o.key;
  if (o?.servername !== undefined) tls.servername = o.servername;
  return { tls, insecure: o?.insecure === true };
}

/** The pool-key part of proxyTls: differs whenever the settings do (see tls-key.ts). */
export function proxyTlsKey(o: ProxyTlsOptions | undefined): string {
  // Keyed on the caller's object (tlsKey identifies PEM bytes by object), fields picked as tls would be.
  if (o === undefined) return tlsKey(undefined, false);
  return tlsKey({ ca: o.ca, cert: o.cert, key: o.key, servername: o.servername }, o.insecure === true);
}

/**
 * Opens the connection to a proxy: TCP, then TLS to the proxy when `tls` is given. A failed TLS
 * handshake with the proxy is tls_error, its message naming the proxy and the proxyTls option.
 */
export async function connectProxy(
  adapter: SocketAdapter,
  proxy: { host: string; port: number; tls?: ProxyTls },
  opts: { timeout: number; signal?: AbortSignal },
): Promise<RawSocket> {
  if (!proxy.tls)
    return adapter.connect({ host: proxy.host, port: proxy.port, timeout: opts.timeout, signal: opts.signal });
  try {
    return await adapter.connect({
      host: proxy.host,
      port: proxy.port,
      tls: proxy.tls.tls,
      insecure: proxy.tls.insecure,
      timeout: opts.timeout,
      signal: opts.signal,
    });
  } catch (e) {
    if (!(e instanceof HansomError) || e.code !== "tls_error") throw e;
    const hint = proxy.tls.insecure
      ? ""
      : " (a proxy certificate from a private CA needs proxyTls.ca; proxyTls.servername sets the name checked)";
    throw new HansomError(
      "tls_error",
      `TLS with the HTTPS proxy ${hostPort(proxy.host, proxy.port)} failed${hint}: ${e.message}`,
      {
        cause: e,
        phase: "tls",
      },
    );
  }
}
