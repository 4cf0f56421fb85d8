// node:http2's client (Node only): one session, a session.request per GET, as Node's own
// HTTP/2 API is used. Workloads H1 and H2 only: it has no upload here.
import * as http2 from "node:http2";
import { expect200 } from "./peer.ts";
import type { Peer } from "./peer.ts";

/** One http2.connect session to `origin` (https, trusting `ca`), shared by every request. */
export function nodeHttp2Peer(origin: string, ca?: string): Peer {
  const session = http2.connect(origin, { ca });
  session.on("error", () => {}); // each request sees its own stream's error
  const name = "node:http2";
  const open = (path: string): Promise<http2.ClientHttp2Stream> =>
    new Promise((resolve, reject) => {
      const stream = session.request({ ":path": path });
      stream.once("error", reject);
      stream.once("response", (headers) => {
        try {
          expect200(name, Number(headers[":status"]));
          resolve(stream);
        } catch (e) {
          stream.destroy();
          reject(e);
        }
      });
      stream.end();
    });
  return {
    name,
    async get(path) {
      const stream = await open(path);
      // Events, the cheapest way through a stream, so node:http2 gets its best.
      return new Promise<number>((resolve, reject) => {
        const chunks: Buffer[] = [];
        stream.on("data", (c: Buffer) => chunks.push(c));
        stream.once("end", () => resolve(Buffer.concat(chunks).length));
        stream.once("error", reject);
      });
    },
    async download(path) {
      const stream = await open(path);
      let n = 0;
      for await (const c of stream as AsyncIterable<Buffer>) n += c.length;
      return n;
    },
    upload() {
      return Promise.reject(new Error(`${name}: no upload workload over h2`));
    },
    close: () => new Promise<void>((resolve) => session.close(() => resolve())),
  };
}
