// Loopback servers for the specs: node:http for ordinary replies, raw node:net for
// hand-crafted bytes, node:tls with the fixture certificates. Each closes with everything it opened.
import * as http from "node:http";
import * as net from "node:net";
import * as https from "node:https";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";

const here = dirname(fileURLToPath(import.meta.url));
/** spec/fixtures, whether this file runs from spec/ or dist/spec/. */
export const fixtures = here.includes(`${join("dist", "spec")}`)
  ? join(here, "..", "..", "..", "spec", "fixtures")
  : join(here, "..", "fixtures");

/** The test CA and the server certificate it signed (CN localhost, SAN 127.0.0.1, ::1). */
export const tlsFixture = {
  ca: readFileSync(join(fixtures, "tls", "ca.pem"), "utf8"),
  cert: readFileSync(join(fixtures, "tls", "server.pem"), "utf8"),
  key: readFileSync(join(fixtures, "tls", "server-key.pem"), "utf8"),
};

export interface Running {
  url: string;
  port: number;
  /** Sockets the server accepted so far. */
  accepted: number;
  /** Sockets open right now. */
  open(): number;
  close(): Promise<void>;
}

function track(server: net.Server, scheme: string, host = "127.0.0.1"): Promise<Running> {
  const sockets = new Set<net.Socket>();
  const r: Running = {
    url: "",
    port: 0,
    accepted: 0,
    open: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  server.on(scheme === "https" ? "secureConnection" : "connection", (s: net.Socket) => {
    r.accepted++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, host, () => {
      r.port = (server.address() as net.AddressInfo).port;
      r.url = `${scheme}://${host.includes(":") ? `[${host}]` : host}:${r.port}`;
      resolve(r);
    });
  });
}

/** A node:http server on 127.0.0.1. */
export function httpServer(handler: http.RequestListener, host?: string): Promise<Running & { server: http.Server }> {
  const server = http.createServer({ keepAliveTimeout: 10_000 }, handler);
  return track(server, "http", host).then((r) => Object.assign(r, { server }));
}

/** A raw TCP server: the handler writes whatever bytes it likes. */
export function rawServer(onSocket: (s: net.Socket) => void): Promise<Running> {
  return track(net.createServer(onSocket), "http");
}

/** A node:tls server with the fixture certificate, answering HTTP with `handler`. */
export function httpsServer(handler: http.RequestListener): Promise<Running> {
  return track(
    https.createServer({ cert: tlsFixture.cert, key: tlsFixture.key, keepAliveTimeout: 10_000 }, handler),
    "https",
  );
}

/** Reads a request head from a raw socket (up to the blank line); the rest is passed on. */
export function readHead(s: net.Socket): Promise<{ head: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      buf = Buffer.concat([buf, c]);
      const at = buf.indexOf("\r\n\r\n");
      if (at >= 0) {
        s.off("data", onData);
        resolve({ head: buf.subarray(0, at).toString("latin1"), rest: buf.subarray(at + 4) });
      }
    };
    s.on("data", onData);
    s.once("error", reject);
  });
}

/** Reads a whole request body into one Buffer. */
export function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

/** Resolves after `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
