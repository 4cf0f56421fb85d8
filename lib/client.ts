// The public request functions: request() in its three shapes (Response, AsyncStream,
// RequestHandle) and the REST shortcuts. Input is checked here, before any connection.
import { HansomError } from "./errors.ts";
import { AsyncStream } from "./events.ts";
import type { ResponseEvent } from "./events.ts";
import { StreamedRequest } from "./request-handle.ts";
import type { RequestHandle } from "./request-handle.ts";
import type { Response } from "./response.ts";
import type { RequestOptions } from "./options.ts";
import { performRequest } from "./request.ts";
import { prepareRequest } from "./prepare.ts";
import type { RequestHooks } from "./request.ts";
import type { PreparedRequest } from "./prepare.ts";
import { encodeBody } from "./body.ts";
import type { EncodedBody } from "./body.ts";
import { boundaryFromContentType } from "./multipart/decode.ts";
import { resolveProxy } from "./proxy/index.ts";
import { getAdapter } from "./runtime/index.ts";
import { defaultPool } from "./pool.ts";
import { runChain } from "./middleware.ts";
import type { Middleware, MiddlewareRequest } from "./middleware.ts";

/** Options that make request() resolve to an AsyncStream. */
export type AsyncRequestOptions = RequestOptions &
  ({ async: true | "once" } | { streamTo: WritableStream<ResponseEvent> });
/** Options that make request() resolve to a RequestHandle. */
export type StreamedRequestOptions = Omit<RequestOptions, "body"> & { body: "stream" };

/** A body encoded up front, so that bad body input rejects request() itself. */
async function preEncode(req: PreparedRequest): Promise<EncodedBody | null> {
  const hint = boundaryFromContentType(req.headers.get("content-type") ?? null) ?? undefined;
  try {
    return await encodeBody(req.opts.body, hint);
  } catch (e) {
    if (e instanceof HansomError) throw e;
    throw new HansomError("invalid_option", `Invalid request body: ${(e as Error)?.message ?? e}`, {
      cause: e,
      phase: "input",
    });
  }
}

/** The middleware of a request: its pool's first, then its own. */
function chainOf(o: RequestOptions): Middleware[] {
  const pool = o.pool === false ? null : (o.pool ?? defaultPool);
  const own = o.middleware ?? [];
  return pool && pool.middleware.length > 0 ? [...pool.middleware, ...own] : own;
}

/** Sends a prepared request through its middleware chain (none: straight to performRequest). */
function send(req: PreparedRequest, hooks: RequestHooks): Promise<Response> {
  const chain = chainOf(req.opts);
  if (chain.length === 0) return performRequest(req, hooks);
  // json, query and baseUrl are already in the URL and body the middleware sees.
  const { middleware: _m, headers: _h, body, json: _j, query: _q, baseUrl: _b, ...options } = req.opts;
  const first: MiddlewareRequest = {
    method: req.method,
    url: req.url.href,
    headers: new Headers(req.headers.pairs),
    body,
    options,
  };
  // What a middleware hands on (changed or not) is checked like any request input.
  return runChain(chain, first, (r) =>
    performRequest(prepareRequest(r.method, r.url, { ...r.options, headers: [...r.headers], body: r.body }), hooks),
  );
}

/** @internal request() in its three shapes; Connection.request passes its own hooks. */
export async function dispatch(
  method: string,
  url: string | URL,
  opts: RequestOptions | StreamedRequestOptions,
  hooks: RequestHooks = {},
): Promise<Response | AsyncStream | RequestHandle> {
  // Input is checked once, here, before any connection, whichever shape the call takes.
  const req = prepareRequest(method, url, opts as RequestOptions, hooks.baseHeaders);
  const o = req.opts;
  if (o.body !== "stream" && !o.async && !o.streamTo) return send(req, hooks);
  // The other two shapes resolve before the request runs: a bad proxy option must fail now.
  resolveProxy(o.proxy, req.url, await getAdapter());
  if (o.body === "stream") {
    if (o.async || o.streamTo)
      throw new HansomError(
        "invalid_option",
        'body: "stream" cannot be combined with async or streamTo; read the response from handle.response()',
        { phase: "input" },
      );
    const headers = req.headers.pairs;
    const cl = req.headers.get("content-length");
    const length = cl !== undefined && !req.headers.has("transfer-encoding") ? Number(cl) : null;
    return new StreamedRequest(
      (body, extra) =>
        performRequest(prepareRequest(method, url, { ...o, body: undefined, headers: [...headers, ...extra] }), {
          ...hooks,
          baseHeaders: undefined,
          streamBody: body,
        }),
      headers,
      length,
    );
  }
  // async / streamTo: events (streamTo alone implies async mode).
  const body = await preEncode(req);
  const plain: PreparedRequest = { ...req, opts: { ...o, body: undefined, async: undefined, streamTo: undefined } };
  const stream = new AsyncStream(
    (onRedirect) => send(plain, { ...hooks, onRedirect, streamBody: body ?? undefined }),
    o.async === "once" ? "once" : true,
  );
  if (o.streamTo) void stream.pipeTo(o.streamTo);
  return stream;
}

/**
 * Sends a request (hackney:request) and resolves to a Response once the status line and headers are in, the
 * body still unread; with `async` or `streamTo` to an AsyncStream of events, with `body: "stream"` to a
 * RequestHandle that the caller writes the body into. Bad input rejects before any connection is made:
 * `invalid_url`, `invalid_option`, `invalid_header`, `file_error`. Then it can reject with `connect_timeout`,
 * `econnrefused`, `econnreset`, `nxdomain`, `tls_error`, `proxy_error`, `checkout_timeout` (pool full),
 * `recv_timeout`, `bad_response`, `closed`, `max_redirect`, `aborted` (the signal) and, with throwHttpErrors,
 * `http_error` for a 4xx or 5xx answer. Any status is a Response otherwise: check `res.ok`.
 * @example
 * import { request, isHansomError } from "hansom";
 * try {
 *   const res = await request("POST", "http://127.0.0.1:8080/items", { json: { name: "a" }, recvTimeout: 10_000 });
 *   console.log(res.status, await res.json());
 * } catch (e) {
 *   if (isHansomError(e, "econnrefused")) console.error("nothing listens on 127.0.0.1:8080");
 *   else throw e;
 * }
 */
export function request(method: string, url: string | URL, opts: StreamedRequestOptions): Promise<RequestHandle>;
export function request(method: string, url: string | URL, opts: AsyncRequestOptions): Promise<AsyncStream>;
export function request(method: string, url: string | URL, opts?: RequestOptions): Promise<Response>;
export function request(
  method: string,
  url: string | URL,
  opts: RequestOptions | StreamedRequestOptions = {},
): Promise<Response | AsyncStream | RequestHandle> {
  return dispatch(method, url, opts);
}

/**
 * Sends a GET request (hackney:get), as request("GET", url, opts).
 * Resolves to a Response once the headers are in (an AsyncStream with `async`/`streamTo`, a RequestHandle with
 * `body: "stream"`); rejects with request()'s HansomError codes, e.g. `invalid_url`, `econnrefused`,
 * `connect_timeout`, `recv_timeout`.
 * @example
 * import { get } from "hansom";
 * const res = await get("http://127.0.0.1:8080/users", { query: { page: "2" } });
 * if (res.ok) console.log(await res.json());
 * else await res.skip();
 */
export function get(url: string | URL, opts: StreamedRequestOptions): Promise<RequestHandle>;
export function get(url: string | URL, opts: AsyncRequestOptions): Promise<AsyncStream>;
export function get(url: string | URL, opts?: RequestOptions): Promise<Response>;
export function get(
  url: string | URL,
  opts?: RequestOptions | StreamedRequestOptions,
): Promise<Response | AsyncStream | RequestHandle> {
  return dispatch("GET", url, opts ?? {});
}

/**
 * Sends a HEAD request, as request("HEAD", url, opts): the Response has status and headers, no body
 * (`res.body` is null).
 * Resolves to a Response once the headers are in (an AsyncStream with `async`/`streamTo`, a RequestHandle with
 * `body: "stream"`); rejects with request()'s HansomError codes, e.g. `invalid_url`, `econnrefused`,
 * `connect_timeout`, `recv_timeout`.
 * @example
 * import { head } from "hansom";
 * const res = await head("http://127.0.0.1:8080/file.bin");
 * console.log(res.status, res.headers.get("content-length"));
 */
export function head(url: string | URL, opts: StreamedRequestOptions): Promise<RequestHandle>;
export function head(url: string | URL, opts: AsyncRequestOptions): Promise<AsyncStream>;
export function head(url: string | URL, opts?: RequestOptions): Promise<Response>;
export function head(
  url: string | URL,
  opts?: RequestOptions | StreamedRequestOptions,
): Promise<Response | AsyncStream | RequestHandle> {
  return dispatch("HEAD", url, opts ?? {});
}

/**
 * Sends a POST request with `opts.body` or `opts.json`, as request("POST", url, opts).
 * Resolves to a Response once the headers are in (an AsyncStream with `async`/`streamTo`, a RequestHandle with
 * `body: "stream"`); rejects with request()'s HansomError codes, e.g. `invalid_url`, `econnrefused`,
 * `connect_timeout`, `recv_timeout`.
 * @example
 * import { post } from "hansom";
 * const res = await post("http://127.0.0.1:8080/items", { json: { name: "a" } });
 * console.log(res.status, await res.text());
 */
export function post(url: string | URL, opts: StreamedRequestOptions): Promise<RequestHandle>;
export function post(url: string | URL, opts: AsyncRequestOptions): Promise<AsyncStream>;
export function post(url: string | URL, opts?: RequestOptions): Promise<Response>;
export function post(
  url: string | URL,
  opts?: RequestOptions | StreamedRequestOptions,
): Promise<Response | AsyncStream | RequestHandle> {
  return dispatch("POST", url, opts ?? {});
}

/**
 * Sends a PUT request with `opts.body`, as request("PUT", url, opts).
 * Resolves to a Response once the headers are in (an AsyncStream with `async`/`streamTo`, a RequestHandle with
 * `body: "stream"`); rejects with request()'s HansomError codes, e.g. `invalid_url`, `econnrefused`,
 * `connect_timeout`, `recv_timeout`.
 * @example
 * import { put } from "hansom";
 * const res = await put("http://127.0.0.1:8080/items/1", {
 *   body: "new text",
 *   headers: { "content-type": "text/plain" },
 * });
 * await res.skip();
 */
export function put(url: string | URL, opts: StreamedRequestOptions): Promise<RequestHandle>;
export function put(url: string | URL, opts: AsyncRequestOptions): Promise<AsyncStream>;
export function put(url: string | URL, opts?: RequestOptions): Promise<Response>;
export function put(
  url: string | URL,
  opts?: RequestOptions | StreamedRequestOptions,
): Promise<Response | AsyncStream | RequestHandle> {
  return dispatch("PUT", url, opts ?? {});
}

/**
 * Sends a PATCH request with `opts.body`, as request("PATCH", url, opts).
 * Resolves to a Response once the headers are in (an AsyncStream with `async`/`streamTo`, a RequestHandle with
 * `body: "stream"`); rejects with request()'s HansomError codes, e.g. `invalid_url`, `econnrefused`,
 * `connect_timeout`, `recv_timeout`.
 * @example
 * import { patch } from "hansom";
 * const res = await patch("http://127.0.0.1:8080/items/1", { json: { name: "b" } });
 * console.log(res.status);
 * await res.skip();
 */
export function patch(url: string | URL, opts: StreamedRequestOptions): Promise<RequestHandle>;
export function patch(url: string | URL, opts: AsyncRequestOptions): Promise<AsyncStream>;
export function patch(url: string | URL, opts?: RequestOptions): Promise<Response>;
export function patch(
  url: string | URL,
  opts?: RequestOptions | StreamedRequestOptions,
): Promise<Response | AsyncStream | RequestHandle> {
  return dispatch("PATCH", url, opts ?? {});
}

/**
 * Sends a DELETE request (named del: delete is a reserved word), as request("DELETE", url, opts).
 * Resolves to a Response once the headers are in (an AsyncStream with `async`/`streamTo`, a RequestHandle with
 * `body: "stream"`); rejects with request()'s HansomError codes, e.g. `invalid_url`, `econnrefused`,
 * `connect_timeout`, `recv_timeout`.
 * @example
 * import { del } from "hansom";
 * const res = await del("http://127.0.0.1:8080/items/1");
 * console.log(res.status); // e.g. 204
 * await res.skip();
 */
export function del(url: string | URL, opts: StreamedRequestOptions): Promise<RequestHandle>;
export function del(url: string | URL, opts: AsyncRequestOptions): Promise<AsyncStream>;
export function del(url: string | URL, opts?: RequestOptions): Promise<Response>;
export function del(
  url: string | URL,
  opts?: RequestOptions | StreamedRequestOptions,
): Promise<Response | AsyncStream | RequestHandle> {
  return dispatch("DELETE", url, opts ?? {});
}

/**
 * Sends an OPTIONS request, as request("OPTIONS", url, opts).
 * Resolves to a Response once the headers are in (an AsyncStream with `async`/`streamTo`, a RequestHandle with
 * `body: "stream"`); rejects with request()'s HansomError codes, e.g. `invalid_url`, `econnrefused`,
 * `connect_timeout`, `recv_timeout`.
 * @example
 * import { options } from "hansom";
 * const res = await options("http://127.0.0.1:8080/items");
 * console.log(res.headers.get("allow"));
 * await res.skip();
 */
export function options(url: string | URL, opts: StreamedRequestOptions): Promise<RequestHandle>;
export function options(url: string | URL, opts: AsyncRequestOptions): Promise<AsyncStream>;
export function options(url: string | URL, opts?: RequestOptions): Promise<Response>;
export function options(
  url: string | URL,
  opts?: RequestOptions | StreamedRequestOptions,
): Promise<Response | AsyncStream | RequestHandle> {
  return dispatch("OPTIONS", url, opts ?? {});
}

/**
 * Sends a TRACE request, as request("TRACE", url, opts).
 * Resolves to a Response once the headers are in (an AsyncStream with `async`/`streamTo`, a RequestHandle with
 * `body: "stream"`); rejects with request()'s HansomError codes, e.g. `invalid_url`, `econnrefused`,
 * `connect_timeout`, `recv_timeout`.
 * @example
 * import { trace } from "hansom";
 * const res = await trace("http://127.0.0.1:8080/");
 * console.log(await res.text()); // the request as the server received it
 */
export function trace(url: string | URL, opts: StreamedRequestOptions): Promise<RequestHandle>;
export function trace(url: string | URL, opts: AsyncRequestOptions): Promise<AsyncStream>;
export function trace(url: string | URL, opts?: RequestOptions): Promise<Response>;
export function trace(
  url: string | URL,
  opts?: RequestOptions | StreamedRequestOptions,
): Promise<Response | AsyncStream | RequestHandle> {
  return dispatch("TRACE", url, opts ?? {});
}
