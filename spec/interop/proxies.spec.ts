// request() against real servers: nginx as the origin (http and https), squid as an HTTP proxy
// (plain and CONNECT, with and without basic auth), dante as a SOCKS5 proxy (with and without
// username auth). A server whose package is missing skips its tests, with the reason printed.
import { test, before, after } from "node:test";
import type { TestContext } from "node:test";
import assert from "node:assert/strict";
import { Pool, request } from "../../lib/index.ts";
import type { RequestOptions } from "../../lib/index.ts";
import { tlsFixtures } from "../helpers/proxies.ts";
import { rejection } from "../helpers/errors.ts";
import { NGINX_FILES, SOCKS_PASSWORD, SOCKS_USER, SQUID_AUTH, startDante, startNginx, startSquid } from "./servers.ts";
import type { Running } from "./servers.ts";

type Slot = { server?: Running; skip?: string };
const slots: Record<"nginx" | "squid" | "squidAuth" | "dante" | "danteAuth", Slot> = {
  nginx: {},
  squid: {},
  squidAuth: {},
  dante: {},
  danteAuth: {},
};
const pool = new Pool();

before(async () => {
  const starts: Array<[keyof typeof slots, () => Promise<Running>]> = [
    ["nginx", startNginx],
    ["squid", () => startSquid()],
    ["squidAuth", () => startSquid(SQUID_AUTH)],
    ["dante", () => startDante(false)],
    ["danteAuth", () => startDante(true)],
  ];
  await Promise.all(
    starts.map(async ([name, start]) => {
      try {
        // A second try covers a port taken between choosing it and the server binding it.
        slots[name].server = await start().catch(() => start());
      } catch (e) {
        const why = (e as Error).message.trim().replace(/\s*\n\s*/g, " | ");
        slots[name].skip = `${name}: ${why}`;
        console.log(`# interop: skipping ${name}: ${why}`);
      }
    }),
  );
});

after(async () => {
  await pool.close();
  await Promise.all(Object.values(slots).map((s) => s.server?.stop()));
});

/** The running servers `names` need, or null after marking the test skipped with the reason. */
function servers(t: TestContext, ...names: Array<keyof typeof slots>): Running[] | null {
  const missing = names.map((n) => slots[n].skip).filter((r) => r !== undefined);
  if (missing.length > 0) {
    t.skip(missing.join("; "));
    return null;
  }
  return names.map((n) => slots[n].server!);
}

const tls = { ca: tlsFixtures.ca };
const http = (n: Running, path = "/hello.txt"): string => `http://127.0.0.1:${n.port}${path}`;
const https = (n: Running, path = "/hello.txt"): string => `https://127.0.0.1:${n.ports["https"]}${path}`;
const squidUrl = (s: Running, user?: string, pass?: string): string =>
  `http://${user === undefined ? "" : `${encodeURIComponent(user)}:${encodeURIComponent(pass ?? "")}@`}127.0.0.1:${s.port}`;

async function hello(url: string, opts: RequestOptions = {}): Promise<void> {
  const res = await request("GET", url, { pool, tls, ...opts });
  assert.equal(res.status, 200, url);
  assert.equal(await res.text(), NGINX_FILES.hello);
}

const T = { timeout: 20000 };

test("interop nginx - http and https origins, direct", T, async (t) => {
  const s = servers(t, "nginx");
  if (!s) return;
  await hello(http(s[0]!));
  await hello(https(s[0]!));
});

test("interop nginx - multiple byte ranges come back as multipart/byteranges", T, async (t) => {
  const s = servers(t, "nginx");
  if (!s) return;
  const res = await request("GET", https(s[0]!, "/range.txt"), { pool, tls, headers: { range: "bytes=0-3,10-12" } });
  assert.equal(res.status, 206);
  assert.match(res.headers.get("content-type") ?? "", /^multipart\/byteranges; boundary=/);
  const parts: string[] = [];
  for await (const ev of res.multipart()) if (ev.type === "body") parts.push(new TextDecoder().decode(ev.chunk));
  assert.equal(parts.join("|"), "0123|012");
});

test("interop squid - plain http target through the proxy (absolute-form)", T, async (t) => {
  const s = servers(t, "nginx", "squid");
  if (!s) return;
  const [nginx, squid] = s as [Running, Running];
  const res = await request("GET", http(nginx), { pool, proxy: squidUrl(squid) });
  assert.equal(res.status, 200);
  assert.match(res.headers.get("via") ?? "", /squid/);
  assert.equal(await res.text(), NGINX_FILES.hello);
});

test("interop squid - https target through CONNECT, reused from the pool", T, async (t) => {
  const s = servers(t, "nginx", "squid");
  if (!s) return;
  const [nginx, squid] = s as [Running, Running];
  await hello(https(nginx), { proxy: squidUrl(squid) });
  const again = await request("GET", https(nginx), { pool, tls, proxy: squidUrl(squid) });
  assert.equal(again.info().reused, true);
  await again.skip();
  await hello(http(nginx), { proxy: { connect: { host: "127.0.0.1", port: squid.port } } });
});

test("interop squid - basic auth: credentials work for plain and CONNECT", T, async (t) => {
  const s = servers(t, "nginx", "squidAuth");
  if (!s) return;
  const [nginx, squid] = s as [Running, Running];
  await hello(http(nginx), { proxy: squidUrl(squid, ...SQUID_AUTH) });
  await hello(https(nginx), { proxy: { host: "127.0.0.1", port: squid.port, auth: SQUID_AUTH } });
});

test("interop squid - wrong credentials: 407 Response for plain, proxy_error for CONNECT", T, async (t) => {
  const s = servers(t, "nginx", "squidAuth");
  if (!s) return;
  const [nginx, squid] = s as [Running, Running];
  const res = await request("GET", http(nginx), { pool, proxy: squidUrl(squid, SQUID_AUTH[0], "wrong") });
  assert.equal(res.status, 407);
  assert.match(res.headers.get("proxy-authenticate") ?? "", /^Basic realm="hansom-interop"/);
  await res.skip();
  const none = await request("GET", http(nginx), { pool, proxy: squidUrl(squid) });
  assert.equal(none.status, 407);
  await none.skip();
  const e = await rejection(
    request("GET", https(nginx), { pool, tls, proxy: squidUrl(squid, SQUID_AUTH[0], "wrong") }),
  );
  assert.equal(e.code, "proxy_error");
  assert.match(e.message, /^Proxy refused CONNECT to 127\.0\.0\.1:\d+: 407 Proxy Authentication Required/);
});

test("interop dante - SOCKS5 without auth: http and https targets, names resolved by the proxy", T, async (t) => {
  const s = servers(t, "nginx", "dante");
  if (!s) return;
  const [nginx, dante] = s as [Running, Running];
  const proxy = `socks5h://127.0.0.1:${dante.port}`;
  await hello(http(nginx), { proxy });
  await hello(https(nginx), { proxy });
  await hello(`https://localhost:${nginx.ports["https"]}/hello.txt`, {
    proxy: { socks5: { host: "127.0.0.1", port: dante.port } },
  });
});

test("interop dante - SOCKS5 username/password; a wrong password is proxy_error", T, async (t) => {
  const s = servers(t, "nginx", "danteAuth");
  if (!s) return;
  const [nginx, dante] = s as [Running, Running];
  const socks5 = { host: "127.0.0.1", port: dante.port, username: SOCKS_USER, password: SOCKS_PASSWORD };
  await hello(http(nginx), { proxy: { socks5 } });
  await hello(https(nginx), { proxy: { socks5 } });
  const e = await rejection(request("GET", http(nginx), { pool, proxy: { socks5: { ...socks5, password: "wrong" } } }));
  assert.equal(e.code, "proxy_error");
  assert.match(e.message, /^SOCKS5 authentication failed/);
  const anon = await rejection(
    request("GET", http(nginx), { pool, proxy: { socks5: { host: "127.0.0.1", port: dante.port } } }),
  );
  assert.equal(anon.code, "proxy_error");
  assert.match(anon.message, /^SOCKS5 authentication failed: the proxy accepts none/);
});
