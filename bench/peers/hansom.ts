// hansom through its own Pool, as an application uses it.
import { Pool, request } from "../../lib/index.ts";
import type { RequestOptions } from "../../lib/index.ts";
import { expect200, MAX_CONNECTIONS, uploadCount } from "./peer.ts";
import type { Peer } from "./peer.ts";

/** hansom's request() with a Pool of MAX_CONNECTIONS; over https, h2 by ALPN trusting `ca`. */
export function hansomPeer(origin: string, ca?: string): Peer {
  const pool = new Pool({ maxConnections: MAX_CONNECTIONS });
  const name = "hansom";
  const h2: RequestOptions = origin.startsWith("https:")
    ? { protocols: ["h2", "http/1.1"], tls: { ca: ca ?? [] } }
    : {};
  return {
    name,
    async get(path) {
      const res = await request("GET", origin + path, { ...h2, pool });
      expect200(name, res.status);
      return (await res.bytes()).length;
    },
    async download(path) {
      const res = await request("GET", origin + path, { ...h2, pool });
      expect200(name, res.status);
      let n = 0;
      for await (const c of res) n += c.length;
      return n;
    },
    async upload(path, body) {
      const res = await request("POST", origin + path, { ...h2, pool, body: body() });
      expect200(name, res.status);
      return uploadCount(name, await res.text());
    },
    close: () => pool.close(),
  };
}
