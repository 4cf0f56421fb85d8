// A tour of hansom against a local server this script starts itself.
// Node: `npm run demo`; Deno: `deno run -A bench/demo.ts`; Bun: `bun run bench/demo.ts`.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import hansom, { Pool, HansomError, boundary } from "../lib/index.ts";

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
    res.end(`--${b}\r\ncontent-type: text/plain\r\n\r\nfirst part\r\n--${b}\r\ncontent-type: application/json\r\n\r\n{"second":true}\r\n--${b}--\r\n`);
  } else if (url.pathname === "/slow") {
    setTimeout(() => res.end("late"), 500);
  } else {
    res.setHeader("content-type", "application/json");
    res.end(JSON.stringify({ hello: "world", method: req.method, query: url.search }));
  }
});
await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
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
  const upper = (await hansom.get(`${base}/stream`, { pool })).body!
    .pipeThrough(new TextDecoderStream())
    .pipeThrough(new TransformStream<string, string>({ transform: (s, c) => c.enqueue(s.toUpperCase()) }));
  for await (const s of upper) process.stdout.write(`   ${s}`);

  say("Redirects followed, the chain kept");
  const r = await hansom.get(`${base}/redirect`, { pool, followRedirect: true });
  console.log(r.status, r.url, r.redirects.map((x) => `${x.status} -> ${x.url}`), await r.json());

  say("POST of a form, and of a multipart body with a known length");
  console.log(await (await hansom.post(`${base}/upload`, { pool, body: { form: { a: "1", b: "x y" } } })).json());
  console.log(await (await hansom.post(`${base}/upload`, { pool, body: { multipart: [{ name: "field", value: "v" }, { name: "blob", value: new Uint8Array(1000), headers: { "x-note": "bytes" } }] } })).json());

  say("A streamed request body through a RequestHandle");
  const h = await hansom.request("POST", `${base}/upload`, { pool, body: "stream" });
  for (let i = 0; i < 3; i++) await h.write(`part ${i};`);
  console.log(await (await h.response()).json());

  say("Streamed multipart send, boundary from boundary()");
  const b = boundary();
  const mh = await hansom.request("POST", `${base}/upload`, { pool, body: "stream", headers: { "content-type": `multipart/form-data; boundary=${b}` } });
  await mh.writeMultipart({ type: "data", name: "greeting", content: "hello" });
  await mh.writeMultipart({ type: "eof" });
  console.log(await (await mh.response()).json());

  say("Reading a multipart response as events");
  const mp = await hansom.get(`${base}/multipart`, { pool });
  for await (const ev of mp.multipart()) console.log("  ", ev.type, ev.type === "body" ? new TextDecoder().decode(ev.chunk) : ev.type === "headers" ? ev.headers : "");

  say("Async mode: the response as events");
  const events = await hansom.request("GET", `${base}/stream`, { pool, async: true });
  for await (const ev of events) console.log("  ", ev.type, ev.type === "data" ? ev.chunk.byteLength : ev.type === "status" ? ev.status : "");

  say("One Connection, requests in sequence (hackney connect/send_request)");
  const conn = await hansom.connect(base);
  for (const p of ["/a", "/b"]) console.log("  ", (await (await conn.request("GET", p)).json<{ query: string }>()), (await conn.request("HEAD", p)).status);
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

  say("Pool stats after everything was read", pool.stats());
} finally {
  await pool.close();
  server.close();
}
