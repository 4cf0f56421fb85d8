// Origins answered from code instead of the network (hansom/testing's mockOrigin): each hop
// of a request to a mocked origin, through any pool, gets its answer from the handler, with no
// socket opened. Redirects, retries, cookies and the readers work on mocked answers as on real
// ones, since the mock stands where the connection would.
import { HansomError } from "./errors.ts";
import { encodeBody } from "./body.ts";
import type { EncodedBody, RequestBody } from "./body.ts";
import type { BodySource, ResponseHead } from "./exchange.ts";
import { headerPairs } from "./headers.ts";
import type { HeadersInput } from "./headers.ts";
import type { MiddlewareRequest } from "./middleware.ts";
import type { RequestOptions } from "./options.ts";
import { Response } from "./response.ts";
import type { SocketAddress } from "./runtime/socket.ts";
import { concatBytes } from "./bytes.ts";
import { originOf, parseUrl } from "./url.ts";

/** What a mock handler may answer instead of a Response. */
export interface MockAnswer {
  /** @default 200 */
  status?: number;
  headers?: HeadersInput;
  body?: RequestBody;
}

/** Answers the requests to one origin. */
export type MockHandler = (req: MiddlewareRequest) => Response | MockAnswer | Promise<Response | MockAnswer>;

interface Entry {
  handler: MockHandler;
  calls: MiddlewareRequest[];
}

const mocks = new Map<string, Entry[]>();

/** The mocks registered now (checked before each hop; 0 costs one Map lookup). */
export function mockCount(): number {
  return mocks.size;
}

/** Registers `handler` for `origin`; the newest registration for an origin answers. */
export function registerMock(origin: string, handler: MockHandler): { restore(): void; calls: MiddlewareRequest[] } {
  if (typeof handler !== "function")
    throw new HansomError("invalid_option", "mockOrigin needs a handler function", { phase: "input" });
  const key = originOf(parseUrl(origin));
  const entry: Entry = { handler, calls: [] };
  const list = mocks.get(key) ?? [];
  list.push(entry);
  mocks.set(key, list);
  return {
    calls: entry.calls,
    restore: () => {
      const l = mocks.get(key);
      const at = l ? l.indexOf(entry) : -1;
      if (at >= 0) l!.splice(at, 1);
      if (l && l.length === 0) mocks.delete(key);
    },
  };
}

/** The mock answering `origin` ("scheme://host[:port]"), if any. */
export function mockFor(origin: string): Entry | undefined {
  return mocks.get(origin)?.at(-1);
}

const MOCK_ADDRESS: SocketAddress = { address: "mock", port: 0, family: "IPv4" };

async function collect(body: EncodedBody | null): Promise<Uint8Array | undefined> {
  if (!body) return undefined;
  const parts: Uint8Array[] = [];
  for await (const c of body.open()) parts.push(c);
  return concatBytes(parts);
}

/** A body source over bytes already in memory. */
function bytesSource(bytes: Uint8Array): BodySource {
  return {
    read: (sink) => {
      if (bytes.byteLength > 0) sink.data(bytes);
      sink.end(null);
    },
    cancel: () => {},
    detach: () => {
      throw new HansomError("invalid_option", "detach() is not available on a mocked response: there is no socket", {
        phase: "body",
      });
    },
  };
}

/** A body source reading another Response (a handler may answer with one). */
function responseSource(res: Response): BodySource {
  const it = res[Symbol.asyncIterator]();
  return {
    read: (sink) => {
      const pump = (): void => {
        it.next().then(
          (r) => {
            if (r.done) sink.end(res.trailers);
            else if (sink.data(r.value)) pump();
          },
          (e: unknown) =>
            sink.error(
              e instanceof HansomError ? e : new HansomError("closed", String(e), { cause: e, phase: "body" }),
            ),
        );
      };
      pump();
    },
    cancel: () => void res.close(),
    detach: () => {
      throw new HansomError("invalid_option", "detach() is not available on a mocked response: there is no socket", {
        phase: "body",
      });
    },
  };
}

/** One hop answered by `entry`: what sendHop returns for a real connection. */
export async function mockedHop(
  entry: Entry,
  req: {
    method: string;
    url: string;
    headers: Array<[string, string]>;
    body: EncodedBody | null;
    options: RequestOptions;
  },
) {
  const call: MiddlewareRequest = {
    method: req.method,
    url: req.url,
    headers: new Headers(req.headers),
    body: await collect(req.body),
    options: req.options,
  };
  entry.calls.push(call);
  const answer = await entry.handler(call);
  const started = Date.now();
  const noBody = req.method === "HEAD";
  if (answer instanceof Response) {
    const head: ResponseHead = {
      status: answer.status,
      statusText: answer.statusText,
      httpVersion: answer.httpVersion,
      rawHeaders: answer.rawHeaders,
      contentLength: null,
    };
    const source = noBody || answer.body === null ? null : responseSource(answer);
    return {
      head,
      source,
      empty: false,
      peer: MOCK_ADDRESS,
      local: MOCK_ADDRESS,
      reused: false,
      timings: { firstByte: Date.now() - started },
      attempts: 1,
    };
  }
  const a = answer ?? {};
  const status = a.status ?? 200;
  if (!Number.isInteger(status) || status < 100 || status > 999)
    throw new HansomError(
      "invalid_option",
      `A mock answered with status ${status}: it must be an integer from 100 to 999`,
      { phase: "response" },
    );
  const rawHeaders = headerPairs(a.headers);
  const encoded = await encodeBody(a.body);
  const bytes = (await collect(encoded)) ?? new Uint8Array(0);
  if (encoded?.contentType && !rawHeaders.some(([k]) => k.toLowerCase() === "content-type"))
    rawHeaders.push(["content-type", encoded.contentType]);
  const bodiless = noBody || status === 204 || status === 304 || (status >= 100 && status < 200);
  const head: ResponseHead = {
    status,
    statusText: "",
    httpVersion: "1.1",
    rawHeaders,
    contentLength: bodiless ? null : bytes.byteLength,
  };
  return {
    head,
    source: bodiless || bytes.byteLength === 0 ? null : bytesSource(bytes),
    empty: !bodiless && bytes.byteLength === 0,
    peer: MOCK_ADDRESS,
    local: MOCK_ADDRESS,
    reused: false,
    timings: { firstByte: Date.now() - started },
    attempts: 1,
  };
}
