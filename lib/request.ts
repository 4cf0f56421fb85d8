// One request end to end: options checked once, the head's fields, checkout, send, a retry on
// a stale socket, redirects. Everything below is reached through the protocol-neutral seam
// (exchange.ts): nothing here knows how a request is framed on the wire.
import { HansomError, withContext } from "./errors.ts";
import { encodeBody } from "./body.ts";
import type { EncodedBody } from "./body.ts";
import { failedBeforeResponse } from "./exchange.ts";
import type { BodySource, HttpConnection, Release, RequestSpec, ResponseHead } from "./exchange.ts";
import { Response } from "./response.ts";
import type { RedirectRecord } from "./response.ts";
import { defaultPool, type Pool } from "./pool.ts";
import { getAdapter } from "./runtime/index.ts";
import type { SocketAdapter } from "./runtime/socket.ts";
import { parseUrl, authority, originOf, requestTarget, resolveUrl } from "./url.ts";
import type { ParsedUrl } from "./url.ts";
import { DEFAULTS } from "./option-registry.ts";
import type { PreparedRequest } from "./prepare.ts";
import { buildHeaders, framedBody, uploadProgress } from "./hop-fields.ts";
import type { Hop } from "./hop-fields.ts";
import { dialer, poolKey } from "./dial.ts";
import type { RequestOptions } from "./options.ts";
import { BODY_HEADERS, CREDENTIAL_HEADERS, isRedirect, planRedirect } from "./redirect.ts";
import { routeFor } from "./route.ts";
import { boundaryFromContentType } from "./multipart/decode.ts";
import { assertRequestTarget } from "./http1/encode.ts";
import { resolveRetry, retryDelay, sleep } from "./retry-policy.ts";
import type { RetryPolicy } from "./retry-policy.ts";
import type { CookieStore } from "./cookie-jar.ts";
import { jarCookieHeader, storeCookies } from "./cookie-flow.ts";
import { mockCount, mockFor, mockedHop } from "./mock-registry.ts";
import { acceptEncoding as acceptEncodingOf, availableCodings } from "./decompress.ts";
import type { DecoderFactories } from "./decompress.ts";

/** The Accept-Encoding that decompress: true sends: the codings this runtime decodes. */
function acceptEncodingFor(decoders: DecoderFactories): string {
  return acceptEncodingOf(availableCodings(decoders));
}

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"]);

/** Where a request gets its connection: a pool, a fresh socket, or one Connection. */
export interface Dispatcher {
  /** `fresh`: a new connection, not an idle one (the retry after a stale keep-alive socket). */
  checkout(
    key: string,
    dial: () => Promise<HttpConnection>,
    timeout: number,
    signal?: AbortSignal,
    fresh?: boolean,
    multiplex?: boolean,
  ): Promise<HttpConnection>;
  release: Release;
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
  /** Headers a Connection adds to each of its requests (a request's own header of a name wins). */
  baseHeaders?: Array<[string, string]>;
  /** body: "stream": the caller writes the body through a RequestHandle. */
  streamBody?: EncodedBody;
}

/** A safe-to-print URL: no credentials. */
export function displayUrl(u: ParsedUrl): string {
  return `${originOf(u)}${u.path}${u.qs ? `?${u.qs}` : ""}`;
}

// One dispatcher per pool, made on first use: not an object and two closures per request.
const dispatchers = new WeakMap<Pool, Dispatcher>();

/** The dispatcher of a pool option. */
function dispatcherOf(pool: Pool | false | undefined): Dispatcher {
  if (pool === false) return noPool;
  const p = pool ?? defaultPool;
  let d = dispatchers.get(p);
  if (!d) {
    d = {
      checkout: (k, dl, t, s, f, m) => p.checkout(k, dl, t, s, f, m),
      release: p.release,
      checkoutTimeout: p.checkoutTimeout,
    };
    dispatchers.set(p, d);
  }
  return d;
}

/** Sends one prepared request and returns its Response (redirects followed per options). */
export async function performRequest(req: PreparedRequest, hooks: RequestHooks = {}): Promise<Response> {
  const { opts } = req;
  const started = Date.now();
  // Awaited only while loading: each await on the hot path costs a microtask turn.
  const loaded = getAdapter();
  const adapter = loaded instanceof Promise ? await loaded : loaded;
  const decoders = opts.decompress ? await adapter.decoders() : undefined;
  const acceptEncoding = decoders ? acceptEncodingFor(decoders) : null;
  let encoded: EncodedBody | null = hooks.streamBody ?? null;
  if (!encoded && opts.body !== undefined) {
    const boundaryHint = boundaryFromContentType(req.headers.get("content-type") ?? null) ?? undefined;
    encoded = await encodeBody(opts.body, boundaryHint).catch(inputError);
  }
  const body = framedBody(encoded, req.headers);
  const dispatcher = hooks.dispatcher ?? dispatcherOf(opts.pool);
  const ctx: HopContext = {
    opts,
    adapter,
    dispatcher,
    started,
    acceptEncoding,
    jar: opts.cookieJar ?? null,
    retry: resolveRetry(opts.retry),
  };
  const maxRedirect = opts.maxRedirect ?? DEFAULTS.maxRedirect;
  const redirects: RedirectRecord[] = [];
  let hop: Hop = { url: req.url, method: req.method, headers: req.headers, body, sameOrigin: true };
  const firstOrigin = originOf(req.url);
  for (;;) {
    // Without retries or a jar, the hop goes straight out: one async frame fewer per request.
    const { head, source, empty, peer, local, reused, timings, attempts } =
      ctx.retry || ctx.jar ? await sendWithRetries(hop, ctx) : await sendHop(hop, ctx, "");
    const location = isRedirect(head.status) && opts.followRedirect ? findLocation(head) : undefined;
    const plan =
      location !== undefined
        ? planRedirect(
            head.status,
            hop.method,
            hop.body !== null,
            hop.body?.replayable ?? true,
            opts.forceRedirect ?? false,
          )
        : null;
    const res = new Response({
      head,
      source,
      empty,
      url: hop.url.href,
      redirects,
      info: {
        method: hop.method,
        url: displayUrl(hop.url),
        httpVersion: head.httpVersion,
        status: head.status,
        peer,
        local,
        reused,
        redirects: redirects.length,
        attempts,
        decoded: null,
        timings,
      },
      limits: {
        maxBody: opts.maxBody,
        maxHeaderSize: opts.maxHeaderSize,
        signal: opts.signal,
        total: head.contentLength ?? undefined,
        onProgress: opts.onProgress as ((p: { phase: "download"; loaded: number; total?: number }) => void) | undefined,
      },
      startedAt: started,
      decoders,
    });
    if (!plan || location === undefined) {
      if (opts.throwHttpErrors && head.status >= 400) {
        throw new HansomError(
          "http_error",
          `The server answered ${head.status}${head.statusText ? ` ${head.statusText}` : ""} (throwHttpErrors)`,
          { phase: "response", method: hop.method, url: displayUrl(hop.url), response: res },
        );
      }
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
      throw new HansomError(
        "invalid_url",
        `The redirect Location is not a usable http(s) URL (${(e as Error).message})`,
        { cause: e, phase: "response", method: hop.method, url: displayUrl(hop.url) },
      );
    }
    // Small redirect bodies are drained so the connection is reused; large ones are dropped.
    if (head.contentLength !== null && head.contentLength <= 65536) await res.skip().catch(() => {});
    else await res.close();
    redirects.push({ status: head.status, url: target, headers: head.rawHeaders });
    if (redirects.length > maxRedirect) {
      throw new HansomError(
        "max_redirect",
        `More than ${maxRedirect} redirects (maxRedirect); the last pointed to ${target}`,
        { phase: "response", method: hop.method, url: displayUrl(hop.url) },
      );
    }
    const next = parseUrl(target);
    // A server must not be able to send the client to a local Unix socket (a Docker socket,
    // say): http+unix is followed only within the same socket.
    if (next.scheme === "http+unix" && originOf(next) !== originOf(hop.url)) {
      throw new HansomError("invalid_url", "Refusing to follow a redirect to an http+unix URL from another origin", {
        phase: "response",
        method: hop.method,
        url: displayUrl(hop.url),
      });
    }
    hooks.onRedirect?.({ type: plan.seeOther ? "see_other" : "redirect", url: target, headers: head.rawHeaders });
    const sameOrigin = hop.sameOrigin && originOf(next) === firstOrigin;
    let headers = hop.headers;
    if (!sameOrigin) headers = headers.without(CREDENTIAL_HEADERS);
    if (!plan.keepBody) headers = headers.without(BODY_HEADERS);
    headers = headers.without(["host"]);
    hop = { url: next, method: plan.method, headers, body: plan.keepBody ? hop.body : null, sameOrigin };
  }
}

/** A TypeError or RangeError from checking a body is bad input: a HansomError like the rest. */
function inputError(e: unknown): never {
  if (e instanceof HansomError) throw e;
  throw new HansomError("invalid_option", `Invalid request body: ${(e as Error)?.message ?? e}`, {
    cause: e,
    phase: "input",
  });
}

/** The first value of a response field (`lower` is a lower-case name), or null. */
function headerValue(head: ResponseHead, lower: string): string | null {
  for (const [k, v] of head.rawHeaders) if (k.length === lower.length && k.toLowerCase() === lower) return v;
  return null;
}

function findLocation(head: ResponseHead): string | undefined {
  return headerValue(head, "location") ?? undefined;
}

/** Checks out a connection and sends one hop, retrying once on a stale reused socket. */
/** What every hop of one request shares. */
interface HopContext {
  opts: RequestOptions;
  adapter: SocketAdapter;
  dispatcher: Dispatcher;
  started: number;
  acceptEncoding: string | null;
  jar: CookieStore | null;
  retry: RetryPolicy | null;
}

type HopResult = Awaited<ReturnType<typeof sendHop>>;

/**
 * Sends a hop under the retry option: a retryable status or network failure is tried again
 * after the policy's delay (the signal cuts the wait short), when the method allows it and
 * the body can be sent again. Cookies go from and into the jar on every attempt.
 */
async function sendWithRetries(hop: Hop, ctx: HopContext): Promise<HopResult> {
  const { opts, jar, retry } = ctx;
  const replayable = hop.body === null || hop.body.replayable;
  for (let attempt = 1; ; attempt++) {
    const jarCookie = jar ? await jarCookieHeader(jar, hop.url.href) : "";
    let r: HopResult;
    try {
      r = await sendHop(hop, ctx, jarCookie);
    } catch (e) {
      const delay =
        retry && replayable && e instanceof HansomError
          ? retryDelay(retry, attempt, { method: hop.method, errorCode: e.code })
          : null;
      if (delay === null) throw e;
      await sleep(delay, opts.signal);
      continue;
    }
    if (jar) await storeCookies(jar, hop.url.href, r.head.rawHeaders);
    if (retry && replayable) {
      const delay = retryDelay(retry, attempt, {
        method: hop.method,
        status: r.head.status,
        retryAfterHeader: headerValue(r.head, "retry-after"),
      });
      if (delay !== null) {
        // The answer is dropped: small bodies are drained so the connection is reused.
        if (r.source) await discardBody(r.source, r.head);
        await sleep(delay, opts.signal);
        continue;
      }
    }
    r.attempts = attempt;
    return r;
  }
}

/** Reads and drops a body that nobody will see (a retried answer). */
async function discardBody(source: BodySource, head: ResponseHead): Promise<void> {
  if (head.contentLength === null || head.contentLength > 65536) {
    source.cancel();
    return;
  }
  await new Promise<void>((resolve) => source.read({ data: () => true, end: () => resolve(), error: () => resolve() }));
}

async function sendHop(hop: Hop, ctx: HopContext, jarCookie: string) {
  const { opts, adapter, dispatcher, started, acceptEncoding } = ctx;
  const route = routeFor(opts.proxy, hop.url, adapter, opts.proxyTls);
  const wire = buildHeaders(hop, opts, route, jarCookie);
  if (acceptEncoding && !hop.headers.has("accept-encoding")) wire.push(["Accept-Encoding", acceptEncoding]);
  const mock = mockCount() > 0 ? mockFor(originOf(hop.url)) : undefined;
  if (mock)
    return mockedHop(mock, { method: hop.method, url: hop.url.href, headers: wire, body: hop.body, options: opts });
  const key = poolKey(hop.url, opts, route);
  const timings: { connect?: number; firstByte?: number; total?: number } = {};
  const dial = dialer(adapter, hop.url, opts, route, key, dispatcher.release, timings, started);
  const checkoutTimeout =
    opts.checkoutTimeout ?? dispatcher.checkoutTimeout ?? opts.connectTimeout ?? DEFAULTS.connectTimeout;
  const path = requestTarget(hop.url, opts.pathEncode);
  const multiplex = route.absoluteForm
    ? false
    : hop.url.scheme === "https"
      ? opts.protocols?.includes("h2") === true
      : opts.http2PriorKnowledge === true;
  // A pathEncode that returns CR/LF or spaces is refused before any connection (RFC 9112 §3.2).
  assertRequestTarget(path);
  const spec: RequestSpec = {
    method: hop.method,
    scheme: hop.url.scheme === "https" ? "https" : "http",
    authority: authority(hop.url),
    path,
    absoluteForm: route.absoluteForm,
    headers: wire,
    body: hop.body,
    noBody: hop.method === "HEAD" || hop.method === "CONNECT",
    expectContinue: (hop.headers.get("expect") ?? "").toLowerCase() === "100-continue",
    upgrade: hop.headers.has("upgrade"),
    lastRequest: opts.pool === false,
    recvTimeout: opts.recvTimeout ?? DEFAULTS.recvTimeout,
    maxHeaderSize: opts.maxHeaderSize ?? DEFAULTS.maxHeaderSize,
    signal: opts.signal,
    onUpload: uploadProgress(opts, hop.body),
  };
  for (let attempt = 0; ; attempt++) {
    let conn: HttpConnection;
    try {
      // The retry after a stale socket dials: the next idle socket may be just as stale.
      conn = await dispatcher.checkout(key, dial, checkoutTimeout, opts.signal, attempt > 0, multiplex);
    } catch (e) {
      throw e instanceof HansomError ? withContext(e, hop.method, displayUrl(hop.url)) : e;
    }
    const reused = conn.served > 0;
    try {
      const { head, body, empty } = await conn.exchange(spec);
      timings.firstByte = Date.now() - started;
      return { head, source: body, empty, peer: conn.peer, local: conn.local, reused, timings, attempts: 1 };
    } catch (e) {
      const err = e instanceof HansomError ? e : new HansomError("closed", String(e), { cause: e });
      const stale = attempt === 0 && failedBeforeResponse(err) && (err.code === "closed" || err.code === "econnreset");
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
