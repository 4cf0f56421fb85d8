// The contracts between one HTTP/1.1 exchange and those around it: what a request hands the
// connection (ExchangeSpec), and how a Response reads the body back (BodySource / BodySink).
import type { HansomError } from "../errors.ts";
import type { RawSocket } from "../runtime/socket.ts";
import type { EncodedBody } from "../body.ts";
import type { ParserState } from "./parse.ts";

/** Receives a response body; data() returning false asks the source to pause. */
export interface BodySink {
  data(chunk: Uint8Array): boolean;
  end(trailers: Array<[string, string]> | null): void;
  error(err: HansomError): void;
}

/** What a Response reads its body from. */
export interface BodySource {
  /** Start or restart delivery to the sink. */
  read(sink: BodySink): void;
  /** Abandon the body: the connection is destroyed. */
  cancel(): void;
  /** Hands the socket over (hackney cancel_request). */
  detach(): { state: ParserState; socket: RawSocket; buffer: Uint8Array };
}

/** One request on a connection. */
export interface ExchangeSpec {
  head: Uint8Array;
  body: EncodedBody | null;
  /** HEAD (and CONNECT): the response has no body. */
  noBody: boolean;
  /** The request asked to switch protocols (it sent Upgrade): only then is a 101 acceptable. */
  upgrade: boolean;
  /** Wait for 100 Continue (at most 1000 ms) before sending the body. */
  expectContinue: boolean;
  recvTimeout: number;
  signal?: AbortSignal;
  onUpload?: (bytes: number, done?: boolean) => void;
}
