// A WHATWG fetch: the runtime's global one, or undici's with a dispatcher.
import { expect200, uploadCount } from "./peer.ts";
import type { Peer } from "./peer.ts";

/** The part of a fetch Response the bench uses, so undici's own types fit too. */
interface FetchResponse {
  status: number;
  body: AsyncIterable<Uint8Array> | null;
  arrayBuffer(): Promise<ArrayBuffer>;
  text(): Promise<string>;
}
type FetchInit = { method?: string; body?: unknown; duplex?: "half" } & Record<string, unknown>;
type FetchFn = (url: string, init: FetchInit) => Promise<FetchResponse>;
// ReadableStream.from (Node 20.6+, Deno, Bun) is not in this TypeScript lib yet.
const streamFrom = (
  ReadableStream as unknown as { from(it: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> }
).from.bind(ReadableStream);

/** `fetch` with `init` (its dispatcher, if any) merged into every call. */
export function fetchPeer(
  name: string,
  origin: string,
  fetch: FetchFn,
  init: Record<string, unknown> = {},
  close = async (): Promise<void> => {},
): Peer {
  return {
    name,
    async get(path) {
      const res = await fetch(origin + path, init);
      expect200(name, res.status);
      return (await res.arrayBuffer()).byteLength;
    },
    async download(path) {
      const res = await fetch(origin + path, init);
      expect200(name, res.status);
      let n = 0;
      if (res.body) for await (const c of res.body) n += c.length;
      return n;
    },
    async upload(path, body) {
      // A stream body is the standard way to send an unknown length (chunked); it needs duplex.
      const res = await fetch(origin + path, { ...init, method: "POST", body: streamFrom(body()), duplex: "half" });
      expect200(name, res.status);
      return uploadCount(name, await res.text());
    },
    close,
  };
}

/** The part of Deno's API used for an h2 client that trusts the bench CA. */
interface DenoHttp {
  createHttpClient(o: { caCerts: string[]; http2: boolean; http1: boolean }): { close(): void };
}

/**
 * This runtime's global fetch, with its default keep-alive connection handling. Over https
 * (HTTP/2): on Deno through a client that trusts `ca` and speaks only h2; on Bun with its own
 * `protocol: "http2"` and `tls: { ca }` (its fetch offers only http/1.1 by ALPN without them).
 */
export function globalFetchPeer(origin: string, ca?: string): Peer {
  const fetch = globalThis.fetch as unknown as FetchFn;
  const deno = (globalThis as { Deno?: DenoHttp }).Deno;
  if (origin.startsWith("https:") && deno && ca) {
    const client = deno.createHttpClient({ caCerts: [ca], http2: true, http1: false });
    return fetchPeer("fetch", origin, fetch, { client }, async () => client.close());
  }
  if (origin.startsWith("https:") && "Bun" in globalThis)
    return fetchPeer("fetch", origin, fetch, { protocol: "http2", tls: { ca } });
  return fetchPeer("fetch", origin, fetch);
}

/** hansom's fetch() facade, on its own pool (as the other clients get one). */
export async function hansomFetchPeer(origin: string): Promise<Peer> {
  const { fetch } = await import("../../lib/fetch/index.ts");
  const { Pool } = await import("../../lib/index.ts");
  const pool = new Pool({ maxConnections: 64 });
  return fetchPeer("hansom/fetch", origin, fetch as unknown as FetchFn, { hansom: { pool } }, () => pool.close());
}
