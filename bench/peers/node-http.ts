// node:http with a keep-alive Agent (Node only).
import * as http from "node:http";
import { once } from "node:events";
import { expect200, MAX_CONNECTIONS, uploadCount } from "./peer.ts";
import type { Peer } from "./peer.ts";

/** http.request through an Agent({ keepAlive: true, maxSockets: MAX_CONNECTIONS }). */
export function nodeHttpPeer(origin: string): Peer {
  const u = new URL(origin);
  const agent = new http.Agent({ keepAlive: true, maxSockets: MAX_CONNECTIONS });
  const name = "node:http";
  const base = { host: u.hostname, port: Number(u.port), agent };
  const respond = (req: http.ClientRequest): Promise<http.IncomingMessage> =>
    new Promise((resolve, reject) => {
      req.once("response", resolve);
      req.once("error", reject);
    });
  return {
    name,
    async get(path) {
      const req = http.request({ ...base, path });
      const res = respond(req);
      req.end();
      const r = await res;
      expect200(name, r.statusCode ?? 0);
      // Events, the cheapest way through an IncomingMessage, so node:http gets its best.
      return new Promise<number>((resolve, reject) => {
        const chunks: Buffer[] = [];
        r.on("data", (c: Buffer) => chunks.push(c));
        r.once("end", () => resolve(Buffer.concat(chunks).length));
        r.once("error", reject);
      });
    },
    async download(path) {
      const req = http.request({ ...base, path });
      const res = respond(req);
      req.end();
      const r = await res;
      expect200(name, r.statusCode ?? 0);
      let n = 0;
      for await (const c of r as AsyncIterable<Buffer>) n += c.length;
      return n;
    },
    async upload(path, body) {
      // No Content-Length: node:http sends Transfer-Encoding: chunked.
      const req = http.request({ ...base, path, method: "POST" });
      const res = respond(req);
      for await (const c of body()) if (!req.write(c)) await once(req, "drain");
      req.end();
      const r = await res;
      expect200(name, r.statusCode ?? 0);
      let text = "";
      for await (const c of r as AsyncIterable<Buffer>) text += c.toString("latin1");
      return uploadCount(name, text);
    },
    close: async () => agent.destroy(),
  };
}
