import { test, after } from "node:test";
import assert from "node:assert/strict";
import { request, get, post, Pool, type HansomError } from "../lib/index.ts";
import { httpServer, readBody } from "./helpers/servers.ts";

const pool = new Pool();
after(() => pool.close());

interface Seen {
  method: string;
  url: string;
  body: string;
  auth: string | null;
  cookie: string | null;
  proxyAuth: string | null;
  cl: string | null;
  ct: string | null;
}

/** The target of cross-origin redirects: another port is another origin. */
const other = await httpServer(async (req, res) => {
  const body = (await readBody(req)).toString();
  res.end(
    JSON.stringify({
      method: req.method,
      url: req.url,
      body,
      auth: req.headers.authorization ?? null,
      cookie: req.headers.cookie ?? null,
      proxyAuth: req.headers["proxy-authorization"] ?? null,
      cl: req.headers["content-length"] ?? null,
      ct: req.headers["content-type"] ?? null,
    } satisfies Partial<Seen>),
  );
});
after(() => other.close());

const srv = await httpServer(async (req, res) => {
  const u = new URL(req.url!, "http://x");
  const body = (await readBody(req)).toString();
  const code = Number(u.searchParams.get("code") ?? 302);
  if (u.pathname === "/to")
    return void res.writeHead(code, { location: u.searchParams.get("loc")! }).end("redirect body");
  if (u.pathname === "/chain") {
    const n = Number(u.searchParams.get("n"));
    return void res.writeHead(302, { location: n > 1 ? `/chain?n=${n - 1}` : "/final" }).end();
  }
  if (u.pathname === "/loop") return void res.writeHead(302, { location: "/loop" }).end();
  res.end(
    JSON.stringify({
      method: req.method,
      url: req.url,
      body,
      auth: req.headers.authorization ?? null,
      cookie: req.headers.cookie ?? null,
      proxyAuth: req.headers["proxy-authorization"] ?? null,
      cl: req.headers["content-length"] ?? null,
      ct: req.headers["content-type"] ?? null,
    } satisfies Partial<Seen>),
  );
});
after(() => srv.close());

const to = (code: number, loc: string): string => `${srv.url}/to?code=${code}&loc=${encodeURIComponent(loc)}`;

test("redirect - not followed by default: the 3xx is the response", async () => {
  const res = await get(to(302, "/final"), { pool });
  assert.equal(res.status, 302);
  assert.equal(res.headers.get("location"), "/final");
  assert.equal(await res.text(), "redirect body");
  assert.deepEqual(res.redirects, []);
});

test("redirect - 301/302/307/308 followed for GET and HEAD; url and redirects tell the chain", async () => {
  for (const code of [301, 302, 307, 308]) {
    const res = await get(to(code, "/final?x=1"), { pool, followRedirect: true });
    const seen = await res.json<Seen>();
    assert.equal(seen.url, "/final?x=1", String(code));
    assert.equal(res.url, `${srv.url}/final?x=1`);
    assert.deepEqual(
      res.redirects.map((r) => [r.status, r.url]),
      [[code, `${srv.url}/final?x=1`]],
    );
    assert.ok(res.redirects[0]!.headers.some(([k]) => k.toLowerCase() === "location"));
    assert.equal(res.info().redirects, 1);
    const h = await request("HEAD", to(code, "/final"), { pool, followRedirect: true });
    assert.equal(h.status, 200);
  }
});

test("redirect - 303 turns POST into a GET without body or body headers", async () => {
  const res = await post(to(303, "/final"), {
    pool,
    followRedirect: true,
    body: "payload",
    headers: { "content-type": "text/x" },
  });
  const seen = await res.json<Seen>();
  assert.deepEqual([seen.method, seen.body, seen.cl, seen.ct], ["GET", "", null, null]);
});

test("redirect - 301/302 on POST only with forceRedirect", async () => {
  for (const code of [301, 302]) {
    const res = await post(to(code, "/final"), { pool, followRedirect: true, body: "p" });
    assert.equal(res.status, code);
    await res.skip();
    const forced = await post(to(code, "/final"), { pool, followRedirect: true, forceRedirect: true, body: "p" });
    const seen = await forced.json<Seen>();
    assert.equal(seen.method, "POST");
    assert.equal(seen.body, "p");
  }
});

test("redirect - 307/308 keep method and body; a one-shot body ends the chain there", async () => {
  for (const code of [307, 308]) {
    const seen = await (
      await request("PUT", to(code, "/final"), { pool, followRedirect: true, body: "same body" })
    ).json<Seen>();
    assert.deepEqual([seen.method, seen.body], ["PUT", "same body"]);
    const oneShot = await post(to(code, "/final"), {
      pool,
      followRedirect: true,
      body: (async function* () {
        yield "once";
      })(),
    });
    assert.equal(oneShot.status, code, "the redirect itself comes back");
    await oneShot.skip();
  }
});

test("redirect - relative Locations resolve against the current URL", async () => {
  const res = await get(`${srv.url}/to?code=302&loc=${encodeURIComponent("../final?rel=1")}`, {
    pool,
    followRedirect: true,
  });
  assert.equal((await res.json<Seen>()).url, "/final?rel=1");
});

test("redirect - maxRedirect N allows N; the (N+1)th is max_redirect", async () => {
  const ok = await get(`${srv.url}/chain?n=3`, { pool, followRedirect: true, maxRedirect: 3 });
  assert.equal(ok.status, 200);
  assert.equal(ok.redirects.length, 3);
  await ok.skip();
  await assert.rejects(get(`${srv.url}/chain?n=4`, { pool, followRedirect: true, maxRedirect: 3 }), {
    code: "max_redirect",
  });
  await assert.rejects(
    get(`${srv.url}/loop`, { pool, followRedirect: true }),
    (e: HansomError) => e.code === "max_redirect" && /5/.test(e.message),
  );
  assert.equal(pool.stats().inUse, 0);
});

test("redirect - credentials never cross to another origin", async () => {
  const target = `${other.url}/elsewhere`;
  const res = await get(to(302, target).replace("//", "//u:pw@"), {
    pool,
    followRedirect: true,
    basicAuth: ["user", "pass"],
    cookie: ["a=1"],
    headers: { Authorization: "Bearer secret", Cookie: "b=2", "Proxy-Authorization": "Basic x", "X-Keep": "1" },
  });
  const seen = await res.json<Seen>();
  assert.equal(seen.url, "/elsewhere");
  assert.deepEqual([seen.auth, seen.cookie, seen.proxyAuth], [null, null, null]);
  // Same origin keeps them.
  const same = await (
    await get(to(302, "/final"), { pool, followRedirect: true, basicAuth: ["user", "pass"], cookie: "a=1" })
  ).json<Seen>();
  assert.equal(same.auth, `Basic ${Buffer.from("user:pass").toString("base64")}`);
  assert.equal(same.cookie, "a=1");
});

test("redirect - a Location with another scheme is refused", async () => {
  await assert.rejects(get(to(302, "ftp://127.0.0.1/file"), { pool, followRedirect: true }), { code: "invalid_url" });
  assert.equal(pool.stats().inUse, 0);
});
