// undici's two APIs (Node only): request() and fetch(), each over its own undici Pool.
import { fetchPeer } from "./fetch.ts";
import { expect200, MAX_CONNECTIONS, uploadCount } from "./peer.ts";
import type { Peer } from "./peer.ts";

/** undici.request with a Pool of MAX_CONNECTIONS for the one origin. */
export async function undiciRequestPeer(origin: string): Promise<Peer> {
  const undici = await import("undici");
  const pool = new undici.Pool(origin, { connections: MAX_CONNECTIONS });
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
      const res = await undici.request(origin + path, { method: "POST", body: body() as unknown as Uint8Array, dispatcher: pool });
      expect200(name, res.statusCode);
      return uploadCount(name, await res.body.text());
    },
    close: () => pool.close(),
  };
}

/** undici.fetch with a Pool of MAX_CONNECTIONS as its dispatcher. */
export async function undiciFetchPeer(origin: string): Promise<Peer> {
  const undici = await import("undici");
  const pool = new undici.Pool(origin, { connections: MAX_CONNECTIONS });
  const fetch = undici.fetch as unknown as Parameters<typeof fetchPeer>[2];
  return fetchPeer("undici.fetch", origin, fetch, { dispatcher: pool }, () => pool.close());
}
