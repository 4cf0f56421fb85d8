// The public surface of hansom, name by name: every export is listed here.
import { request, get, head, post, put, patch, del, options, trace } from "./client.ts";
import { connect, Connection } from "./connection.ts";
import { Pool, defaultPool } from "./pool.ts";
import { Response } from "./response.ts";
import { AsyncStream } from "./events.ts";
import { HansomError, isHansomError } from "./errors.ts";
import { parseUrl, pathEncode, urlEncode, urlDecode, qs, parseQs, makeUrl } from "./url.ts";
import { boundary, multipartLength } from "./multipart/encode.ts";
import { CookieJar } from "./cookie-jar.ts";

export { request, get, head, post, put, patch, del, options, trace };
export { connect, Connection };
export { Pool, defaultPool };
export { Response };
/** The same class as Response, under a name that does not shadow the platform's Response. */
export { Response as HansomResponse };
export { AsyncStream };
export { HansomError, isHansomError };
export { parseUrl, pathEncode, urlEncode, urlDecode, qs, parseQs, makeUrl };
export { boundary, multipartLength };
export { CookieJar };

export type { AsyncRequestOptions, StreamedRequestOptions } from "./client.ts";
export type { ConnectOptions } from "./connection.ts";
export type { PoolOptions, PoolStats } from "./pool.ts";
export type { RequestOptions, HeadersInput, Progress } from "./options.ts";
export type { RequestBody, BodyChunk } from "./body.ts";
export type { RedirectRecord, RequestInfo, Detached, ReadOptions } from "./response.ts";
export type { DetachedSocket } from "./detached.ts";
export type { ResponseEvent } from "./events.ts";
export type { RequestHandle } from "./request-handle.ts";
export type { HansomErrorCode, HansomErrorPhase } from "./errors.ts";
export type { ParsedUrl } from "./url.ts";
export type { Part } from "./multipart/encode.ts";
export type { SendPartEvent } from "./multipart/writer.ts";
export type { ReceivePartEvent } from "./multipart/decode.ts";
export type { ProxyOption, ProxyTlsOptions } from "./proxy/index.ts";
export type { SocketAddress, TlsOptions } from "./runtime/socket.ts";
export type { CookieStore, CookieInfo, CookieJarOptions } from "./cookie-jar.ts";
export type { RetryOptions } from "./retry-policy.ts";
export type { Middleware, MiddlewareRequest } from "./middleware.ts";

/** Every export in one object: `import hansom from "hansom"`. */
const hansom = {
  request,
  get,
  head,
  post,
  put,
  patch,
  del,
  options,
  trace,
  connect,
  Connection,
  Pool,
  defaultPool,
  Response,
  HansomResponse: Response,
  AsyncStream,
  HansomError,
  isHansomError,
  parseUrl,
  pathEncode,
  urlEncode,
  urlDecode,
  qs,
  parseQs,
  makeUrl,
  boundary,
  multipartLength,
  CookieJar,
};
export default hansom;
