// Small proxies and origin servers for the proxy specs, on node:net/node:http, 127.0.0.1, port 0:
// an HTTP proxy (absolute-form forwarding and CONNECT), a SOCKS5 server (RFC 1928/1929), and
// http/https origins that echo what they received. Each can require credentials or refuse.
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository root, from spec/ or from dist/spec/. */
export const repoRoot: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    if (dirname(dir) === dir) return process.cwd(); // compiled outside the tree
    dir = dirname(dir);
  }
  return dir;
})();

/** The test CA, server cert and key from spec/fixtures/tls (server cert: localhost, 127.0.0.1, ::1). */
export const tlsFixtures = {
  ca: readFileSync(join(repoRoot, "spec/fixtures/tls/ca.pem"), "utf8"),
  cert: readFileSync(join(repoRoot, "spec/fixtures/tls/server.pem"), "utf8"),
  key: readFileSync(join(repoRoot, "spec/fixtures/tls/server-key.pem"), "utf8"),
};

/** A started server: where it listens, what it saw, and close(). */
export interface TestServer {
  port: number;
  /** TCP connections accepted so far. */
  connections: number;
  close(): Promise<void>;
}

/** A spec file's started servers: `track` awaits one and keeps it, `closeAll` (for `after`) closes them. */
export function serverTracker(): {
  track<T extends TestServer>(p: T | Promise<T>): Promise<T>;
  closeAll(): Promise<void>;
} {
  const servers: TestServer[] = [];
  return {
    async track(p) {
      const s = await p;
      servers.push(s);
      return s;
    },
    async closeAll() {
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}

function listen(server: net.Server, sockets: Set<net.Socket>, onConn: () => void): Promise<number> {
  server.on("connection", (s: net.Socket) => {
    onConn();
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve((server.address() as net.AddressInfo).port));
  });
}

function closer(server: net.Server, sockets: Set<net.Socket>, extra: Set<net.Socket> = new Set()): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      for (const s of [...sockets, ...extra]) s.destroy();
      server.close(() => resolve());
    });
}

/** Relays two sockets both ways; either side closing tears down the other. */
function splice(a: net.Socket, b: net.Socket, track: Set<net.Socket>): void {
  track.add(b);
  b.on("close", () => track.delete(b));
  a.pipe(b);
  b.pipe(a);
  a.on("error", () => b.destroy());
  b.on("error", () => a.destroy());
  a.on("close", () => b.destroy());
  b.on("close", () => a.destroy());
}

/** An origin server that answers every request with JSON { method, url, headers, secure }. */
export interface EchoServer extends TestServer {
  origin: string;
}

/** Starts an http (or, with `secure`, https with the fixture cert) echo origin. */
export async function startEchoServer(secure = false): Promise<EchoServer> {
  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = JSON.stringify({
        method: req.method,
        url: req.url,
        headers: req.headers,
        secure,
        body: Buffer.concat(chunks).toString(),
      });
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
      res.end(body);
    });
  };
  const server = secure
    ? https.createServer({ cert: tlsFixtures.cert, key: tlsFixtures.key }, handler)
    : http.createServer(handler);
  const sockets = new Set<net.Socket>();
  const out: EchoServer = { port: 0, origin: "", connections: 0, close: closer(server, sockets) };
  out.port = await listen(server, sockets, () => out.connections++);
  out.origin = `${secure ? "https" : "http"}://127.0.0.1:${out.port}`;
  return out;
}

/** Options of the spec HTTP proxy. */
export interface HttpProxyOptions {
  /** Required credentials; without them (or with others) the proxy answers 407. */
  auth?: [string, string];
  /** Answer every CONNECT with this status line instead of tunnelling. */
  refuse?: { status: number; reason: string };
  /** Bytes sent right after the CONNECT 200 reply, in the same write. */
  early?: string;
  /** Accept connections and never answer (handshake timeouts). */
  silent?: boolean;
}

/** The spec HTTP proxy and what went through it. */
export interface HttpProxy extends TestServer {
  url: string;
  /** CONNECT targets, in order ("host:port"). */
  connects: string[];
  /** Absolute-form request targets forwarded, in order. */
  requests: string[];
  /** Proxy-Authorization values received (undefined when absent), CONNECT and plain alike. */
  authorizations: Array<string | undefined>;
  /** Raw CONNECT request heads received. */
  connectHeads: string[];
}

/** Starts an HTTP proxy that forwards absolute-form requests and tunnels CONNECT. */
export async function startHttpProxy(opts: HttpProxyOptions = {}): Promise<HttpProxy> {
  const expected = opts.auth
    ? "Basic " + Buffer.from(`${opts.auth[0]}:${opts.auth[1]}`, "utf8").toString("base64")
    : undefined;
  const tunnels = new Set<net.Socket>();
  const server = http.createServer();
  const sockets = new Set<net.Socket>();
  const p: HttpProxy = {
    port: 0,
    url: "",
    connections: 0,
    connects: [],
    requests: [],
    authorizations: [],
    connectHeads: [],
    close: closer(server, sockets, tunnels),
  };
  const authorized = (req: http.IncomingMessage): boolean => {
    const got = req.headers["proxy-authorization"];
    p.authorizations.push(got);
    return expected === undefined || got === expected;
  };
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (opts.silent) return;
    p.requests.push(req.url ?? "");
    if (!authorized(req)) {
      res.writeHead(407, "Proxy Authentication Required", {
        "proxy-authenticate": 'Basic realm="spec"',
        "content-length": "4",
      });
      res.end("deny");
      return;
    }
    const target = new URL(req.url ?? "");
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
    if (opts.silent) return;
    p.connects.push(req.url ?? "");
    p.connectHeads.push(
      `${req.method} ${req.url} HTTP/${req.httpVersion}\r\n` +
        req.rawHeaders.map((v, i) => (i % 2 ? v + "\r\n" : v + ": ")).join(""),
    );
    tunnels.add(sock);
    sock.on("close", () => tunnels.delete(sock));
    sock.on("error", () => {});
    if (!authorized(req)) {
      sock.end(
        'HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="spec"\r\nContent-Length: 4\r\n\r\ndeny',
      );
      return;
    }
    if (opts.refuse) {
      sock.end(`HTTP/1.1 ${opts.refuse.status} ${opts.refuse.reason}\r\nContent-Length: 0\r\n\r\n`);
      return;
    }
    const { hostname, port } = new URL(`http://${req.url}`);
    const up = net.connect(Number(port), hostname.replace(/^\[|\]$/g, ""), () => {
      sock.write("HTTP/1.1 200 Connection established\r\n\r\n" + (opts.early ?? ""));
      if (head.length) up.write(head);
      splice(sock, up, tunnels);
    });
    up.on("error", () => sock.end("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n"));
  });
  p.port = await listen(server, sockets, () => p.connections++);
  p.url = `http://127.0.0.1:${p.port}`;
  return p;
}

/** Options of the spec SOCKS5 server. */
export interface Socks5Options {
  /** Require RFC 1929 username/password. */
  auth?: [string, string];
  /** Answer every CONNECT with this reply code instead of connecting. */
  reply?: number;
  /** Bytes sent right after the success reply, in the same write. */
  early?: string;
  /** Accept connections and never answer. */
  silent?: boolean;
}

/** The spec SOCKS5 server and what it was asked. */
export interface Socks5Server extends TestServer {
  url: string;
  /** CONNECT requests: address type (1 IPv4, 3 name, 4 IPv6), host as sent, port. */
  requests: Array<{ atyp: number; host: string; port: number }>;
  /** Methods offered in each greeting. */
  methods: number[][];
}

/** Starts a SOCKS5 server (CONNECT only) that relays to the requested target. */
export async function startSocks5(opts: Socks5Options = {}): Promise<Socks5Server> {
  const tunnels = new Set<net.Socket>();
  const sockets = new Set<net.Socket>();
  const server = net.createServer();
  const s5: Socks5Server = {
    port: 0,
    url: "",
    connections: 0,
    requests: [],
    methods: [],
    close: closer(server, sockets, tunnels),
  };
  server.on("connection", (sock: net.Socket) => {
    sock.on("error", () => {});
    if (opts.silent) return;
    let buf = Buffer.alloc(0);
    let step: "greeting" | "auth" | "request" | "relay" = "greeting";
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      for (;;) {
        if (step === "greeting") {
          if (buf.length < 2 || buf.length < 2 + buf[1]!) return;
          const methods = [...buf.subarray(2, 2 + buf[1]!)];
          s5.methods.push(methods);
          buf = buf.subarray(2 + buf[1]!);
          const want = opts.auth ? 2 : 0;
          if (!methods.includes(want)) return void sock.end(Buffer.from([5, 0xff]));
          sock.write(Buffer.from([5, want]));
          step = opts.auth ? "auth" : "request";
        } else if (step === "auth") {
          if (buf.length < 2) return;
          const ulen = buf[1]!;
          if (buf.length < 3 + ulen || buf.length < 3 + ulen + buf[2 + ulen]!) return;
          const user = buf.subarray(2, 2 + ulen).toString("utf8");
          const pass = buf.subarray(3 + ulen, 3 + ulen + buf[2 + ulen]!).toString("utf8");
          buf = buf.subarray(3 + ulen + buf[2 + ulen]!);
          if (user !== opts.auth![0] || pass !== opts.auth![1]) return void sock.end(Buffer.from([1, 1]));
          sock.write(Buffer.from([1, 0]));
          step = "request";
        } else if (step === "request") {
          if (buf.length < 5) return;
          const atyp = buf[3]!;
          const len = atyp === 1 ? 10 : atyp === 4 ? 22 : 7 + buf[4]!;
          if (buf.length < len) return;
          const raw = buf.subarray(atyp === 3 ? 5 : 4, len - 2);
          const host =
            atyp === 1
              ? [...raw].join(".")
              : atyp === 3
                ? raw.toString("utf8")
                : (raw.toString("hex").match(/.{4}/g) ?? []).join(":");
          const port = buf.readUInt16BE(len - 2);
          s5.requests.push({ atyp, host, port });
          buf = buf.subarray(len);
          step = "relay";
          sock.off("data", onData);
          if (opts.reply !== undefined) return void sock.end(Buffer.from([5, opts.reply, 0, 1, 0, 0, 0, 0, 0, 0]));
          const up = net.connect(port, host, () => {
            const reply = Buffer.from([5, 0, 0, 1, 127, 0, 0, 1, 0, 0]);
            reply.writeUInt16BE(up.localPort ?? 0, 8);
            sock.write(Buffer.concat([reply, Buffer.from(opts.early ?? "")]));
            if (buf.length) up.write(buf);
            splice(sock, up, tunnels);
          });
          up.on("error", () => sock.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])));
          return;
        } else return;
      }
    };
    sock.on("data", onData);
  });
  s5.port = await listen(server, sockets, () => s5.connections++);
  s5.url = `socks5://127.0.0.1:${s5.port}`;
  return s5;
}

/** Minimal RawSocket shape the helpers below need (kept structural: no lib import here). */
interface SocketLike {
  setHandler(h: { data(c: Uint8Array): void; end(): void; error(e: Error): void }): void;
  resume(): void;
  write(c: Uint8Array): boolean;
  destroy(): void;
}

/** Reads `sock` until EOF (or `until` matches the text so far) and returns the text. */
export function readAll(sock: SocketLike, until?: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = "";
    const dec = new TextDecoder();
    sock.setHandler({
      data(c) {
        text += dec.decode(c, { stream: true });
        if (until?.test(text)) resolve(text);
      },
      end: () => resolve(text),
      error: reject,
    });
    sock.resume();
  });
}

/** Sends a GET with Connection: close over `sock` and returns the whole response text. */
export async function getOver(sock: SocketLike, host: string, path = "/"): Promise<string> {
  sock.write(new TextEncoder().encode(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`));
  try {
    return await readAll(sock);
  } finally {
    sock.destroy();
  }
}
