// RequestOptions: every option a request takes, with its meaning and default. Their checks,
// scopes and defaults are in option-registry.ts.
import type { Pool } from "./pool.ts";
import type { RequestBody } from "./body.ts";
import type { TlsOptions } from "./runtime/socket.ts";
import type { ResponseEvent } from "./events.ts";
import type { ProxyOption, ProxyTlsOptions } from "./proxy/index.ts";
import type { HeadersInput } from "./headers.ts";
import type { RetryOptions } from "./retry-policy.ts";
import type { CookieStore } from "./cookie-jar.ts";
import type { Middleware } from "./middleware.ts";

export type { HeadersInput };

/** Progress of body bytes, for onProgress. */
export interface Progress {
  phase: "upload" | "download";
  loaded: number;
  total?: number;
}

/** Options of one request (hackney's request options). */
export interface RequestOptions {
  /** Request headers; order and case are kept on the wire. */
  headers?: HeadersInput;
  /** The request body: see RequestBody for every kind accepted. */
  body?: RequestBody;
  /** Read the whole body before the promise resolves. @default false */
  withBody?: boolean;
  /** Largest body accepted, in bytes; more is `body_too_large`. */
  maxBody?: number;
  /** Follow 3xx redirects. @default false */
  followRedirect?: boolean;
  /** Redirects allowed before `max_redirect`. @default 5 */
  maxRedirect?: number;
  /** Follow 301/302 for methods other than GET/HEAD too. @default false */
  forceRedirect?: boolean;
  /** HTTP basic credentials. */
  basicAuth?: [string, string];
  /** Cookies, sent as one Cookie header. */
  cookie?: string | string[];
  /** Proxy: a URL, an object (ProxyOption), or "env" for HTTP_PROXY / HTTPS_PROXY / NO_PROXY. */
  proxy?: ProxyOption;
  /**
   * TLS to an https:// proxy (the origin's TLS keeps `tls` and `insecure`): the CA that signed the
   * proxy's certificate (replaces the system store), a client certificate and key for the proxy,
   * the servername to check, or insecure to skip verifying it. @default system CAs, verification on
   */
  proxyTls?: ProxyTlsOptions;
  /** Skip TLS certificate verification. @default false */
  insecure?: boolean;
  /** TLS settings. @default system CAs, verification on */
  tls?: TlsOptions;
  /** Milliseconds for TCP connect plus TLS handshake. @default 8000 */
  connectTimeout?: number;
  /** Milliseconds of silence allowed between reads. @default 5000 */
  recvTimeout?: number;
  /** Milliseconds to wait for a pooled connection. @default connectTimeout */
  checkoutTimeout?: number;
  /** The pool to use; false for a fresh connection closed after. @default defaultPool */
  pool?: Pool | false;
  /** Encodes the request path. @default pathEncode (RFC 3986) */
  pathEncode?: (path: string) => string;
  /** Aborts the request at any stage. */
  signal?: AbortSignal;
  /** Deliver the response as events: request() resolves to an AsyncStream. */
  async?: true | "once";
  /** Write the events into this stream (implies async mode). */
  streamTo?: WritableStream<ResponseEvent>;
  /** Called as body bytes move, at most every 64 KiB or 100 ms. */
  onProgress?: (p: Progress) => void;
  /** Largest response head in bytes. @default 65536 */
  maxHeaderSize?: number;
  /**
   * Decode the response body's Content-Encoding (gzip, x-gzip, deflate, br, zstd where the
   * runtime has them) and send Accept-Encoding for those unless the caller set one. maxBody
   * counts decoded bytes; res.headers keeps the server's Content-Encoding. @default false
   */
  decompress?: boolean;
  /**
   * Retries of a failed request, as got and ky do them: a limit, or the rules (statuses,
   * methods, backoff, Retry-After). Only idempotent methods and bodies that can be sent again.
   */
  retry?: number | RetryOptions;
  /**
   * A CookieJar (or any store with getCookieString/setCookie): cookies sent from it and stored into it on every hop.
   */
  cookieJar?: CookieStore;
  /**
   * Protocols offered by ALPN on https, in order of preference; the server's choice is used.
   * ["h2", "http/1.1"] turns HTTP/2 on. @default ["http/1.1"]
   */
  protocols?: Array<"h2" | "http/1.1">;
  /** Connect to this Unix domain socket instead of the URL's host and port; Host stays the URL's. */
  socketPath?: string;
  /** Speak HTTP/2 from the first byte on cleartext http:// (h2c, RFC 9113 §3.3). @default false */
  http2PriorKnowledge?: boolean;
  /** A value sent as the JSON body, with Content-Type: application/json unless set; not with body. */
  json?: unknown;
  /** Pairs appended to the URL's query, in order, encoded as qs() does. */
  query?: Record<string, string | number | boolean> | Array<[string, string]> | URLSearchParams;
  /** A relative url is resolved against it, as `new URL(url, baseUrl)`. */
  baseUrl?: string | URL;
  /** A final status >= 400 rejects with code http_error; the unread Response is on err.response. @default false */
  throwHttpErrors?: boolean;
  /** Functions run around the request, after the pool's own (see Middleware). */
  middleware?: Middleware[];
}
