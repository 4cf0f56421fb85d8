// Certificate verification is on by default: expired, wrong-host, self-signed and
// unknown-issuer certificates are tls_error, and no request byte reaches such a server. Only
// `insecure` (any of them) or `tls.ca` (a certificate whose only fault is its issuer) let the
// request through. Certificates are made with openssl at the start of the file.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as tls from "node:tls";
import type * as net from "node:net";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { get, Pool } from "../../lib/index.ts";
import type { RequestOptions } from "../../lib/index.ts";
import { hansomRejection, within } from "./harness.ts";

/** spec/fixtures/tls, from spec/hostile or dist/spec/hostile. */
function fixtureDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, "spec", "fixtures", "tls");
}
const FIX = fixtureDir();
const fixture = {
  ca: readFileSync(join(FIX, "ca.pem"), "utf8"),
  caKey: readFileSync(join(FIX, "ca-key.pem"), "utf8"),
  cert: readFileSync(join(FIX, "server.pem"), "utf8"),
  key: readFileSync(join(FIX, "server-key.pem"), "utf8"),
};

const OPENSSL = "/usr/bin/openssl";
const noOpenssl = existsSync(OPENSSL)
  ? false
  : `${OPENSSL} not found: cannot generate expired, wrong-host and self-signed certificates`;

interface Pair {
  cert: string;
  key: string;
}

/** Makes the certificates with openssl: an expired leaf and a wrong-host leaf (fixture CA), and a self-signed one. */
function makeCerts(): { expired: Pair; wrongHost: Pair; selfSigned: Pair } {
  const dir = mkdtempSync(join(tmpdir(), "hansom-hostile-tls-"));
  try {
    const run = (args: string[]): void => {
      const r = spawnSync(OPENSSL, args, { cwd: dir, encoding: "utf8" });
      if (r.status !== 0) throw new Error(`openssl ${args.join(" ")} failed: ${r.stderr}`);
    };
    writeFileSync(join(dir, "ca.pem"), fixture.ca);
    writeFileSync(join(dir, "ca-key.pem"), fixture.caKey);
    mkdirSync(join(dir, "db"));
    writeFileSync(join(dir, "db", "index.txt"), "");
    writeFileSync(join(dir, "db", "serial"), "1000\n");
    const ext = (san: string): string =>
      `basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\nextendedKeyUsage = serverAuth\nsubjectAltName = ${san}\n`;
    writeFileSync(
      join(dir, "ca.cnf"),
      [
        "[ca]",
        "default_ca = d",
        "[d]",
        "database = db/index.txt",
        "serial = db/serial",
        "new_certs_dir = db",
        "default_md = sha256",
        "policy = p",
        "unique_subject = no",
        "[p]",
        "commonName = supplied",
        "[local]",
        ext("DNS:localhost,IP:127.0.0.1"),
        "[wrong]",
        ext("DNS:wrong.example"),
      ].join("\n"),
    );
    const leaf = (name: string, section: string, dates: string[]): Pair => {
      run([
        "req",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-keyout",
        `${name}-key.pem`,
        "-out",
        `${name}.csr`,
        "-subj",
        `/CN=${name}`,
      ]);
      run([
        "ca",
        "-batch",
        "-config",
        "ca.cnf",
        "-cert",
        "ca.pem",
        "-keyfile",
        "ca-key.pem",
        "-in",
        `${name}.csr`,
        "-out",
        `${name}.pem`,
        "-extensions",
        section,
        "-notext",
        ...dates,
      ]);
      return {
        cert: readFileSync(join(dir, `${name}.pem`), "utf8"),
        key: readFileSync(join(dir, `${name}-key.pem`), "utf8"),
      };
    };
    const expired = leaf("expired", "local", ["-startdate", "20200101000000Z", "-enddate", "20210101000000Z"]);
    const wrongHost = leaf("wrong", "wrong", ["-days", "3650"]);
    run([
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "self-key.pem",
      "-out",
      "self.pem",
      "-days",
      "3650",
      "-subj",
      "/CN=localhost",
      "-addext",
      "subjectAltName=DNS:localhost,IP:127.0.0.1",
      "-addext",
      "basicConstraints=critical,CA:FALSE",
      "-addext",
      "extendedKeyUsage=serverAuth",
    ]);
    const selfSigned = {
      cert: readFileSync(join(dir, "self.pem"), "utf8"),
      key: readFileSync(join(dir, "self-key.pem"), "utf8"),
    };
    return { expired, wrongHost, selfSigned };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A TLS server answering every request, counting the application bytes it got. */
interface TlsServer {
  port: number;
  /** Decrypted bytes received: must stay 0 when the client rejects the certificate. */
  received: number;
  close(): Promise<void>;
}

async function tlsServer(pair: Pair): Promise<TlsServer> {
  const sockets = new Set<net.Socket>();
  const out: TlsServer = { port: 0, received: 0, close: async () => {} };
  const server = tls.createServer({ cert: pair.cert, key: pair.key }, (s) => {
    s.on("error", () => {});
    s.on("data", (c: Buffer) => {
      out.received += c.length;
      if (c.includes("\r\n\r\n")) s.write("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nsecure");
    });
  });
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  out.port = (server.address() as net.AddressInfo).port;
  out.close = () =>
    new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    });
  return out;
}

const certs = noOpenssl ? null : makeCerts();
const servers: TlsServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

type Case = [string, () => Pair, string];
/** Certificate, and the host to ask for (the certificates name localhost and 127.0.0.1). */
const BAD: Case[] = [
  ["an expired certificate", () => certs!.expired, "127.0.0.1"],
  ["a certificate for another host", () => certs!.wrongHost, "127.0.0.1"],
  ["a self-signed certificate", () => certs!.selfSigned, "127.0.0.1"],
];

async function rejected(srv: TlsServer, host: string, opts: RequestOptions): Promise<void> {
  const pool = new Pool();
  try {
    const e = await hansomRejection(get(`https://${host}:${srv.port}/`, { pool, connectTimeout: 5000, ...opts }), 8000);
    assert.equal(e.code, "tls_error", `${e.code}: ${e.message}`);
    assert.equal(pool.stats().inUse, 0);
    assert.equal(srv.received, 0, "no request byte may reach a server whose certificate was refused");
  } finally {
    await pool.close();
  }
}

async function accepted(srv: TlsServer, host: string, opts: RequestOptions): Promise<void> {
  const res = await within(
    get(`https://${host}:${srv.port}/`, { pool: false, ...opts }),
    8000,
    "a request the options allow",
  );
  assert.equal(await res.text(), "secure");
}

for (const [what, pair, host] of BAD) {
  test(`tls certs - ${what} is tls_error by default`, { skip: noOpenssl }, async () => {
    const srv = await tlsServer(pair());
    servers.push(srv);
    await rejected(srv, host, {});
  });
  if (what !== "a self-signed certificate") {
    test(`tls certs - ${what} is tls_error even with tls.ca naming its issuer`, { skip: noOpenssl }, async () => {
      const srv = await tlsServer(pair());
      servers.push(srv);
      await rejected(srv, host, { tls: { ca: fixture.ca } });
    });
  }
  test(`tls certs - ${what} is accepted with insecure`, { skip: noOpenssl }, async () => {
    const srv = await tlsServer(pair());
    servers.push(srv);
    await accepted(srv, host, { insecure: true });
  });
}

test("tls certs - a self-signed certificate is tls_error with an unrelated tls.ca", { skip: noOpenssl }, async () => {
  const srv = await tlsServer(certs!.selfSigned);
  servers.push(srv);
  await rejected(srv, "127.0.0.1", { tls: { ca: fixture.ca } });
});

test("tls certs - a self-signed certificate is accepted with itself as tls.ca", { skip: noOpenssl }, async () => {
  const srv = await tlsServer(certs!.selfSigned);
  servers.push(srv);
  await accepted(srv, "127.0.0.1", { tls: { ca: certs!.selfSigned.cert } });
});

test("tls certs - a certificate from an unknown issuer is tls_error by default, accepted with tls.ca or insecure", async () => {
  const srv = await tlsServer({ cert: fixture.cert, key: fixture.key });
  servers.push(srv);
  await rejected(srv, "127.0.0.1", {});
  await accepted(srv, "127.0.0.1", { tls: { ca: fixture.ca } });
  await accepted(srv, "localhost", { tls: { ca: fixture.ca } });
  await accepted(srv, "127.0.0.1", { insecure: true });
});

test("tls certs - tls.servername that the certificate does not name is tls_error", async () => {
  const srv = await tlsServer({ cert: fixture.cert, key: fixture.key });
  servers.push(srv);
  await rejected(srv, "127.0.0.1", { tls: { ca: fixture.ca, servername: "wrong.example" } });
});

test("tls certs - insecure and verified connections never share a pooled socket", async () => {
  const srv = await tlsServer({ cert: fixture.cert, key: fixture.key });
  servers.push(srv);
  const pool = new Pool();
  try {
    assert.equal(await (await get(`https://127.0.0.1:${srv.port}/`, { pool, insecure: true })).text(), "secure");
    // The insecure socket is idle in the pool; a verifying request must not take it.
    const e = await hansomRejection(get(`https://127.0.0.1:${srv.port}/`, { pool }), 8000);
    assert.equal(e.code, "tls_error", `${e.code}: ${e.message}`);
  } finally {
    await pool.close();
  }
});
