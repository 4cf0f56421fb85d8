// request() through a real HTTPS proxy: squid's https_port (TLS to the proxy with the spec
// fixture certificate), with and without basic auth, in front of nginx (http and https). squid
// is started here rather than by servers.ts because https_port needs squid built with TLS
// (OpenSSL or GnuTLS); a squid without it, or a missing package, skips with the reason printed.
import { test, before, after } from "node:test";
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Pool, request } from "../../lib/index.ts";
import type { RequestOptions } from "../../lib/index.ts";
import { repoRoot, tlsFixtures } from "../helpers/proxies.ts";
import { rejection } from "../helpers/errors.ts";
import { NGINX_FILES, SQUID_AUTH, startNginx } from "./servers.ts";
import type { Running } from "./servers.ts";

const SQUID = "/usr/sbin/squid";

/** A squid listening on https_port only. */
interface HttpsSquid {
  port: number;
  stop(): Promise<void>;
}

/** Why squid cannot serve https_port here, or null when it can. */
function squidTlsMissing(): string | null {
  if (!existsSync(SQUID)) return `squid is not installed (looked for ${SQUID}); run bash .ci/interop.sh`;
  const v = spawnSync(SQUID, ["-v"], { encoding: "utf8" });
  if (v.status !== 0) return `squid -v failed: ${v.stderr.trim()}`;
  if (!/--with-(openssl|gnutls)\b/.test(v.stdout))
    return "this squid is built without TLS (squid -v shows neither --with-openssl nor --with-gnutls): no https_port";
  return null;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, "127.0.0.1");
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** squid with https_port on 127.0.0.1 (the fixture certificate), basic auth when `auth`. */
async function startHttpsSquid(auth?: [string, string]): Promise<HttpsSquid> {
  const missing = squidTlsMissing();
  if (missing) throw new Error(missing);
  const dir = mkdtempSync(join(tmpdir(), "hansom-squid-tls-"));
  chmodSync(dir, 0o777); // squid drops root for its own user, which writes logs here
  const port = await freePort();
  const certs = join(repoRoot, "spec/fixtures/tls");
  const lines = [
    `https_port 127.0.0.1:${port} tls-cert=${certs}/server.pem tls-key=${certs}/server-key.pem`,
    `pid_filename ${dir}/squid.pid`,
    `cache_log ${dir}/cache.log`,
    `access_log ${dir}/access.log`,
    "cache_store_log none",
    "cache deny all",
    `coredump_dir ${dir}`,
    "pinger_enable off",
    "shutdown_lifetime 0 seconds",
    "visible_hostname hansom-interop-tls",
  ];
  if (auth) {
    const helper = ["/usr/lib/squid/basic_ncsa_auth", "/usr/lib64/squid/basic_ncsa_auth"].find((p) => existsSync(p));
    if (!helper) throw new Error("squid's basic_ncsa_auth is not installed; run bash .ci/interop.sh");
    const hash = spawnSync("openssl", ["passwd", "-apr1", "-stdin"], { input: auth[1] + "\n", encoding: "utf8" });
    if (hash.status !== 0) throw new Error(`openssl passwd failed: ${hash.stderr}`);
    writeFileSync(join(dir, "htpasswd"), `${auth[0]}:${hash.stdout.trim()}\n`, { mode: 0o644 });
    lines.push(
      `auth_param basic program ${helper} ${dir}/htpasswd`,
      "auth_param basic realm hansom-interop",
      "auth_param basic utf8 on",
      "acl authed proxy_auth REQUIRED",
      "http_access allow authed",
      "http_access deny all",
    );
  } else {
    lines.push("http_access allow all"); // loopback only: https_port binds 127.0.0.1
  }
  writeFileSync(join(dir, "squid.conf"), lines.join("\n") + "\n");
  const child = spawn(SQUID, ["-N", "-f", join(dir, "squid.conf"), "-n", `hansomtls${port}`], {
    cwd: dir,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout!.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (output += b.toString()));
  let exited: string | null = null;
  child.on("exit", (code, sig) => (exited = `exited with ${code ?? sig}`));
  child.on("error", (e) => (exited = e.message));
  const stop = async (): Promise<void> => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15000;
  while (!(await accepts(port))) {
    if (exited || Date.now() > deadline) {
      let log = "";
      try {
        log = readFileSync(join(dir, "cache.log"), "utf8").split("\n").slice(-8).join("\n");
      } catch {
        // no log written
      }
      await stop();
      throw new Error(
        `squid (https_port) ${exited ?? "did not listen within 15 s"}: ${output.trim().slice(-500)}\n${log}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { port, stop };
}

type Slot<T> = { server?: T; skip?: string };
const nginx: Slot<Running> = {};
const squid: Slot<HttpsSquid> = {};
const squidAuth: Slot<HttpsSquid> = {};
const pool = new Pool();

async function fill<T>(slot: Slot<T>, name: string, start: () => Promise<T>): Promise<void> {
  try {
    // A second try covers a port taken between choosing it and the server binding it.
    slot.server = await start().catch(() => start());
  } catch (e) {
    const why = (e as Error).message.trim().replace(/\s*\n\s*/g, " | ");
    slot.skip = `${name}: ${why}`;
    console.log(`# interop: skipping ${name}: ${why}`);
  }
}

before(async () => {
  await Promise.all([
    fill(nginx, "nginx", startNginx),
    fill(squid, "squid https_port", () => startHttpsSquid()),
    fill(squidAuth, "squid https_port with auth", () => startHttpsSquid(SQUID_AUTH)),
  ]);
});

after(async () => {
  await pool.close();
  await Promise.all([nginx.server?.stop(), squid.server?.stop(), squidAuth.server?.stop()]);
});

/** Skips `t` with the reasons when a slot has no server; else their servers. */
function ready<T extends unknown[]>(t: TestContext, ...slots: { [K in keyof T]: Slot<T[K]> }): T | null {
  const missing = slots.map((s) => s.skip).filter((r) => r !== undefined);
  if (missing.length > 0) {
    t.skip(missing.join("; "));
    return null;
  }
  return slots.map((s) => s.server) as T;
}

const tls = { ca: tlsFixtures.ca };
const proxyTls = { ca: tlsFixtures.ca };
const plainUrl = (n: Running): string => `http://127.0.0.1:${n.port}/hello.txt`;
const tlsUrl = (n: Running): string => `https://127.0.0.1:${n.ports["https"]}/hello.txt`;
const proxyUrl = (s: HttpsSquid, user?: string, pass?: string): string =>
  `https://${user === undefined ? "" : `${encodeURIComponent(user)}:${encodeURIComponent(pass ?? "")}@`}127.0.0.1:${s.port}`;

async function hello(url: string, opts: RequestOptions): Promise<void> {
  const res = await request("GET", url, { pool, tls, ...opts });
  assert.equal(res.status, 200, url);
  assert.equal(await res.text(), NGINX_FILES.hello);
}

const T = { timeout: 20000 };

test("interop squid https_port - http target in absolute form over TLS to the proxy", T, async (t) => {
  const s = ready<[Running, HttpsSquid]>(t, nginx, squid);
  if (!s) return;
  const [n, sq] = s;
  await hello(plainUrl(n), { proxy: proxyUrl(sq), proxyTls });
  // squid names itself in Via on what it forwards: the response did come through it.
  const res = await request("GET", plainUrl(n), { pool, proxy: proxyUrl(sq), proxyTls });
  assert.match(res.headers.get("via") ?? "", /hansom-interop-tls/);
  await res.skip();
});

test("interop squid https_port - https target through CONNECT, TLS inside TLS", T, async (t) => {
  const s = ready<[Running, HttpsSquid]>(t, nginx, squid);
  if (!s) return;
  const [n, sq] = s;
  for (let i = 0; i < 3; i++) await hello(tlsUrl(n), { proxy: proxyUrl(sq), proxyTls });
  await hello(tlsUrl(n), { proxy: proxyUrl(sq), proxyTls: { insecure: true } });
});

test("interop squid https_port - basic auth from the URL; without it 407 / proxy_error", T, async (t) => {
  const s = ready<[Running, HttpsSquid]>(t, nginx, squidAuth);
  if (!s) return;
  const [n, sq] = s;
  const authed = proxyUrl(sq, ...SQUID_AUTH);
  await hello(plainUrl(n), { proxy: authed, proxyTls });
  await hello(tlsUrl(n), { proxy: authed, proxyTls });
  const res = await request("GET", plainUrl(n), { pool, proxy: proxyUrl(sq), proxyTls });
  assert.equal(res.status, 407);
  await res.skip();
  const e = await rejection(
    request("GET", tlsUrl(n), { pool, tls, proxy: proxyUrl(sq, SQUID_AUTH[0], "wrong"), proxyTls }),
  );
  assert.equal(e.code, "proxy_error");
  assert.match(e.message, /407/);
});

test("interop squid https_port - the proxy's certificate is checked against proxyTls", T, async (t) => {
  const s = ready<[Running, HttpsSquid]>(t, nginx, squid);
  if (!s) return;
  const [n, sq] = s;
  for (const url of [plainUrl(n), tlsUrl(n)]) {
    const e = await rejection(request("GET", url, { pool, tls, proxy: proxyUrl(sq) }));
    assert.equal(e.code, "tls_error", e.message);
    assert.match(e.message, /HTTPS proxy/);
  }
});
