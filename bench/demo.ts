// A tour of hansom against local servers this script starts itself (HTTP/1.1 on a port and on a
// Unix socket, HTTP/2 in cleartext).
// Node: `npm run demo`; Deno: `deno run -A bench/demo.ts`; Bun: `bun run bench/demo.ts`.
import * as http from "node:http";
import * as http2 from "node:http2";
import { gzipSync } from "node:zlib";
import { tmpdir } from "node:os";
import { rmSync } from "node:fs";
import type { AddressInfo } from "node:net";
import hansom, { Pool, HansomError, CookieJar, boundary } from "../lib/index.ts";
import type { Middleware } from "../lib/index.ts";
import { mockOrigin } from "../lib/testing/index.ts";
import { fetch } from "../lib/fetch/index.ts";

let flaky = 0; // /flaky answers 503 to its first request, then 200

const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? "/", "http://x");
  if (url.pathname === "/redirect") {
    res.writeHead(302, { location: "/hello?from=redirect" }).end();
  } else if (url.pathname === "/stream") {
    res.setHeader("content-type", "text/plain");
    let i = 0;
    const t = setInterval(() => {
      res.write(`tick ${++i}\n`);
      if (i === 3) {
        clearInterval(t);
        res.end();
      }
    }, 20);
  } else if (url.pathname === "/upload") {
    let n = 0;
    req.on("data", (c: Uint8Array) => (n += c.byteLength));
    req.on("end", () => res.end(JSON.stringify({ received: n, type: req.headers["content-type"] })));
  } else if (url.pathname === "/multipart") {
    const b = "demo-boundary";
    res.setHeader("content-type", `multipart/mixed; boundary=${b}`);
    res.end(
      `--${b}\r\ncontent-type: text/plain\r\n\r\nfirst part\r\n--${b}\r\ncontent-type: application/json\r\n\r\n{"second":true}\r\n--${b}--\r\n`,
    );
  } else if (url.pathname === "/gzip") {
    res
      .writeHead(200, { "content-type": "text/plain", "content-encoding": "gzip" })
      .end(gzipSync("this text travelled gzipped\n".repeat(4)));
  } else if (url.pathname === "/flaky") {
    if (flaky++ === 0) res.writeHead(503, { "retry-after": "0" }).end("try again");
    else res.end(`ok after ${flaky} attempts`);
  } else if (url.pathname === "/login") {
    res.writeHead(302, { location: "/whoami", "set-cookie": "session=demo42; Path=/; HttpOnly" }).end();
  } else if (url.pathname === "/whoami") {
    res.end(`cookie header: ${req.headers.cookie ?? "(none)"}`);
  } else if (url.pathname === "/echo-header") {
    res.end(`x-demo: ${req.headers["x-demo"] ?? "(none)"}`);
  } else if (url.pathname === "/missing") {
    res.writeHead(404, { "content-type": "text/plain" }).end("no such thing");
  } else if (url.pathname === "/slow") {
    setTimeout(() => res.end("late"), 500);
  } else {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ hello: "world", method: req.method, query: url.search }));
  }
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
// The same kind of server on a Unix socket, and an HTTP/2 one in cleartext (h2c).
const socketPath = `${tmpdir()}/hansom-demo-${process.pid}.sock`;
const unixServer = http.createServer((req, res) => res.end(`hello over ${socketPath}, ${req.method} ${req.url}`));
await new Promise<void>((resolve) => unixServer.listen(socketPath, resolve));
const h2Server = http2.createServer((req, res) => res.end(`hello over HTTP/${req.httpVersion}`));
await new Promise<void>((resolve) => h2Server.listen(0, "127.0.0.1", resolve));
const h2Base = `http://127.0.0.1:${(h2Server.address() as AddressInfo).port}`;
const pool = new Pool({ maxConnections: 4 });
const say = (title: string, ...rest: unknown[]): void => console.log(`\n== ${title}\n`, ...rest);

try {
  say("One-shot GET, body read as JSON");
  const res = await hansom.get(`${base}/hello?x=1`, { pool });
  console.log(res.status, res.headers.get("content-type"), await res.json());

  say("Streaming a body with for await");
  for await (const chunk of await hansom.get(`${base}/stream`, { pool })) {
    process.stdout.write(`   got ${chunk.byteLength} bytes: ${new TextDecoder().decode(chunk)}`);
  }

  say("The body as a ReadableStream through a TransformStream");
  const upper = (await hansom.get(`${base}/stream`, { pool }))
    .body!.pipeThrough(new TextDecoderStream())
    .pipeThrough(new TransformStream<string, string>({ transform: (s, c) => c.enqueue(s.toUpperCase()) }));
  for await (const s of upper) process.stdout.write(`   ${s}`);

  say("Redirects followed, the chain kept");
  const r = await hansom.get(`${base}/redirect`, { pool, followRedirect: true });
  console.log(
    r.status,
    r.url,
    r.redirects.map((x) => `${x.status} -> ${x.url}`),
    await r.json(),
  );

  say("POST of a form, and of a multipart body with a known length");
  console.log(await (await hansom.post(`${base}/upload`, { pool, body: { form: { a: "1", b: "x y" } } })).json());
  console.log(
    await (
      await hansom.post(`${base}/upload`, {
        pool,
        body: {
          multipart: [
            { name: "field", value: "v" },
            { name: "blob", value: new Uint8Array(1000), headers: { "x-note": "bytes" } },
          ],
        },
      })
    ).json(),
  );

  say("A streamed request body through a RequestHandle");
  const h = await hansom.request("POST", `${base}/upload`, { pool, body: "stream" });
  for (let i = 0; i < 3; i++) await h.write(`part ${i};`);
  console.log(await (await h.response()).json());

  say("Streamed multipart send, boundary from boundary()");
  const b = boundary();
  const mh = await hansom.request("POST", `${base}/upload`, {
    pool,
    body: "stream",
    headers: { "content-type": `multipart/form-data; boundary=${b}` },
  });
  await mh.writeMultipart({ type: "data", name: "greeting", content: "hello" });
  await mh.writeMultipart({ type: "eof" });
  console.log(await (await mh.response()).json());

  say("Reading a multipart response as events");
  const mp = await hansom.get(`${base}/multipart`, { pool });
  for await (const ev of mp.multipart())
    console.log(
      "  ",
      ev.type,
      ev.type === "body" ? new TextDecoder().decode(ev.chunk) : ev.type === "headers" ? ev.headers : "",
    );

  say("Async mode: the response as events");
  const events = await hansom.request("GET", `${base}/stream`, { pool, async: true });
  for await (const ev of events)
    console.log("  ", ev.type, ev.type === "data" ? ev.chunk.byteLength : ev.type === "status" ? ev.status : "");

  say("One Connection, requests in sequence (hackney connect/send_request)");
  const conn = await hansom.connect(base);
  for (const p of ["/a", "/b"])
    console.log(
      "  ",
      await (await conn.request("GET", p)).json<{ query: string }>(),
      (await conn.request("HEAD", p)).status,
    );
  console.log("   peer", conn.peer);
  await conn.close();

  say("Errors have codes a program can switch on");
  try {
    await hansom.get(`${base}/slow`, { pool, recvTimeout: 100 });
  } catch (e) {
    if (e instanceof HansomError) console.log("  ", e.code, "-", e.message);
  }
  try {
    await hansom.get(`${base}/`, { headers: { "x-bad": "a\r\nInjected: yes" } });
  } catch (e) {
    if (e instanceof HansomError) console.log("  ", e.code, "-", e.message);
  }

  say("decompress: true decodes a gzipped body");
  const gz = await hansom.get(`${base}/gzip`, { pool, decompress: true });
  console.log("  ", gz.headers.get("content-encoding"), JSON.stringify((await gz.text()).slice(0, 28)));

  say("retry: a 503 answered once, then retried");
  const again = await hansom.get(`${base}/flaky`, { pool, retry: { limit: 2, backoff: () => 10 } });
  console.log("  ", again.status, await again.text());

  say("A CookieJar: the cookie set on a redirect is sent on the next hop");
  const jar = new CookieJar();
  console.log(
    "  ",
    await (await hansom.get(`${base}/login`, { pool, followRedirect: true, cookieJar: jar })).text(),
    "| jar:",
    jar.getCookieString(base),
  );

  say("json, query and throwHttpErrors");
  console.log("  ", await (await hansom.post(`${base}/upload`, { pool, json: { a: 1, list: [1, 2] } })).json());
  console.log(
    "  ",
    (await (await hansom.get(`${base}/hello`, { pool, query: { page: 2, q: "a b" } })).json<{ query: string }>()).query,
  );
  try {
    await hansom.get(`${base}/missing`, { pool, throwHttpErrors: true });
  } catch (e) {
    if (e instanceof HansomError) console.log("  ", e.code, "-", e.message, "| body:", await e.response?.text());
  }

  say("A middleware that adds a header to every request");
  const tag: Middleware = (req, next) => {
    req.headers.set("x-demo", "added by middleware");
    return next(req);
  };
  console.log("  ", await (await hansom.get(`${base}/echo-header`, { pool, middleware: [tag] })).text());

  say("mockOrigin: answers from code, no socket opened");
  const mock = mockOrigin("http://api.test", (req) => ({
    status: 200,
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ mocked: req.url }),
  }));
  try {
    console.log("  ", await (await hansom.get("http://api.test/users?id=7")).json(), "| calls:", mock.calls.length);
  } finally {
    mock.restore();
  }

  say("The fetch facade: a WHATWG fetch on hansom");
  const fr = await fetch(`${base}/hello?via=fetch`);
  console.log("  ", fr.status, fr.headers.get("content-type"), await fr.json());

  say("A Unix socket: http+unix://<encoded path>/path");
  console.log("  ", await (await hansom.get(`http+unix://${encodeURIComponent(socketPath)}/info`, { pool })).text());

  say("HTTP/2 in cleartext with http2PriorKnowledge: true");
  const h2 = await hansom.get(`${h2Base}/`, { pool, http2PriorKnowledge: true });
  console.log("  ", "httpVersion", h2.httpVersion, "|", await h2.text());

  say("Pool stats after everything was read", pool.stats());
} finally {
  await pool.close();
  server.close();
  unixServer.close();
  h2Server.close();
  rmSync(socketPath, { force: true });
}
