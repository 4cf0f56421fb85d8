// An HTTPS proxy for the specs: node:https with the fixture certificate on 127.0.0.1, port 0.
// Clients speak TLS to it first; then it forwards absolute-form requests (to http origins) and
// tunnels CONNECT, as the HTTP proxy in proxies.ts does over plain TCP. It can require Basic
// credentials and ask for a client certificate, and it records what each connection sent.
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import type * as tls from "node:tls";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot, tlsFixtures } from "./proxies.ts";
import type { TestServer } from "./proxies.ts";

/** The fixture client certificate and key (CN "hansom test client", signed by the test CA). */
export const clientFixture = {
  cert: readFileSync(join(repoRoot, "spec/fixtures/tls/client.pem"), "utf8"),
  key: readFileSync(join(repoRoot, "spec/fixtures/tls/client-key.pem"), "utf8"),
};

/** Options of the spec HTTPS proxy. */
export interface HttpsProxyOptions {
  /** Required credentials; without them (or with others) the proxy answers 407. */
  auth?: [string, string];
  /** Ask for a client certificate (not required); `clientVerified` records who presented a valid one. */
  requestCert?: boolean;
}

/** The spec HTTPS proxy and what went through it. */
export interface HttpsProxy extends TestServer {
  /** "https://127.0.0.1:<port>". */
  url: string;
  /** TLS handshakes completed with clients. */
  tlsConnections: number;
  /** The SNI name of each TLS connection, in order (undefined: none sent). */
  servernames: Array<string | undefined>;
  /** Per TLS connection, in order: whether the client presented a certificate the test CA signed. */
  clientVerified: boolean[];
  /** CONNECT targets, in order ("host:port"). */
  connects: string[];
  /** Absolute-form request targets received, in order. */
  requests: string[];
  /** Proxy-Authorization values received (undefined when absent), CONNECT and plain alike. */
  authorizations: Array<string | undefined>;
}

/** Relays two sockets both ways; either side closing tears down the other. */
function splice(a: net.Socket, b: net.Socket): void {
  a.pipe(b);
  b.pipe(a);
  a.on("error", () => b.destroy());
  b.on("error", () => a.destroy());
  a.on("close", () => b.destroy());
  b.on("close", () => a.destroy());
}

/** Starts an HTTPS proxy: TLS first, then absolute-form forwarding and CONNECT tunnels. */
export async function startHttpsProxy(opts: HttpsProxyOptions = {}): Promise<HttpsProxy> {
  const expected = opts.auth
    ? "Basic " + Buffer.from(`${opts.auth[0]}:${opts.auth[1]}`, "utf8").toString("base64")
    : undefined;
  const server = https.createServer({
    cert: tlsFixtures.cert,
    key: tlsFixtures.key,
    ca: tlsFixtures.ca,
    requestCert: opts.requestCert === true,
    rejectUnauthorized: false,
  });
  const sockets = new Set<net.Socket>();
  const p: HttpsProxy = {
    port: 0,
    url: "",
    connections: 0,
    tlsConnections: 0,
    servernames: [],
    clientVerified: [],
    connects: [],
    requests: [],
    authorizations: [],
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  const keep = (s: net.Socket): void => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  };
  server.on("connection", (s: net.Socket) => {
    p.connections++;
    keep(s);
  });
  server.on("secureConnection", (s: tls.TLSSocket) => {
    p.tlsConnections++;
    p.servernames.push((s as tls.TLSSocket & { servername?: string | false }).servername || undefined);
    // `authorized` rather than getPeerCertificate(): Bun's node:https sockets lack the latter.
    p.clientVerified.push(s.authorized === true);
  });
  server.on("tlsClientError", () => {}); // a client that rejects our certificate: expected in specs
  const authorized = (req: http.IncomingMessage): boolean => {
    const got = req.headers["proxy-authorization"];
    p.authorizations.push(got);
    return expected === undefined || got === expected;
  };
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    p.requests.push(req.url ?? "");
    if (!authorized(req)) {
      res.writeHead(407, "Proxy Authentication Required", {
        "proxy-authenticate": 'Basic realm="spec"',
        "content-length": "4",
      });
      res.end("deny");
      return;
    }
    let target: URL;
    try {
      target = new URL(req.url ?? "");
    } catch {
      res.writeHead(400, { "content-length": "0" });
      res.end();
      return;
    }
    const headers = { ...req.headers };
    delete headers["proxy-authorization"];
    const up = http.request(
      {
        host: target.hostname,
        port: target.port || 80,
        method: req.method,
        path: target.pathname + target.search,
        headers,
      },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.statusMessage, ur.headers);
        ur.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  server.on("connect", (req: http.IncomingMessage, sock: net.Socket, head: Buffer) => {
    p.connects.push(req.url ?? "");
    keep(sock);
    sock.on("error", () => {});
    if (!authorized(req)) {
      sock.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="spec"\r\nContent-Length: 4\r\n\r\ndeny',
      );
      return;
    }
    const { hostname, port } = new URL(`http://${req.url}`);
    const up = net.connect(Number(port), hostname.replace(/^\[|\]$/g, ""), () => {
      sock.write("HTTP/1.1 200 Connection established\r\n\r\n");
      if (head.length) up.write(head);
      splice(sock, up);
    });
    keep(up);
    up.on("error", () => sock.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"));
  });
  p.port = await new Promise<number>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port));
  });
  p.url = `https://127.0.0.1:${p.port}`;
  return p;
}
