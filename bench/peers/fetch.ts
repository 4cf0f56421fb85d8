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
const streamFrom = (ReadableStream as unknown as { from(it: AsyncIterable<Uint8Array>): ReadableStream<Uint8Array> }).from.bind(ReadableStream);

/** `fetch` with `init` (its dispatcher, if any) merged into every call. */
export function fetchPeer(name: string, origin: string, fetch: FetchFn, init: Record<string, unknown> = {}, close = async (): Promise<void> => {}): Peer {
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

/** This runtime's global fetch, with its default keep-alive connection handling. */
export function globalFetchPeer(origin: string): Peer {
  return fetchPeer("fetch", origin, globalThis.fetch as unknown as FetchFn);
}
