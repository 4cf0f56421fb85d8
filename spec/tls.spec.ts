import { test, after } from "node:test";
import assert from "node:assert/strict";
import { get, Pool, type HansomError } from "../lib/index.ts";
import { httpsServer, rawServer, tlsFixture } from "./helpers/servers.ts";

const srv = await httpsServer((req, res) => res.end(`secure ${req.url}`));
after(() => srv.close());
const httpsUrl = `https://localhost:${srv.port}/x`;

test("tls - a certificate from an unknown CA is rejected by default", async () => {
  const err = await get(httpsUrl, { pool: false }).then(
    () => null,
    (e: HansomError) => e,
  );
  assert.equal(err?.code, "tls_error");
  assert.ok(err?.cause, "the TLS error is kept as cause");
});

test("tls - accepted with tls.ca, by host name and by IP (SAN)", async () => {
  const pool = new Pool();
  try {
    assert.equal(await (await get(httpsUrl, { pool, tls: { ca: tlsFixture.ca } })).text(), "secure /x");
    assert.equal(
      await (await get(`https://127.0.0.1:${srv.port}/ip`, { pool, tls: { ca: tlsFixture.ca } })).text(),
      "secure /ip",
    );
  } finally {
    await pool.close();
  }
});

test("tls - accepted with insecure", async () => {
  const res = await get(httpsUrl, { pool: false, insecure: true });
  assert.equal(await res.text(), "secure /x");
});

test("tls - a servername the certificate does not name is rejected", async () => {
  await assert.rejects(get(httpsUrl, { pool: false, tls: { ca: tlsFixture.ca, servername: "other.example" } }), {
    code: "tls_error",
  });
});

test("tls - pooled connections are keyed by TLS options", async () => {
  const pool = new Pool();
  try {
    await (await get(httpsUrl, { pool, insecure: true })).text();
    await (await get(httpsUrl, { pool, tls: { ca: tlsFixture.ca } })).text();
    assert.equal(pool.stats().free, 2, "insecure and verified connections are not shared");
  } finally {
    await pool.close();
  }
});

test("tls - connectTimeout covers a handshake that never completes", async () => {
  const mute = await rawServer(() => {});
  try {
    const t0 = Date.now();
    await assert.rejects(get(`https://127.0.0.1:${mute.port}/`, { pool: false, connectTimeout: 200 }), {
      code: "connect_timeout",
    });
    assert.ok(Date.now() - t0 < 2000);
  } finally {
    await mute.close();
  }
});

test("tls - client certificate (tls.cert/key) and minVersion", async () => {
  const { readFileSync } = await import("node:fs");
  const { join } = await import("node:path");
  const { fixtures } = await import("./helpers/servers.ts");
  const tlsMod = await import("node:tls");
  const server = tlsMod.createServer(
    { cert: tlsFixture.cert, key: tlsFixture.key, ca: tlsFixture.ca, requestCert: true, rejectUnauthorized: true },
    (s) => {
      const cn = String(s.getPeerCertificate().subject?.CN ?? "");
      s.on("data", () => s.end(`HTTP/1.1 200 OK\r\nContent-Length: ${cn.length}\r\nConnection: close\r\n\r\n${cn}`));
    },
  );
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as { port: number }).port;
  try {
    const cert = readFileSync(join(fixtures, "tls", "client.pem"), "utf8");
    const key = readFileSync(join(fixtures, "tls", "client-key.pem"), "utf8");
    const res = await get(`https://localhost:${port}/`, {
      pool: false,
      tls: { ca: tlsFixture.ca, cert, key, minVersion: "TLSv1.3" },
    });
    assert.equal(await res.text(), "hansom test client", "the server saw the client certificate");
    await assert.rejects(get(`https://localhost:${port}/`, { pool: false, tls: { ca: tlsFixture.ca } }));
  } finally {
    await new Promise((r) => server.close(r));
  }
});
