// The clients the bench compares, each behind one small interface. hansom and the runtime's
// fetch run everywhere; undici, node:http and @whatwg-node/fetch are loaded on Node only, by
// dynamic import, so Deno and Bun never resolve them.
import { Pool, request } from "../lib/index.ts";

/** One HTTP client, doing what each scenario asks of it. Every method checks status 200. */
export interface Peer {
  readonly name: string;
  /** GET, read the whole body into memory; resolves to its length. */
  getAll(url: string): Promise<number>;
  /** GET, stream the body and count it without keeping it; resolves to the count. */
  download(url: string): Promise<number>;
  /** POST `body`; resolves to the response text (the server's byte count). */
  upload(url: string, body: Uint8Array<ArrayBuffer>): Promise<string>;
  /** Closes its pool or agent. */
  close(): Promise<void>;
}

/** Same connection limit for every client that has one. */
export const MAX_CONNECTIONS = 64;

function expect200(name: string, status: number): void {
  if (status !== 200) throw new Error(`${name}: status ${status}, expected 200`);
}

/** hansom through its own Pool, as an application would use it. */
export function hansomPeer(): Peer {
  const pool = new Pool({ maxConnections: MAX_CONNECTIONS });
  const name = "hansom";
  return {
    name,
    async getAll(url) {
      const res = await request("GET", url, { pool });
      expect200(name, res.status);
      return (await res.bytes()).length;
    },
    async download(url) {
      const res = await request("GET", url, { pool });
      expect200(name, res.status);
      let n = 0;
      for await (const c of res) n += c.length;
      return n;
    },
    async upload(url, body) {
      const res = await request("POST", url, { pool, body });
      expect200(name, res.status);
      return res.text();
    },
    close: () => pool.close(),
  };
}

/** The part of a WHATWG stream reader the bench uses. */
interface ChunkReader {
  read(): Promise<{ done: true; value?: unknown } | { done: false; value: Uint8Array }>;
}
/** The part of a WHATWG fetch Response the bench uses, so ponyfills with their own types fit. */
interface FetchResponse {
  status: number;
  body: { getReader(): ChunkReader } | null;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}
type FetchLike<Init> = (url: string, init?: Init & { method?: string; body?: Uint8Array<ArrayBuffer> }) => Promise<FetchResponse>;

async function countStream(body: FetchResponse["body"]): Promise<number> {
  if (body === null) return 0;
  // A reader loop rather than for-await: the cheapest way through any WHATWG stream.
  const reader = body.getReader();
  let n = 0;
  for (;;) {
    const r = await reader.read();
    if (r.done) return n;
    n += r.value.length;
  }
}

/** Any fetch(); `init` carries its connection settings (dispatcher, agent). */
export function fetchPeer<Init extends object>(name: string, fetch: FetchLike<Init>, init: Init, close = async (): Promise<void> => {}): Peer {
  return {
    name,
    async getAll(url) {
      const res = await fetch(url, init);
      expect200(name, res.status);
      return (await res.arrayBuffer()).byteLength;
    },
    async download(url) {
      const res = await fetch(url, init);
      expect200(name, res.status);
      return countStream(res.body);
    },
    async upload(url, body) {
      const res = await fetch(url, { ...init, method: "POST", body });
      expect200(name, res.status);
      return res.text();
    },
    close,
  };
}

/** The runtime's own fetch, with its default (keep-alive) connection handling. */
export function globalFetchPeer(name: string): Peer {
  return fetchPeer<RequestInit>(name, (url, init) => globalThis.fetch(url, init), {});
}

/** The Node-only peers: undici.request, undici.fetch, node:http, @whatwg-node/fetch. */
export async function nodePeers(): Promise<Peer[]> {
  const undici = await import("undici");
  const http = await import("node:http");
  const whatwg = await import("@whatwg-node/fetch");

  // An Agent, like hansom's Pool, serves any origin; `connections` is its per-origin limit.
  const requestAgent = new undici.Agent({ connections: MAX_CONNECTIONS });
  const undiciRequest: Peer = {
    name: "undici.request",
    async getAll(url) {
      const { statusCode, body } = await undici.request(url, { dispatcher: requestAgent });
      expect200("undici.request", statusCode);
      return (await body.bytes()).length;
    },
    async download(url) {
      const { statusCode, body } = await undici.request(url, { dispatcher: requestAgent });
      expect200("undici.request", statusCode);
      let n = 0;
      for await (const c of body as AsyncIterable<Uint8Array>) n += c.length;
      return n;
    },
    async upload(url, body) {
      const res = await undici.request(url, { method: "POST", body, dispatcher: requestAgent });
      expect200("undici.request", res.statusCode);
      return res.body.text();
    },
    close: () => requestAgent.close(),
  };

  const fetchAgent = new undici.Agent({ connections: MAX_CONNECTIONS });
  const undiciFetch = fetchPeer("undici.fetch", undici.fetch, { dispatcher: fetchAgent }, () => fetchAgent.close());

  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_CONNECTIONS });
  const send = (url: string, method: string, body?: Uint8Array<ArrayBuffer>) =>
    new Promise<import("node:http").IncomingMessage>((resolve, reject) => {
      const req = http.request(url, { method, agent }, resolve);
      req.on("error", reject);
      req.end(body);
    });
  // Events, not for-await: the cheaper way through an IncomingMessage, so node:http gets its best.
  const consume = (res: import("node:http").IncomingMessage, onChunk: (c: Buffer) => void) =>
    new Promise<void>((resolve, reject) => {
      expect200("node:http", res.statusCode ?? 0);
      res.on("data", onChunk);
      res.on("end", resolve);
      res.on("error", reject);
    });
  const nodeHttp: Peer = {
    name: "node:http",
    async getAll(url) {
      const chunks: Buffer[] = [];
      await consume(await send(url, "GET"), (c) => chunks.push(c));
      return Buffer.concat(chunks).length;
    },
    async download(url) {
      let n = 0;
      await consume(await send(url, "GET"), (c) => (n += c.length));
      return n;
    },
    async upload(url, body) {
      let text = "";
      await consume(await send(url, "POST", body), (c) => (text += c.toString("latin1")));
      return text;
    },
    close: async () => agent.destroy(),
  };

  // @whatwg-node/fetch on Node is its own client over node:http; it takes an `agent`.
  const whatwgAgent = new http.Agent({ keepAlive: true, maxSockets: MAX_CONNECTIONS });
  const whatwgFetch = fetchPeer<RequestInit & { agent: InstanceType<typeof http.Agent> }>(
    "@whatwg-node/fetch",
    whatwg.fetch,
    { agent: whatwgAgent },
    async () => whatwgAgent.destroy(),
  );

  // Node's global fetch is its bundled undici; its default dispatcher keeps connections alive
  // with no connection limit, more than the 32 any scenario opens.
  return [undiciRequest, undiciFetch, nodeHttp, globalFetchPeer("node fetch"), whatwgFetch];
}
