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
import { dialFor } from "./request.ts";
import { dispatch } from "./client.ts";
import type { AsyncRequestOptions, StreamedRequestOptions } from "./client.ts";
import type { AsyncStream } from "./events.ts";
import type { RequestHandle } from "./request-handle.ts";
import type { Dispatcher } from "./request.ts";

/** The connection-level request options: TLS, timeouts, proxy, signal, and headers sent with every request. */
export type ConnectOptions = Pick<RequestOptions,
  "tls" | "insecure" | "connectTimeout" | "recvTimeout" | "proxy" | "proxyTls" | "signal" | "headers" | "maxHeaderSize" | "protocols" |
  "http2PriorKnowledge" | "socketPath">;

/** One socket to one origin, requests sent in turn (hackney:connect). */
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

  /** Sends a request on this connection (hackney:send_request); `path` may carry a query. */
  request(method: string, path: string, opts: StreamedRequestOptions): Promise<RequestHandle>;
  request(method: string, path: string, opts: AsyncRequestOptions): Promise<AsyncStream>;
  request(method: string, path: string, opts?: RequestOptions): Promise<Response>;
  request(method: string, path: string, opts: RequestOptions | StreamedRequestOptions = {}): Promise<Response | AsyncStream | RequestHandle> {
    if (this.#closed) return Promise.reject(new HansomError("closed", "The connection was closed with close()", { phase: "checkout" }));
    const url = /^https?:\/\//i.test(path) ? path : `${originOf(this.#origin)}${path.startsWith("/") ? "" : "/"}${path}`;
    // A request's own header replaces the connection's header of the same name (prepareRequest).
    const merged = { ...this.#opts, ...opts, headers: (opts as RequestOptions).headers } as RequestOptions;
    return dispatch(method, url, merged, { dispatcher: this.#dispatcher, baseHeaders: headerPairs(this.#opts.headers) });
  }

  /** Changes options for the following requests (hackney:setopts). */
  setOptions(opts: Partial<RequestOptions>): void {
    validateOptions(opts);
    this.#opts = { ...this.#opts, ...opts };
  }

  /** The server's address. */
  get peer(): SocketAddress {
    return this.#socket().remote;
  }
  /** This side's address. */
  get local(): SocketAddress {
    return this.#socket().local;
  }
  #socket() {
    if (!this.#conn) throw new HansomError("closed", "The connection is not open", { phase: "connect" });
    return { remote: this.#conn.peer, local: this.#conn.local };
  }

  /** Closes the socket; later requests reject with `closed` (hackney:close). */
  async close(): Promise<void> {
    this.#closed = true;
    this.#conn?.destroy();
    this.#conn = null;
    for (const w of this.#waiters.splice(0)) w();
  }
}

/** Opens a connection to `url`'s origin (hackney:connect). */
export async function connect(url: string | URL, opts: ConnectOptions = {}): Promise<Connection> {
  const origin = parseUrl(url);
  validateOptions(opts);
  const c = new Connection(origin, { ...opts });
  await c.open();
  return c;
}
