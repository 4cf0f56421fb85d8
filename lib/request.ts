// One request end to end: options, head, checkout, send, retry on a stale socket, redirects.
import { HansomError, withContext } from "./errors.ts";
import { encodeBody } from "./body.ts";
import type { EncodedBody } from "./body.ts";
import { assertHeaderValue, encodeHead } from "./http1/encode.ts";
import { Http1Connection } from "./http1/connection.ts";
import type { ResponseHead } from "./http1/parse.ts";
import { Response } from "./response.ts";
import type { RedirectRecord } from "./response.ts";
import { defaultPool, Pool } from "./pool.ts";
import { getAdapter } from "./runtime/index.ts";
import type { SocketAdapter } from "./runtime/socket.ts";
import { parseUrl, authority, originOf, requestTarget, resolveUrl } from "./url.ts";
import type { ParsedUrl } from "./url.ts";
import { base64, findHeader, getHeader, headerPairs, normalizeMethod, validateOptions, withoutHeaders } from "./options.ts";
import type { RequestOptions } from "./options.ts";
import { BODY_HEADERS, CREDENTIAL_HEADERS, isRedirect, planRedirect } from "./redirect.ts";
import { proxyAuthorization, resolveProxy, openTunnel } from "./proxy/index.ts";
import type { ProxyRoute } from "./proxy/index.ts";
import { boundaryFromContentType } from "./multipart/decode.ts";
import { tlsKey } from "./tls-key.ts";

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);
const USER_AGENT = "hansom/0.1";

/** Where a request gets its connection: a pool, a fresh socket, or one Connection. */
export interface Dispatcher {
  checkout(key: string, dial: () => Promise<Http1Connection>, timeout: number, signal?: AbortSignal): Promise<Http1Connection>;
  release: (conn: Http1Connection, reusable: boolean) => void;
  /** The pool's own checkoutTimeout, used when the request sets none. */
  checkoutTimeout?: number;
}

/** pool: false: every request dials and the socket is closed after. */
const noPool: Dispatcher = {
  checkout: (_key, dial) => dial(),
  release: (conn) => conn.destroy(),
};

/** Internal hooks for the async modes and Connection. */
export interface RequestHooks {
  onRedirect?(ev: { type: "redirect" | "see_other"; url: string; headers: Array<[string, string]> }): void;
  dispatcher?: Dispatcher;
  /** Headers a Connection adds to each of its requests. */
  baseHeaders?: Array<[string, string]>;
  /** body: "stream": the caller writes the body through a RequestHandle. */
  streamBody?: EncodedBody;
}

/** Everything a single hop needs, computed once per hop. */
interface Hop {
  url: ParsedUrl;
  method: string;
  headers: Array<[string, string]>;
  body: EncodedBody | null;
  /** Credentials from basicAuth/userinfo/cookie apply (same origin as the first request). */
  sameOrigin: boolean;
}

/** Computes the wire headers of a hop, in the caller's order, defaults after. */
function buildHeaders(hop: Hop, opts: RequestOptions, route: ProxyRoute | null): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  const user = hop.headers;
  if (findHeader(user, "host") < 0) out.push(["Host", authority(hop.url)]);
  for (const p of user) out.push(p);
  if (findHeader(user, "user-agent") < 0) out.push(["User-Agent", USER_AGENT]);
  if (hop.sameOrigin && findHeader(user, "authorization") < 0) {
    const cred = opts.basicAuth ?? (hop.url.user || hop.url.password ? [hop.url.user, hop.url.password] : null);
    if (cred) out.push(["Authorization", `Basic ${base64(`${cred[0]}:${cred[1]}`)}`]);
  }
  if (hop.sameOrigin && opts.cookie !== undefined) {
    const c = Array.isArray(opts.cookie) ? opts.cookie.join("; ") : opts.cookie;
    // One Cookie header (RFC 6265 §5.4): the option joins a caller's Cookie header if there is one.
    const at = findHeader(out, "cookie");
    if (at >= 0 && c) out[at] = [out[at]![0], `${out[at]![1]}; ${c}`];
    else if (c) out.push(["Cookie", c]);
  }
  if (route?.kind === "http" && findHeader(user, "proxy-authorization") < 0) {
    const pa = proxyAuthorization(route);
    if (pa) out.push(["Proxy-Authorization", pa]);
  }
  const body = hop.body;
  if (body) {
    if (body.contentType && findHeader(user, "content-type") < 0) out.push(["Content-Type", body.contentType]);
    if (findHeader(user, "content-length") < 0 && findHeader(user, "transfer-encoding") < 0) {
      if (body.length === null) out.push(["Transfer-Encoding", "chunked"]);
      else out.push(["Content-Length", String(body.length)]);
    }
  } else if ((hop.method === "POST" || hop.method === "PUT" || hop.method === "PATCH") && findHeader(user, "content-length") < 0) {
    // RFC 9110 §8.6: a request with a body-defining method and no body says so.
    out.push(["Content-Length", "0"]);
  }
  if (opts.pool === false && findHeader(user, "connection") < 0) out.push(["Connection", "close"]);
  return out;
}

/** The body length the wire will carry, honouring a caller's Content-Length / Transfer-Encoding. */
function framedBody(body: EncodedBody | null, headers: Array<[string, string]>): EncodedBody | null {
  if (!body) return null;
  const te = getHeader(headers, "transfer-encoding");
  if (te !== undefined) return body.length === null ? body : { ...body, length: null };
  const cl = getHeader(headers, "content-length");
  if (cl !== undefined) {
    const n = Number(cl);
    if (!/^\d+$/.test(cl.trim()) || !Number.isSafeInteger(n)) {
      throw new HansomError("invalid_header", "The Content-Length header must be a non-negative integer", { phase: "input" });
    }
    return n === body.length ? body : { ...body, length: n };
  }
  return body;
}

function poolKey(u: ParsedUrl, opts: RequestOptions, route: ProxyRoute | null): string {
  let key = `${u.scheme}://${u.host}:${u.port}`;
  if (route) key += `|${route.key}`;
  if (u.scheme === "https" || route?.kind === "tunnel" || route?.kind === "socks5") key += `|${tlsKey(opts.tls, opts.insecure)}`;
  return key;
}

function dialer(adapter: SocketAdapter, u: ParsedUrl, opts: RequestOptions, route: ProxyRoute | null, key: string, release: Dispatcher["release"], timings: { connect?: number }, started: number): () => Promise<Http1Connection> {
  return async () => {
    const timeout = opts.connectTimeout ?? 8000;
    const secure = u.scheme === "https";
    let sock;
    if (!route) {
      sock = await adapter.connect({ host: u.host, port: u.port, tls: secure ? (opts.tls ?? {}) : undefined, insecure: opts.insecure, timeout, signal: opts.signal });
    } else if (route.kind === "http") {
      sock = await adapter.connect({ host: route.host, port: route.port, timeout, signal: opts.signal });
    } else {
      sock = await openTunnel(adapter, route, { host: u.host, port: u.port, secure }, { timeout, signal: opts.signal, tls: opts.tls, insecure: opts.insecure });
    }
    timings.connect = Date.now() - started;
    return new Http1Connection(key, sock, release, { maxHeaderSize: opts.maxHeaderSize });
  };
}

/** The pool key and dial function for `u` under `opts` (Connection opens its socket with it). */
export async function dialFor(u: ParsedUrl, opts: RequestOptions, release: Dispatcher["release"]): Promise<{ key: string; dial: () => Promise<Http1Connection> }> {
  const adapter = await getAdapter();
  const route = resolveProxy(opts.proxy, u, adapter);
  const key = poolKey(u, opts, route);
  return { key, dial: dialer(adapter, u, opts, route, key, release, {}, Date.now()) };
}

/** A safe-to-print URL: no credentials. */
export function displayUrl(u: ParsedUrl): string {
  return `${originOf(u)}${u.path}${u.qs ? `?${u.qs}` : ""}`;
}

/** The dispatcher of a pool option. */
function dispatcherOf(pool: Pool | false | undefined): Dispatcher {
  if (pool === false) return noPool;
  const p = pool ?? defaultPool;
  return { checkout: (k, d, t, s) => p.checkout(k, d, t, s), release: p.release, checkoutTimeout: p.checkoutTimeout };
}

/** Sends one request and returns its Response (redirects followed per options). */
export async function performRequest(method: string, url: string | URL, opts: RequestOptions, hooks: RequestHooks = {}): Promise<Response> {
  const m = normalizeMethod(method);
  validateOptions(opts);
  // basicAuth is base64-encoded on the wire, so encodeHead cannot see a CR/LF in it.
  if (opts.basicAuth) for (const part of opts.basicAuth) assertHeaderValue("Authorization", part);
  const first = parseUrl(url);
  const userHeaders = hooks.baseHeaders ? [...hooks.baseHeaders, ...headerPairs(opts.headers)] : headerPairs(opts.headers);
  const boundaryHint = boundaryFromContentType(getHeader(userHeaders, "content-type") ?? null) ?? undefined;
  const started = Date.now();
  const adapter = await getAdapter();
  const body = framedBody(hooks.streamBody ?? (await encodeBody(opts.body, boundaryHint).catch(inputError)), userHeaders);
  const dispatcher = hooks.dispatcher ?? dispatcherOf(opts.pool);
  const maxRedirect = opts.maxRedirect ?? 5;
  const redirects: RedirectRecord[] = [];
  let hop: Hop = { url: first, method: m, headers: userHeaders, body, sameOrigin: true };
  const firstOrigin = originOf(first);
  for (;;) {
    const { head, conn, reused, timings } = await sendHop(hop, opts, adapter, dispatcher, started);
    const location = isRedirect(head.status) && opts.followRedirect ? findLocation(head) : undefined;
    const plan = location !== undefined ? planRedirect(head.status, hop.method, hop.body !== null, hop.body?.replayable ?? true, opts.forceRedirect ?? false) : null;
    const res = new Response({
      head,
      source: head.status === 101 ? conn.bodySource() : head.framing === "none" || head.contentLength === 0 ? null : conn.bodySource(),
      empty: head.framing !== "none" && head.contentLength === 0,
      url: hop.url.href,
      redirects,
      info: {
        method: hop.method,
        url: displayUrl(hop.url),
        httpVersion: head.httpVersion,
        status: head.status,
        peer: conn.peer,
        local: conn.local,
        reused,
        redirects: redirects.length,
        timings,
      },
      limits: {
        maxBody: opts.maxBody,
        signal: opts.signal,
        total: head.contentLength ?? undefined,
        onProgress: opts.onProgress as ((p: { phase: "download"; loaded: number; total?: number }) => void) | undefined,
      },
      startedAt: started,
    });
    if (!plan || location === undefined) {
      if (opts.withBody) {
        try {
          await res.preload();
        } catch (e) {
          throw e instanceof HansomError ? withContext(e, hop.method, displayUrl(hop.url)) : e;
        }
      }
      return res;
    }
    let target: string;
    try {
      target = resolveUrl(location, hop.url.href);
    } catch (e) {
      await res.close();
      throw new HansomError("invalid_url", `The redirect Location is not a usable http(s) URL (${(e as Error).message})`, { cause: e, phase: "response", method: hop.method, url: displayUrl(hop.url) });
    }
    // Small redirect bodies are drained so the connection is reused; large ones are dropped.
    if (head.contentLength !== null && head.contentLength <= 65536) await res.skip().catch(() => {});
    else await res.close();
    redirects.push({ status: head.status, url: target, headers: head.rawHeaders });
    if (redirects.length > maxRedirect) {
      throw new HansomError("max_redirect", `More than ${maxRedirect} redirects (maxRedirect); the last pointed to ${target}`, { phase: "response", method: hop.method, url: displayUrl(hop.url) });
    }
    const next = parseUrl(target);
    hooks.onRedirect?.({ type: plan.seeOther ? "see_other" : "redirect", url: target, headers: head.rawHeaders });
    const sameOrigin = hop.sameOrigin && originOf(next) === firstOrigin;
    let headers = hop.headers;
    if (!sameOrigin) headers = withoutHeaders(headers, CREDENTIAL_HEADERS);
    if (!plan.keepBody) headers = withoutHeaders(headers, BODY_HEADERS);
    headers = withoutHeaders(headers, ["host"]);
    hop = { url: next, method: plan.method, headers, body: plan.keepBody ? hop.body : null, sameOrigin };
  }
}

/** A TypeError or RangeError from checking a body is bad input: a HansomError like the rest. */
function inputError(e: unknown): never {
  if (e instanceof HansomError) throw e;
  throw new HansomError("invalid_option", `Invalid request body: ${(e as Error)?.message ?? e}`, { cause: e, phase: "input" });
}

function findLocation(head: ResponseHead): string | undefined {
  for (const [k, v] of head.rawHeaders) if (k.length === 8 && k.toLowerCase() === "location") return v;
  return undefined;
}

/** Checks out a connection and sends one hop, retrying once on a stale reused socket. */
async function sendHop(hop: Hop, opts: RequestOptions, adapter: SocketAdapter, dispatcher: Dispatcher, started: number) {
  const route = resolveProxy(opts.proxy, hop.url, adapter);
  const wire = buildHeaders(hop, opts, route);
  const target = route?.kind === "http" ? `${originOf(hop.url)}${requestTarget(hop.url, opts.pathEncode)}` : requestTarget(hop.url, opts.pathEncode);
  const headBytes = encodeHead({ method: hop.method, target, headers: wire });
  const key = poolKey(hop.url, opts, route);
  const timings: { connect?: number; firstByte?: number; total?: number } = {};
  const dial = dialer(adapter, hop.url, opts, route, key, dispatcher.release, timings, started);
  const checkoutTimeout = opts.checkoutTimeout ?? dispatcher.checkoutTimeout ?? opts.connectTimeout ?? 8000;
  const expectContinue = (getHeader(wire, "expect") ?? "").toLowerCase() === "100-continue";
  const upload = uploadProgress(opts, hop.body);
  for (let attempt = 0; ; attempt++) {
    let conn: Http1Connection;
    try {
      conn = await dispatcher.checkout(key, dial, checkoutTimeout, opts.signal);
    } catch (e) {
      throw e instanceof HansomError ? withContext(e, hop.method, displayUrl(hop.url)) : e;
    }
    const reused = conn.served > 0;
    try {
      const head = await conn.exchange({
        head: headBytes,
        body: hop.body,
        noBody: hop.method === "HEAD" || (hop.method === "CONNECT"),
        expectContinue,
        upgrade: findHeader(wire, "upgrade") >= 0,
        recvTimeout: opts.recvTimeout ?? 5000,
        signal: opts.signal,
        onUpload: upload,
      });
      timings.firstByte = Date.now() - started;
      return { head, conn, reused, timings };
    } catch (e) {
      const err = e instanceof HansomError ? e : new HansomError("closed", String(e), { cause: e });
      const stale = reused && attempt === 0 && conn.failedBeforeResponse && (err.code === "closed" || err.code === "econnreset");
      if (stale) {
        const idempotent = IDEMPOTENT.has(hop.method);
        if (idempotent && (hop.body === null || hop.body.replayable)) continue;
        err.message = idempotent
          ? `${err.message}; not retried because the request body is a one-shot stream`
          : `${err.message}; not retried because ${hop.method} is not idempotent`;
      }
      throw withContext(err, hop.method, displayUrl(hop.url));
    }
  }
}

/** Throttled upload progress: at most every 64 KiB or 100 ms, and the last byte. */
function uploadProgress(opts: RequestOptions, body: EncodedBody | null): ((n: number, done?: boolean) => void) | undefined {
  const cb = opts.onProgress;
  if (!cb || !body) return undefined;
  const total = body.length ?? undefined;
  let last = -1;
  let at = 0;
  return (n, done) => {
    const now = Date.now();
    if (done ? n !== last : n - last >= 65536 || now - at >= 100) {
      last = n;
      at = now;
      cb({ phase: "upload", loaded: n, total });
    }
  };
}
