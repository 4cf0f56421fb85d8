// connect() and Connection (hackney connect / send_request / setopts): requests in sequence
// on one kept-alive socket, re-dialled when the server closed it between requests.
import { HansomError } from "./errors.ts";
import type { HttpConnection } from "./exchange.ts";
import type { Response } from "./response.ts";
import type { RequestOptions } from "./options.ts";
import type { SocketAddress } from "./runtime/socket.ts";
import { parseUrl, originOf } from "./url.ts";
import type { ParsedUrl } from "./url.ts";
import { headerPairs } from "./headers.ts";
import { validateOptions } from "./option-registry.ts";
import { dialFor } from "./dial.ts";
import { dispatch } from "./client.ts";
import type { AsyncRequestOptions, StreamedRequestOptions } from "./client.ts";
import type { AsyncStream } from "./events.ts";
import type { RequestHandle } from "./request-handle.ts";
import type { Dispatcher } from "./request.ts";

/** The connection-level request options: TLS, timeouts, proxy, signal, and headers sent with every request. */
export type ConnectOptions = Pick<
  RequestOptions,
  | "tls"
  | "insecure"
  | "connectTimeout"
  | "recvTimeout"
  | "proxy"
  | "proxyTls"
  | "signal"
  | "headers"
  | "maxHeaderSize"
  | "protocols"
  | "http2PriorKnowledge"
  | "socketPath"
>;

/**
 * One socket to one origin, requests sent in turn (hackney:connect): a request waits until the one before it
 * has released the socket (its body read, skipped or closed), and a socket the server closed in between is
 * dialled again. Made by connect(); not part of any pool.
 * @example
 * import { connect } from "hansom";
 * const conn = await connect("http://127.0.0.1:8080/");
 * try {
 *   const a = await conn.request("GET", "/a");
 *   console.log(await a.text());
 *   const b = await conn.request("GET", "/b?x=1");
 *   console.log(await b.text());
 * } finally {
 *   await conn.close();
 * }
 */
export class Connection {
  #origin: ParsedUrl;
  #opts: RequestOptions;
  #conn: HttpConnection | null = null;
  #busy = false;
  #closed = false;
  #waiters: Array<() => void> = [];
  #key = "";
  #dispatcher: Dispatcher;

  /** Not for callers: connect() makes Connections. */
  constructor(...internal: never);
  /** @internal use connect() */
  constructor(origin: ParsedUrl, opts: RequestOptions);
  constructor(origin: ParsedUrl, opts: RequestOptions) {
    this.#origin = origin;
    this.#opts = opts;
    this.#dispatcher = {
      checkout: (key, dial) => this.#checkout(key, dial),
      release: (c, reusable) => this.#release(c, reusable),
    };
  }

  /** @internal opens the socket now, so connect() fails early. */
  async open(): Promise<void> {
    const { key, dial } = await dialFor(this.#origin, this.#opts, this.#dispatcher.release);
    this.#conn = await dial();
    this.#key = key;
  }

  async #checkout(key: string, dial: () => Promise<HttpConnection>): Promise<HttpConnection> {
    if (this.#closed) throw new HansomError("closed", "The connection was closed with close()", { phase: "checkout" });
    if (this.#key && key !== this.#key) {
      // A redirect to another origin: a one-off socket, closed after.
      const c = await dial();
      this.#oneOff.add(c);
      return c;
    }
    while (this.#busy) await new Promise<void>((r) => this.#waiters.push(r));
    if (this.#closed) throw new HansomError("closed", "The connection was closed with close()", { phase: "checkout" });
    this.#busy = true;
    try {
      if (!this.#conn || this.#conn.closed) {
        this.#conn = await dial();
        this.#key = key;
      }
      return this.#conn;
    } catch (e) {
      this.#busy = false;
      this.#waiters.shift()?.();
      throw e;
    }
  }
  #oneOff = new Set<HttpConnection>();

  #release(c: HttpConnection, reusable: boolean): void {
    if (this.#oneOff.delete(c) || c !== this.#conn) {
      c.destroy();
      return;
    }
    if (!reusable || this.#closed) {
      c.destroy();
      this.#conn = null;
    }
    this.#busy = false;
    this.#waiters.shift()?.();
  }

  /**
   * Sends a request on this connection (hackney:send_request), with the connection's options and headers (a
   * request's own header replaces one of the same name); `path` may carry a query, and an absolute URL to
   * another origin goes over a one-off socket. Resolves like request() (Response, AsyncStream or
   * RequestHandle) and rejects with its codes; after close() it rejects with `closed`.
   * @example
   * const conn = await connect("http://127.0.0.1:8080/");
   * const res = await conn.request("POST", "/items?draft=1", { json: { name: "a" } });
   * console.log(res.status, await res.json());
   * await conn.close();
   */
  request(method: string, path: string, opts: StreamedRequestOptions): Promise<RequestHandle>;
  request(method: string, path: string, opts: AsyncRequestOptions): Promise<AsyncStream>;
  request(method: string, path: string, opts?: RequestOptions): Promise<Response>;
  request(
    method: string,
    path: string,
    opts: RequestOptions | StreamedRequestOptions = {},
  ): Promise<Response | AsyncStream | RequestHandle> {
    if (this.#closed)
      return Promise.reject(new HansomError("closed", "The connection was closed with close()", { phase: "checkout" }));
    const url = /^https?:\/\//i.test(path)
      ? path
      : `${originOf(this.#origin)}${path.startsWith("/") ? "" : "/"}${path}`;
    // A request's own header replaces the connection's header of the same name (prepareRequest).
    const merged = { ...this.#opts, ...opts, headers: (opts as RequestOptions).headers } as RequestOptions;
    return dispatch(method, url, merged, {
      dispatcher: this.#dispatcher,
      baseHeaders: headerPairs(this.#opts.headers),
    });
  }

  /**
   * Changes options for the requests that follow (hackney:setopts), merged over the current ones; the request
   * in progress keeps its own. A bad option throws `invalid_option` (`invalid_header`
   * for a bad header) and changes nothing.
   * @example
   * const conn = await connect("http://127.0.0.1:8080/");
   * conn.setOptions({ recvTimeout: 30_000, headers: { authorization: "Bearer t0k3n" } });
   * await (await conn.request("GET", "/slow")).skip();
   */
  setOptions(opts: Partial<RequestOptions>): void {
    validateOptions(opts);
    this.#opts = { ...this.#opts, ...opts };
  }

  /**
   * The server's address on the open socket; throws `closed` when none is open (after close(), or after a
   * response that left the connection unusable, until the next request dials again).
   * @example
   * const conn = await connect("http://127.0.0.1:8080/");
   * console.log(conn.peer); // e.g. { address: "127.0.0.1", port: 8080, family: "IPv4" }
   */
  get peer(): SocketAddress {
    return this.#socket().remote;
  }
  /**
   * This side's address of the socket; throws `closed` when no socket is open.
   * @example
   * const conn = await connect("http://127.0.0.1:8080/");
   * console.log(`${conn.local.address}:${conn.local.port}`);
   */
  get local(): SocketAddress {
    return this.#socket().local;
  }
  #socket() {
    if (!this.#conn) throw new HansomError("closed", "The connection is not open", { phase: "connect" });
    return { remote: this.#conn.peer, local: this.#conn.local };
  }

  /**
   * Closes the socket at once (hackney:close), cutting off a body still being read; requests waiting their turn
   * and any later ones reject with `closed`. Resolves when done; calling it again does nothing more.
   * @example
   * const conn = await connect("http://127.0.0.1:8080/");
   * await (await conn.request("GET", "/")).skip();
   * await conn.close();
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#conn?.destroy();
    this.#conn = null;
    for (const w of this.#waiters.splice(0)) w();
  }
}

/**
 * Opens a connection to `url`'s origin now (hackney:connect), through `opts.proxy` if given, and resolves to a
 * Connection once the socket (and TLS) is up; the URL's path is ignored. Rejects with `invalid_url`,
 * `invalid_option` or `invalid_header` for bad input, else with `connect_timeout`, `econnrefused`,
 * `nxdomain`, `tls_error`, `proxy_error` or `aborted`.
 * @example
 * import { connect } from "hansom";
 * const conn = await connect("http://127.0.0.1:8080/", { connectTimeout: 2000, recvTimeout: 10_000 });
 * const res = await conn.request("GET", "/health");
 * console.log(res.status);
 * await res.skip();
 * await conn.close();
 */
export async function connect(url: string | URL, opts: ConnectOptions = {}): Promise<Connection> {
  const origin = parseUrl(url);
  validateOptions(opts);
  const c = new Connection(origin, { ...opts });
  await c.open();
  return c;
}
