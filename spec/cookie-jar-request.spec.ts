// The cookieJar option end to end: cookies stored from every response of a redirect chain and
// sent only where they match (host, path, Secure), with hansom's CookieJar and with a store of
// tough-cookie's shape.
import { test } from "node:test";
import assert from "node:assert/strict";
import { get, CookieJar, Pool } from "../lib/index.ts";
import { httpServer } from "./helpers/servers.ts";

async function cookieServer() {
  const seen: Array<{ path: string; cookie: string }> = [];
  const srv = await httpServer((req, res) => {
    seen.push({ path: req.url!, cookie: String(req.headers.cookie ?? "") });
    switch (req.url) {
      case "/login":
        res.setHeader("set-cookie", ["session=abc; Path=/; HttpOnly", "pref=dark; Path=/app"]);
        res.statusCode = 302;
        res.setHeader("location", "/app/home");
        res.end();
        return;
      case "/secure":
        res.setHeader("set-cookie", "token=s3cret; Secure");
        res.end();
        return;
      default:
        res.end("page");
    }
  });
  return { srv, seen };
}

test("cookieJar - cookies from a redirect are stored and sent where their path matches", async () => {
  const { srv, seen } = await cookieServer();
  const pool = new Pool();
  const jar = new CookieJar();
  try {
    const res = await get(`${srv.url}/login`, { pool, cookieJar: jar, followRedirect: true });
    await res.text();
    assert.equal(seen[1]!.path, "/app/home");
    assert.match(seen[1]!.cookie, /session=abc/);
    assert.match(seen[1]!.cookie, /pref=dark/);
    await (await get(`${srv.url}/other`, { pool, cookieJar: jar })).text();
    assert.equal(seen.at(-1)!.cookie, "session=abc", "pref is for /app only");
    await (await get(`${srv.url}/secure`, { pool, cookieJar: jar })).text();
    await (await get(`${srv.url}/after`, { pool, cookieJar: jar })).text();
    assert.doesNotMatch(seen.at(-1)!.cookie, /token/, "a Secure cookie never goes over http");
    await (await get(`${srv.url}/plus`, { pool, cookieJar: jar, cookie: "extra=1" })).text();
    assert.equal(seen.at(-1)!.cookie, "extra=1; session=abc", "one Cookie header");
    const saved = JSON.parse(JSON.stringify(jar.toJSON()));
    const again = new CookieJar({ cookies: saved });
    assert.equal(again.getCookieString(`${srv.url}/app/x`), jar.getCookieString(`${srv.url}/app/x`));
  } finally {
    await pool.close();
    await srv.close();
  }
});

test("cookieJar - a tough-cookie-shaped store (async) works the same", async () => {
  const { srv, seen } = await cookieServer();
  const pool = new Pool();
  const stored: string[] = [];
  const store = {
    getCookieString: async (_url: string) => stored.map((c) => c.split(";")[0]).join("; "),
    setCookie: async (cookie: string, _url: string) => void stored.push(cookie),
  };
  try {
    await (await get(`${srv.url}/login`, { pool, cookieJar: store, followRedirect: true })).text();
    assert.equal(stored.length, 2);
    assert.equal(seen[1]!.cookie, "session=abc; pref=dark");
  } finally {
    await pool.close();
    await srv.close();
  }
});
