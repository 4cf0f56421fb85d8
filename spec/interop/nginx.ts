// nginx in two more shapes for the interop suite: listening on a Unix socket, and speaking
// HTTP/2 on its TLS listener. Both write an access log of what nginx saw (connection number,
// requests on it, protocol, Host), which the specs read to check reuse and headers from the
// server's side. Both run from a temp dir of their own, as startNginx does.
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, launchNginx, need, nginxCert, nginxRoot, running, workDir } from "./servers.ts";
import type { Running } from "./servers.ts";

/** One access log line: what nginx saw of a request. */
export interface LogLine {
  /** nginx's serial number of the connection ($connection). */
  connection: number;
  /** Requests on that connection so far, this one included ($connection_requests). */
  requests: number;
  status: number;
  /** $server_protocol: "HTTP/1.1", "HTTP/2.0". */
  protocol: string;
  /** The Host header as sent ($http_host); "" when none. */
  host: string;
  /** The request line ($request). */
  request: string;
}

/** An nginx whose access log the spec reads. */
export interface LoggedNginx extends Running {
  /** The access log so far, oldest first. */
  log(): LogLine[];
}

const LOG_FORMAT = `log_format hansom '$connection $connection_requests $status $server_protocol "$http_host" "$request"';`;
const LOG_LINE = /^(\d+) (\d+) (\d+) (\S+) "([^"]*)" "([^"]*)"$/;

function readLog(file: string): LogLine[] {
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    return [];
  }
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const m = LOG_LINE.exec(l);
      if (!m) throw new Error(`unexpected nginx access log line: ${l}`);
      return {
        connection: Number(m[1]),
        requests: Number(m[2]),
        status: Number(m[3]),
        protocol: m[4]!,
        host: m[5] === "-" ? "" : m[5]!,
        request: m[6]!,
      };
    });
}

/** The file nginx serves on its Unix socket. */
export const UNIX_HELLO = "hello over a unix socket\n";

/** nginx on a Unix socket (`socket`, in its temp dir): /hello.txt, and /echo answering POSTs itself. */
export async function startNginxUnix(): Promise<LoggedNginx & { socket: string }> {
  need("nginx", ["/usr/sbin/nginx"]);
  const dir = workDir("nginx-unix");
  const www = nginxRoot(dir, { "hello.txt": UNIX_HELLO });
  const socket = join(dir, "nginx.sock");
  const child = await launchNginx(
    dir,
    `
  ${LOG_FORMAT}
  server {
    listen unix:${socket};
    server_name _;
    access_log ${dir}/access.log hansom;
    root ${www};
    # nginx reads and discards the body, so the connection stays usable for the next request.
    location = /echo { return 200 "$request_method $content_length\\n"; }
  }`,
    [socket],
  );
  return { ...running(child, dir, 0), socket, log: () => readLog(join(dir, "access.log")) };
}

/** Deterministic bytes (xorshift32 from `seed`): content nobody compresses or guesses. */
export function patternBytes(size: number, seed: number): Uint8Array {
  const words = new Uint32Array(Math.ceil(size / 4));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    words[i] = x;
  }
  return new Uint8Array(words.buffer, 0, size);
}

/** What the HTTP/2 nginx serves: small.bin (bigger than one 64 KiB flow-control window) and big.bin. */
export const H2_FILES = {
  small: { path: "/small.bin", bytes: patternBytes(100_000, 7) },
  big: { path: "/big.bin", size: 16 * 1024 * 1024, seed: 11 },
};

/** The SHA-256 (hex) of H2_FILES.big, computed when the server writes it. */
export let bigSha256 = "";

/** Why this nginx cannot speak HTTP/2, or the listen directives that make it (by version). */
function h2Listen(nginx: string, port: number): string {
  const v = spawnSync(nginx, ["-V"], { encoding: "utf8" });
  const text = `${v.stdout ?? ""}${v.stderr ?? ""}`;
  if (!text.includes("--with-http_v2_module")) throw new Error("this nginx is built without --with-http_v2_module");
  const m = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!m) throw new Error(`cannot read the nginx version from \`nginx -V\`: ${text.slice(0, 200)}`);
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // nginx 1.25.1 made http2 a directive of its own and deprecated the listen parameter.
  const modern = major > 1 || (major === 1 && (minor > 25 || (minor === 25 && patch >= 1)));
  return modern ? `listen 127.0.0.1:${port} ssl;\n    http2 on;` : `listen 127.0.0.1:${port} ssl http2;`;
}

/**
 * nginx with HTTP/2 (and HTTP/1.1, by ALPN) on TLS at `port`: H2_FILES, /post answered by nginx
 * itself, and /upstream/* proxied to 127.0.0.1:`upstreamPort` (a server the spec runs).
 */
export async function startNginxH2(upstreamPort: number): Promise<LoggedNginx> {
  const nginx = need("nginx", ["/usr/sbin/nginx"]);
  const port = await freePort();
  const listen = h2Listen(nginx, port);
  const dir = workDir("nginx-h2");
  const big = patternBytes(H2_FILES.big.size, H2_FILES.big.seed);
  bigSha256 = createHash("sha256").update(big).digest("hex");
  const www = nginxRoot(dir, { "small.bin": H2_FILES.small.bytes, "big.bin": big });
  const child = await launchNginx(
    dir,
    `
  ${LOG_FORMAT}
  server {
    ${listen}
    server_name localhost;
    ${nginxCert()}
    access_log ${dir}/access.log hansom;
    root ${www};
    client_max_body_size 16m;
    location = /post { return 200 "posted $request_method $content_length\\n"; }
    location /upstream/ { proxy_pass http://127.0.0.1:${upstreamPort}/; }
  }`,
    [port],
  );
  return { ...running(child, dir, port), log: () => readLog(join(dir, "access.log")) };
}
