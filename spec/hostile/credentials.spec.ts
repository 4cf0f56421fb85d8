// Credentials never cross origins on redirect (RFC 9110 §15.4; hansom's redirect rule):
// Authorization, Cookie and Proxy-Authorization headers (any case, any header form), basicAuth,
// URL userinfo and the cookie option reach the first origin only. Origins differ by port, by
// host (127.0.0.1 vs localhost on one port) and by scheme alone (one port speaking both https
// and http). A same-origin redirect keeps them, so these checks can fail.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import * as tls from "node:tls";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { get, request, connect, Pool } from "../../lib/index.ts";
import type { RequestOptions } from "../../lib/index.ts";
import { readRequests, within } from "./harness.ts";
import type { ServerRequest } from "./harness.ts";

function fixtureDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json")) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, "spec", "fixtures", "tls");
}
const FIX = fixtureDir();
const CA = readFileSync(join(FIX, "ca.pem"), "utf8");
const CERT = readFileSync(join(FIX, "server.pem"), "utf8");
const KEY = readFileSync(join(FIX, "server-key.pem"), "utf8");

/** A request as seen by a server: which scheme it came over, and what it carried. */
interface Seen extends ServerRequest {
  scheme: "http" | "https";
  port: number;
}

/**
 * One port that speaks https and http (by the first byte: 0x16 opens a TLS handshake).
 * `/r/<status>/<url-encoded Location>` redirects; anything else answers 200 "done".
 */
async function dualServer(seen: Seen[]): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((raw) => {
    sockets.add(raw);
    raw.on("close", () => sockets.delete(raw));
    raw.on("error", () => {});
    raw.once("data", (first: Buffer) => {
      raw.pause();
      raw.unshift(first);
      const secure = first[0] === 0x16;
      const s = secure ? new tls.TLSSocket(raw, { isServer: true, cert: CERT, key: KEY }) : raw;
      s.on("error", () => {});
      readRequests(s, (r) => {
        seen.push({ ...r, scheme: secure ? "https" : "http", port: port });
        const m = /^\/r\/(\d{3})\/(.*)$/.exec(r.target);
        if (m)
          s.write(`HTTP/1.1 ${m[1]} Redirect\r\nLocation: ${decodeURIComponent(m[2]!)}\r\nContent-Length: 0\r\n\r\n`);
        else s.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\ndone");
      });
      if (!secure) raw.resume();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

const seen: Seen[] = [];
const a = await dualServer(seen);
const b = await dualServer(seen);
after(() => Promise.all([a.close(), b.close()]));

const CREDENTIALS = ["authorization", "cookie", "proxy-authorization"];

/** The credential headers a request carried. */
const creds = (r: Seen): Array<[string, string]> => r.headers.filter(([k]) => CREDENTIALS.includes(k));

/** Ways of giving credentials, each with the headers the first origin must see. */
const GIVEN: Array<[string, (base: string) => { url: string; opts: RequestOptions }, string[]]> = [
  [
    "Authorization, Cookie and Proxy-Authorization headers",
    (base) => ({
      url: base,
      opts: {
        headers: { Authorization: "Bearer s3cret", Cookie: "sid=1", "Proxy-Authorization": "Basic cHJveHk6cHc=" },
      },
    }),
    CREDENTIALS,
  ],
  [
    "the same headers as pairs in odd case",
    (base) => ({
      url: base,
      opts: {
        headers: [
          ["AUTHORIZATION", "Bearer s3cret"],
          ["cOOKIE", "sid=1"],
          ["proxy-AUTHORIZATION", "Basic x"],
        ],
      },
    }),
    CREDENTIALS,
  ],
  [
    "a Headers object",
    (base) => ({ url: base, opts: { headers: new Headers({ authorization: "Bearer s3cret", cookie: "sid=1" }) } }),
    ["authorization", "cookie"],
  ],
  ["basicAuth", (base) => ({ url: base, opts: { basicAuth: ["user", "pw"] } }), ["authorization"]],
  ["URL userinfo", (base) => ({ url: base.replace("://", "://user:pw@"), opts: {} }), ["authorization"]],
  ["the cookie option (list)", (base) => ({ url: base, opts: { cookie: ["a=1", "b=2"] } }), ["cookie"]],
  [
    "the cookie option with a Cookie header",
    (base) => ({ url: base, opts: { cookie: "a=1", headers: { cookie: "sid=1" } } }),
    ["cookie"],
  ],
];

/** Redirects that change the origin: [what, first origin, Location origin]. */
const CROSS: Array<[string, string, string]> = [
  ["another port", `http://127.0.0.1:${a.port}`, `http://127.0.0.1:${b.port}`],
  ["another host, same port", `http://127.0.0.1:${a.port}`, `http://localhost:${a.port}`],
  ["https to http, same host and port", `https://127.0.0.1:${a.port}`, `http://127.0.0.1:${a.port}`],
  ["http to https, same host and port", `http://127.0.0.1:${a.port}`, `https://127.0.0.1:${a.port}`],
];

/** Follows one redirect with `status` from `from` to `to`, returns the two requests the servers saw. */
async function hop(
  from: string,
  to: string,
  status: number,
  given: (base: string) => { url: string; opts: RequestOptions },
  method = "GET",
): Promise<[Seen, Seen]> {
  seen.length = 0;
  const loc = encodeURIComponent(`${to}/final`);
  const { url, opts } = given(`${from}/r/${status}/${loc}`);
  const pool = new Pool();
  try {
    const res = await within(
      request(method, url, {
        ...opts,
        pool,
        followRedirect: true,
        tls: { ca: CA },
        ...(method === "POST" ? { body: "payload" } : {}),
      }),
      8000,
      "the redirected request",
    );
    assert.equal(await res.text(), "done");
  } finally {
    await pool.close();
  }
  assert.equal(seen.length, 2, `requests seen: ${seen.map((s) => `${s.scheme} ${s.target}`).join(", ")}`);
  return [seen[0]!, seen[1]!];
}

for (const [how, given, expected] of GIVEN) {
  for (const [what, from, to] of CROSS) {
    for (const status of [302, 307]) {
      test(`credentials - ${how} do not follow a ${status} to ${what}`, async () => {
        const [first, second] = await hop(from, to, status, given);
        assert.deepEqual(
          creds(first)
            .map(([k]) => k)
            .sort(),
          [...expected].sort(),
          "the first origin gets them",
        );
        assert.equal(second.scheme, to.split(":")[0], "the redirect reached the other scheme");
        assert.deepEqual(creds(second), [], `sent to ${to} after a redirect from ${from}`);
      });
    }
  }
  test(`credentials - ${how} do follow a same-origin relative redirect (control)`, async () => {
    const [first, second] = await hop(`http://127.0.0.1:${a.port}`, "", 302, given);
    assert.deepEqual(
      creds(second)
        .map(([k]) => k)
        .sort(),
      creds(first)
        .map(([k]) => k)
        .sort(),
    );
    assert.ok(creds(second).length > 0);
  });
}

test("credentials - a 303 after POST to another origin carries none either", async () => {
  const [, second] = await hop(`http://127.0.0.1:${a.port}`, `http://127.0.0.1:${b.port}`, 303, GIVEN[0]![1], "POST");
  assert.equal(second.method, "GET");
  assert.deepEqual(creds(second), []);
});

test("credentials - a chain that leaves and comes back to the first origin sends none after leaving", async () => {
  seen.length = 0;
  const back = encodeURIComponent(`http://127.0.0.1:${a.port}/final`);
  const away = encodeURIComponent(`http://127.0.0.1:${b.port}/r/302/${back}`);
  const res = await get(`http://127.0.0.1:${a.port}/r/302/${away}`, {
    pool: false,
    followRedirect: true,
    basicAuth: ["user", "pw"],
    headers: { cookie: "sid=1" },
  });
  assert.equal(await res.text(), "done");
  assert.equal(seen.length, 3);
  assert.ok(creds(seen[0]!).length === 2);
  assert.deepEqual(creds(seen[1]!), [], "the other origin");
});

test("credentials - Connection headers do not follow a redirect to another origin", async () => {
  seen.length = 0;
  const conn = await connect(`http://127.0.0.1:${a.port}`, {
    headers: { authorization: "Bearer conn", cookie: "c=1" },
  });
  try {
    const loc = encodeURIComponent(`http://127.0.0.1:${b.port}/final`);
    const res = await within(
      conn.request("GET", `/r/302/${loc}`, { followRedirect: true }),
      8000,
      "a redirect through a Connection",
    );
    assert.equal(await res.text(), "done");
  } finally {
    await conn.close();
  }
  assert.equal(seen.length, 2);
  assert.equal(creds(seen[0]!).length, 2);
  assert.deepEqual(creds(seen[1]!), []);
});

test("credentials - a POST 307 to another origin keeps the body but not the credentials", async () => {
  const [first, second] = await hop(
    `http://127.0.0.1:${a.port}`,
    `http://127.0.0.1:${b.port}`,
    307,
    GIVEN[3]![1],
    "POST",
  );
  assert.equal(second.method, "POST");
  assert.equal(Buffer.from(second.body).toString(), "payload");
  assert.equal(creds(first).length, 1);
  assert.deepEqual(creds(second), []);
});
