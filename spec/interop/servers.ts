// Real servers for the interop suite, from Debian packages (installed by .ci/interop.sh): squid
// (HTTP proxy and CONNECT, optionally with basic auth), dante (SOCKS5, optionally with username
// auth against a system user), nginx (http and https static files). Each gets its own config in
// a temp dir, listens on 127.0.0.1 only, runs in the foreground as a child of the spec, and is
// stopped by stop(). A start that cannot happen rejects with a reason the spec prints as a skip.
// The process helpers are exported for the other servers (nginx.ts, httpbin.ts).
import { spawn, spawnSync } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { repoRoot } from "../helpers/proxies.ts";

/** The system user .ci/interop.sh creates for dante's username method. */
export const SOCKS_USER = "hansomproxy";
/** Its password (a throwaway for a loopback-only test proxy). */
export const SOCKS_PASSWORD = "hansom-socks-pw";
/** The squid basic-auth user. */
export const SQUID_AUTH: [string, string] = ["squiduser", "squid pässword"];

/** A running server. */
export interface Running {
  port: number;
  /** Extra ports (nginx: https). */
  ports: Record<string, number>;
  /** Where its config and logs are. */
  dir: string;
  stop(): Promise<void>;
}

export const isRoot = typeof process.getuid === "function" && process.getuid() === 0;

/** The first of `paths` that exists, or throws the skip reason. */
export function need(what: string, paths: string[]): string {
  const found = paths.find((p) => existsSync(p));
  if (!found) throw new Error(`${what} is not installed (looked for ${paths.join(", ")}); run bash .ci/interop.sh`);
  return found;
}

/** Ports handed out in this process: servers start in parallel, and the OS may offer a just-closed port again. */
const handedOut = new Set<number>();

/** A loopback TCP port no server of this process was given yet. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const s = net.createServer();
      s.once("error", reject);
      s.listen(0, "127.0.0.1", () => {
        const p = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

/** True when 127.0.0.1:`at` (a port) or the Unix socket `at` (a path) accepts a connection. */
function canConnect(at: number | string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = typeof at === "number" ? net.connect(at, "127.0.0.1") : net.connect({ path: at });
    s.once("connect", () => {
      s.destroy();
      resolve(true);
    });
    s.once("error", () => resolve(false));
  });
}

function tail(file: string): string {
  try {
    return readFileSync(file, "utf8").split("\n").slice(-8).join("\n");
  } catch {
    return "(no log)";
  }
}

/** A fresh temp dir that the servers' unprivileged users can use. */
export function workDir(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `hansom-${name}-`));
  // The servers drop root for an unprivileged user that must read (and, for squid, write) here.
  chmodSync(dir, 0o777);
  return dir;
}

/** Spawns `cmd` and waits until every port (or Unix socket path) accepts; on failure removes `dir`. */
export async function launch(
  name: string,
  cmd: string,
  args: string[],
  dir: string,
  ports: Array<number | string>,
  log: string,
): Promise<ChildProcess> {
  const child = spawn(cmd, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout!.on("data", (b: Buffer) => (output += b.toString()));
  child.stderr!.on("data", (b: Buffer) => (output += b.toString()));
  let exited: string | null = null;
  child.on("exit", (code, sig) => (exited = `exited with ${code ?? sig}`));
  child.on("error", (e) => (exited = e.message));
  const deadline = Date.now() + 15000;
  for (;;) {
    if (exited) {
      const why = `${name} ${exited}: ${output.trim().slice(-500)}\n${tail(log)}`;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(why);
    }
    const up = await Promise.all(ports.map(canConnect));
    if (up.every(Boolean)) return child;
    if (Date.now() > deadline) {
      await stopChild(child);
      const why = `${name} did not listen within 15 s: ${output.trim().slice(-500)}\n${tail(log)}`;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(why);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves once the process is gone. */
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

/** The Running for a launched child: stop() ends it and removes `dir`. */
export function running(child: ChildProcess, dir: string, port: number, ports: Record<string, number> = {}): Running {
  return {
    port,
    ports,
    dir,
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** squid as an HTTP proxy (absolute-form and CONNECT), with basic auth when `auth`. */
export async function startSquid(auth?: [string, string]): Promise<Running> {
  const squid = need("squid", ["/usr/sbin/squid"]);
  const helper = auth
    ? need("squid's basic_ncsa_auth", ["/usr/lib/squid/basic_ncsa_auth", "/usr/lib64/squid/basic_ncsa_auth"])
    : "";
  const openssl = auth ? need("openssl", ["/usr/bin/openssl"]) : "";
  const lines: string[] = [];
  const dir = workDir("squid");
  const port = await freePort();
  lines.push(
    `http_port 127.0.0.1:${port}`,
    `pid_filename ${dir}/squid.pid`,
    `cache_log ${dir}/cache.log`,
    `access_log ${dir}/access.log`,
    "cache_store_log none",
    "cache deny all",
    `coredump_dir ${dir}`,
    "pinger_enable off",
    "shutdown_lifetime 0 seconds",
    "visible_hostname hansom-interop",
  );
  if (auth) {
    const hash = spawnSync(openssl, ["passwd", "-apr1", "-stdin"], { input: auth[1] + "\n", encoding: "utf8" });
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
    lines.push("http_access allow all"); // loopback only: http_port binds 127.0.0.1
  }
  writeFileSync(join(dir, "squid.conf"), lines.join("\n") + "\n");
  // -N: foreground, no daemon; -n: a service name of its own, so two squids can run at once.
  const name = `hansom${port}`;
  const child = await launch(
    "squid",
    squid,
    ["-N", "-f", join(dir, "squid.conf"), "-n", name],
    dir,
    [port],
    join(dir, "cache.log"),
  );
  return running(child, dir, port);
}

/** True when the system user for dante's username method exists (see .ci/interop.sh). */
export function socksUserExists(): boolean {
  try {
    return readFileSync("/etc/passwd", "utf8")
      .split("\n")
      .some((l) => l.startsWith(`${SOCKS_USER}:`));
  } catch {
    return false;
  }
}

/** dante's sockd as a SOCKS5 server, with username/password auth (system users) when `auth`. */
export async function startDante(auth: boolean): Promise<Running> {
  const sockd = need("dante-server", ["/usr/sbin/danted", "/usr/sbin/sockd"]);
  if (auth && !isRoot) throw new Error("dante's username method reads /etc/shadow: the interop suite must run as root");
  if (auth && !socksUserExists()) throw new Error(`system user ${SOCKS_USER} is missing; run bash .ci/interop.sh`);
  const dir = workDir("dante");
  const port = await freePort();
  const lines = [
    `logoutput: ${dir}/sockd.log`,
    `internal: 127.0.0.1 port = ${port}`,
    "external: 127.0.0.1",
    `socksmethod: ${auth ? "username" : "none"}`,
    "clientmethod: none",
    // Server settings must precede the rules.
    ...(isRoot ? ["user.privileged: root", "user.unprivileged: nobody"] : []),
    "client pass { from: 127.0.0.0/8 to: 0.0.0.0/0 }",
    "socks pass { from: 127.0.0.0/8 to: 0.0.0.0/0 command: connect }",
  ];
  writeFileSync(join(dir, "sockd.conf"), lines.join("\n") + "\n");
  const child = await launch(
    "dante",
    sockd,
    ["-f", join(dir, "sockd.conf"), "-p", join(dir, "sockd.pid"), "-N", "1"],
    dir,
    [port],
    join(dir, "sockd.log"),
  );
  return running(child, dir, port);
}

/** The files nginx serves: hello.txt ("hello\n") and range.txt (1000 bytes, 0-9 repeated). */
export const NGINX_FILES = { hello: "hello\n", range: "0123456789".repeat(100) };

/** A www dir under `dir` holding `files` (name -> content), readable by nginx's worker user. */
export function nginxRoot(dir: string, files: Record<string, string | Uint8Array>): string {
  const www = join(dir, "www");
  mkdirSync(www, { mode: 0o755 });
  chmodSync(www, 0o755);
  for (const [name, body] of Object.entries(files)) writeFileSync(join(www, name), body, { mode: 0o644 });
  return www;
}

/**
 * Writes an nginx.conf in `dir` around `servers` (server blocks; `log_format`s may precede
 * them) and runs nginx in the foreground until every one of `listening` accepts. Every temp
 * path stays in `dir`, so nothing of the system's nginx is touched.
 */
export async function launchNginx(
  dir: string,
  servers: string,
  listening: Array<number | string>,
): Promise<ChildProcess> {
  let nginx: string;
  try {
    nginx = need("nginx", ["/usr/sbin/nginx"]);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  const conf = `
worker_processes 1;
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log info;
events { worker_connections 1024; }
http {
  access_log off;
  default_type text/plain;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${servers}
}
`;
  writeFileSync(join(dir, "nginx.conf"), conf);
  // -e: nginx opens its default error log before reading the config unless told otherwise.
  const args = ["-c", join(dir, "nginx.conf"), "-p", dir, "-e", join(dir, "error.log")];
  return launch("nginx", nginx, args, dir, listening, join(dir, "error.log"));
}

/** The spec fixture cert and key, as nginx directives. */
export function nginxCert(): string {
  const tls = join(repoRoot, "spec/fixtures/tls");
  return `ssl_certificate ${tls}/server.pem;\n    ssl_certificate_key ${tls}/server-key.pem;`;
}

/** nginx serving NGINX_FILES over http (port) and https (ports.https, the spec fixture cert). */
export async function startNginx(): Promise<Running> {
  need("nginx", ["/usr/sbin/nginx"]);
  const dir = workDir("nginx");
  const www = nginxRoot(
    dir,
    Object.fromEntries(Object.entries(NGINX_FILES).map(([name, body]) => [`${name}.txt`, body])),
  );
  const [port, tlsPort] = [await freePort(), await freePort()];
  const child = await launchNginx(
    dir,
    `
  server {
    listen 127.0.0.1:${port};
    listen 127.0.0.1:${tlsPort} ssl;
    server_name localhost;
    ${nginxCert()}
    root ${www};
  }`,
    [port, tlsPort],
  );
  return running(child, dir, port, { https: tlsPort });
}
