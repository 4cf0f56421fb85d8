// The protocol-neutral seam between a request and the connection that carries it. request.ts,
// pool.ts, connection.ts and response.ts are written against these types only; http1/ (and a
// multiplexing http2/) implement HttpConnection. Nothing here knows how bytes are framed.
import type { HansomError } from "./errors.ts";
import type { EncodedBody } from "./body.ts";
import type { RawSocket, SocketAddress } from "./runtime/socket.ts";

/** The HTTP version a response came in. */
export type HttpVersion = "1.0" | "1.1" | "2";

/** The final status and header section of a response, whatever protocol carried it. */
export interface ResponseHead {
  status: number;
  statusText: string;
  httpVersion: HttpVersion;
  /** Field lines in wire order and case. */
  rawHeaders: Array<[string, string]>;
  /** The declared body length, when the framing gives one. */
  contentLength: number | null;
}

/** Receives a response body; data() returning false asks the source to pause. */
export interface BodySink {
  data(chunk: Uint8Array): boolean;
  end(trailers: Array<[string, string]> | null): void;
  error(err: HansomError): void;
}

/** Where the wire was when a connection was handed over (hackney's parser states). */
export type WireState = "waiting_response" | "on_status" | "on_headers" | "on_body" | "done";

/** A socket taken out of hansom's hands, with the bytes read from it that nobody has seen. */
export interface DetachedWire {
  state: WireState;
  socket: RawSocket;
  buffer: Uint8Array;
}

/** What a Response reads its body from. */
export interface BodySource {
  /** Start or restart delivery to the sink. */
  read(sink: BodySink): void;
  /** Abandon the body: the exchange ends and its connection is not reused. */
  cancel(): void;
  /** Hands the socket over (hackney cancel_request); throws when the protocol cannot. */
  detach(): DetachedWire;
}

/** One request as the connection needs it: what to send and how to wait for the answer. */
export interface RequestSpec {
  method: string;
  scheme: "http" | "https";
  /** host[:port] of the target (HTTP/1.1 Host, HTTP/2 :authority). */
  authority: string;
  /** The request target in origin form: path and query. */
  path: string;
  /** Send the target in absolute form (to an HTTP proxy, RFC 9112 §3.2.2). */
  absoluteForm: boolean;
  /** Header fields in the caller's order; the protocol adds Host/framing fields itself. */
  headers: Array<[string, string]>;
  body: EncodedBody | null;
  /** HEAD (and CONNECT): the response has no body whatever its headers say. */
  noBody: boolean;
  /** Wait for 100 Continue (at most 1000 ms) before sending the body. */
  expectContinue: boolean;
  /** The request asked to switch protocols (it sent Upgrade): only then is a 101 acceptable. */
  upgrade: boolean;
  /** No request follows on this connection (pool: false): HTTP/1.1 says Connection: close. */
  lastRequest: boolean;
  recvTimeout: number;
  /** Largest response head in bytes, for this exchange. */
  maxHeaderSize: number;
  signal?: AbortSignal;
  onUpload?: (bytes: number, done?: boolean) => void;
}

/** What an exchange resolves with once the head is in. */
export interface ExchangeResult {
  head: ResponseHead;
  /** The body, or null when the response has none (HEAD, 1xx, 204, 304). */
  body: BodySource | null;
  /** A body that is there but empty (Content-Length: 0). */
  empty: boolean;
}

/** One connection to one origin, over HTTP/1.1 or a multiplexed protocol. */
export interface HttpConnection {
  /** The pool key it was opened for. */
  readonly key: string;
  readonly protocol: "http/1.1" | "h2";
  /** Exchanges it can carry at once: 1 for HTTP/1.1. */
  readonly capacity: number;
  /** Exchanges in flight now. */
  readonly active: number;
  /** Exchanges completed; > 0 means the next one is on a reused connection. */
  readonly served: number;
  /** When the last exchange ended (ms since the epoch), for idle eviction order. */
  readonly lastUsed: number;
  readonly closed: boolean;
  /** Open with nothing in flight. */
  readonly idle: boolean;
  readonly peer: SocketAddress;
  readonly local: SocketAddress;
  /** Sends a request and resolves with the response head and a body source. */
  exchange(spec: RequestSpec): Promise<ExchangeResult>;
  /** Called by the pool when the connection goes idle: report the server closing it. */
  watchIdle(onClosed: () => void): void;
  /** Drops the connection (pool close, eviction, a failed exchange). */
  destroy(): void;
}

/** How a connection hands itself back when an exchange is over. */
export type Release = (conn: HttpConnection, reusable: boolean) => void;

// Errors of exchanges that failed before any response byte, on a connection that had served
// before: the stale keep-alive race, safe to retry once for an idempotent, replayable request.
const beforeResponse = new WeakSet<HansomError>();

/** Marks `err` as a failure before any response byte (the connection's verdict). */
export function markBeforeResponse(err: HansomError): HansomError {
  beforeResponse.add(err);
  return err;
}

/** True when the exchange failed before any response byte arrived. */
export function failedBeforeResponse(err: HansomError): boolean {
  return beforeResponse.has(err);
}
