// undici's two APIs (Node only): request() and fetch(), each over its own undici Pool.
import { fetchPeer } from "./fetch.ts";
import { expect200, MAX_CONNECTIONS, uploadCount } from "./peer.ts";
import type { Peer } from "./peer.ts";

/**
 * The dispatcher for `origin`: a Pool of MAX_CONNECTIONS, or for https (HTTP/2) one Client with
 * allowH2, since one h2 connection carries every request (streams limited by the server).
 */
async function dispatcherFor(origin: string, ca?: string): Promise<import("undici").Dispatcher> {
  const undici = await import("undici");
  if (!origin.startsWith("https:")) return new undici.Pool(origin, { connections: MAX_CONNECTIONS });
  return new undici.Client(origin, { allowH2: true, maxConcurrentStreams: 256, connect: { ca } });
}

/** undici.request with a Pool of MAX_CONNECTIONS for the one origin (an h2 Client for https). */
export async function undiciRequestPeer(origin: string, ca?: string): Promise<Peer> {
  const undici = await import("undici");
  const pool = await dispatcherFor(origin, ca);
  const name = "undici.request";
  return {
    name,
    async get(path) {
      const { statusCode, body } = await undici.request(origin + path, { dispatcher: pool });
      expect200(name, statusCode);
      return (await body.bytes()).length;
    },
    async download(path) {
      const { statusCode, body } = await undici.request(origin + path, { dispatcher: pool });
      expect200(name, statusCode);
      let n = 0;
      for await (const c of body as AsyncIterable<Uint8Array>) n += c.length;
      return n;
    },
    async upload(path, body) {
      // undici takes any async iterable as a body (sent chunked); its types list only streams.
      const res = await undici.request(origin + path, {
        method: "POST",
        body: body() as unknown as Uint8Array,
        dispatcher: pool,
      });
      expect200(name, res.statusCode);
      return uploadCount(name, await res.body.text());
    },
    close: () => pool.close(),
  };
}

/** undici.fetch with a Pool of MAX_CONNECTIONS (an h2 Client for https) as its dispatcher. */
export async function undiciFetchPeer(origin: string, ca?: string): Promise<Peer> {
  const undici = await import("undici");
  const pool = await dispatcherFor(origin, ca);
  const fetch = undici.fetch as unknown as Parameters<typeof fetchPeer>[2];
  return fetchPeer("undici.fetch", origin, fetch, { dispatcher: pool }, () => pool.close());
}
