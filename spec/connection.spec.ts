import { test, after } from "node:test";
import assert from "node:assert/strict";
import { connect, request, Pool, HansomError } from "../lib/index.ts";
import { httpServer, rawServer, readHead, readBody, sleep } from "./helpers/servers.ts";

const pool = new Pool();
after(() => pool.close());

const srv = await httpServer(async (req, res) => {
  const body = await readBody(req);
  if (req.url === "/bye") res.setHeader("connection", "close");
  res.end(
    JSON.stringify({
      url: req.url,
      method: req.method,
      body: body.toString(),
      te: req.headers["transfer-encoding"] ?? null,
      cl: req.headers["content-length"] ?? null,
      h: req.headers["x-base"] ?? null,
      ct: req.headers["content-type"] ?? null,
    }),
  );
});
after(() => srv.close());

interface Echo {
  url: string;
  method: string;
  body: string;
  te: string | null;
  cl: string | null;
  h: string | null;
  ct: string | null;
}

test("connection - requests in sequence on one socket, base headers on each", async () => {
  const before = srv.accepted;
  const conn = await connect(srv.url, { headers: { "x-base": "yes" } });
  try {
    for (const p of ["/one", "/two?x=1", "three"]) {
      const e = await (await conn.request("GET", p)).json<Echo>();
      assert.equal(e.url, p.startsWith("/") ? p : `/${p}`);
      assert.equal(e.h, "yes");
    }
    assert.equal((await conn.request("POST", "/p", { body: "data" }).then((r) => r.json<Echo>())).body, "data");
    assert.equal(srv.accepted - before, 1);
    assert.equal(conn.peer.port, srv.port);
    assert.equal(conn.local.address, "127.0.0.1");
  } finally {
    await conn.close();
  }
});

test("connection - setOptions changes later requests; a closed server socket is re-dialled", async () => {
  const conn = await connect(srv.url);
  try {
    await (await conn.request("GET", "/bye")).text();
    conn.setOptions({ headers: { "x-base": "later" } });
    const e = await (await conn.request("GET", "/again")).json<Echo>();
    assert.equal(e.h, "later");
    assert.throws(() => conn.setOptions({ recvTimeout: -5 }), { code: "invalid_option" });
  } finally {
    await conn.close();
  }
});

test("connection - a request on a closed Connection rejects with closed", async () => {
  const conn = await connect(srv.url);
  await conn.close();
  await assert.rejects(conn.request("GET", "/"), { code: "closed" });
});

test("connection - connect() to a refused port rejects at once", async () => {
  const dead = await rawServer(() => {});
  const url = dead.url;
  await dead.close();
  await assert.rejects(connect(url), { code: "econnrefused" });
});

test("connection - the second request waits for the first response to be read", async () => {
  const conn = await connect(srv.url);
  try {
    const a = await conn.request("GET", "/a");
    const pb = conn.request("GET", "/b");
    await sleep(20);
    assert.equal((await a.json<Echo>()).url, "/a");
    assert.equal((await (await pb).json<Echo>()).url, "/b");
  } finally {
    await conn.close();
  }
});

test("stream body - write, writable and response(); chunked unless Content-Length given", async () => {
  const h = await request("POST", `${srv.url}/up`, { pool, body: "stream" });
  await h.write("hello ");
  await h.write(new TextEncoder().encode("world"));
  const e = await (await h.response()).json<Echo>();
  assert.deepEqual([e.body, e.te], ["hello world", "chunked"]);

  const h2 = await request("PUT", `${srv.url}/up`, { pool, body: "stream", headers: { "content-length": "6" } });
  const w = h2.writable.getWriter();
  await w.write(new TextEncoder().encode("abc"));
  await w.write(new TextEncoder().encode("def"));
  await w.close();
  const e2 = await (await h2.response()).json<Echo>();
  assert.deepEqual([e2.body, e2.te, e2.cl], ["abcdef", null, "6"]);
});

test("stream body - pipeTo the writable with backpressure", async () => {
  const h = await request("POST", `${srv.url}/pipe`, { pool, body: "stream" });
  const chunks = Array.from({ length: 50 }, (_, i) => new TextEncoder().encode(`${i},`));
  await new ReadableStream<Uint8Array>({
    pull(c) {
      const x = chunks.shift();
      if (x) c.enqueue(x);
      else c.close();
    },
  }).pipeTo(h.writable);
  const e = await (await h.response()).json<Echo>();
  assert.equal(e.body.split(",").length, 51);
});

test("stream body - a failed connection rejects write()", async () => {
  const dead = await rawServer(() => {});
  const url = dead.url;
  await dead.close();
  const h = await request("POST", url, { pool: false, body: "stream" });
  await assert.rejects(h.write("x"), { code: "econnrefused" });
  await assert.rejects(h.response(), { code: "econnrefused" });
});

test("expect 100-continue - the body waits for 100, and is not sent after a final status", async () => {
  const seen: string[] = [];
  const raw = await rawServer(async (s) => {
    s.on("error", () => {});
    const { head, rest } = await readHead(s);
    seen.push(`head:${rest.length}`);
    if (head.startsWith("POST /refuse")) {
      s.write("HTTP/1.1 417 Expectation Failed\r\nContent-Length: 0\r\n\r\n");
      await sleep(100);
      seen.push(`after-refusal:${s.bytesRead - head.length - 4}`);
      s.end();
      return;
    }
    await sleep(50);
    s.write("HTTP/1.1 100 Continue\r\n\r\n");
    s.once("data", (b: Buffer) => {
      seen.push(`body:${b.toString()}`);
      s.end("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok");
    });
  });
  try {
    const res = await request("POST", `${raw.url}/go`, {
      pool: false,
      body: "payload",
      headers: { expect: "100-continue" },
    });
    assert.equal(await res.text(), "ok");
    assert.deepEqual(seen, ["head:0", "body:payload"]);
    seen.length = 0;
    const r2 = await request("POST", `${raw.url}/refuse`, {
      pool: false,
      body: "payload",
      headers: { expect: "100-continue" },
    });
    assert.equal(r2.status, 417);
    await r2.text();
    await sleep(150);
    assert.deepEqual(seen, ["head:0", "after-refusal:0"]);
  } finally {
    await raw.close();
  }
});

test("expect 100-continue - a server that never answers gets the body after 1000 ms", async () => {
  const raw = await rawServer(async (s) => {
    s.on("error", () => {});
    const t0 = Date.now();
    await readHead(s);
    s.once("data", () => s.end(`HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${Date.now() - t0 >= 900 ? "y" : "n"}`));
  });
  try {
    const res = await request("POST", raw.url, { pool: false, body: "late", headers: { Expect: "100-continue" } });
    assert.equal(await res.text(), "y");
  } finally {
    await raw.close();
  }
});

test("detach - the socket and unread raw bytes are handed over; a forwarding proxy", async () => {
  // Upstream answers with a chunked body; the "proxy" forwards raw bytes to its client.
  const upstream = await rawServer(async (s) => {
    s.on("error", () => {});
    await readHead(s);
    s.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nwiki\r\n");
    await sleep(30);
    s.end("5\r\npedia\r\n0\r\n\r\n");
  });
  const p = new Pool();
  try {
    const res = await request("GET", upstream.url, { pool: p });
    assert.equal(res.status, 200);
    await sleep(10);
    const d = await res.detach();
    assert.equal(d.state, "on_body");
    assert.equal(p.stats().inUse, 0, "the connection left the pool");
    assert.equal(p.stats().free, 0);
    const parts: Uint8Array[] = [d.buffer];
    for await (const c of d.socket.readable) parts.push(c);
    const raw = Buffer.concat(parts).toString();
    assert.equal(raw, "4\r\nwiki\r\n5\r\npedia\r\n0\r\n\r\n", "every raw byte after the head, none parsed away");
    assert.equal(d.socket.peer.port, upstream.port);
    await d.socket.close();
    await assert.rejects(res.text(), { code: "body_used" });
  } finally {
    await p.close();
    await upstream.close();
  }
});

test("detach - the writable sends on the same socket", async () => {
  const echoRaw = await rawServer(async (s) => {
    s.on("error", () => {});
    await readHead(s);
    s.write("HTTP/1.1 101 Switching Protocols\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n");
    s.on("data", (b) => s.write(b));
  });
  try {
    const res = await request("GET", echoRaw.url, { pool: false, headers: { upgrade: "echo", connection: "Upgrade" } });
    assert.equal(res.status, 101);
    const { socket } = await res.detach();
    const w = socket.writable.getWriter();
    await w.write(new TextEncoder().encode("ping"));
    const r = socket.readable.getReader();
    const { value } = await r.read();
    assert.equal(new TextDecoder().decode(value), "ping");
    await socket.close();
  } finally {
    await echoRaw.close();
  }
});

test("errors - HansomError carries code, method and URL without credentials", async () => {
  const dead = await rawServer(() => {});
  const url = dead.url.replace("//", "//user:secret@");
  await dead.close();
  const e = await request("GET", `${url}/p`, { pool: false }).then(
    () => null,
    (x: HansomError) => x,
  );
  assert.ok(e instanceof HansomError);
  assert.equal(e.code, "econnrefused");
  assert.equal(e.method, "GET");
  assert.ok(!e.message.includes("secret"));
  assert.ok(e.url?.endsWith("/p"));
});

test('connection - request() takes body: "stream" and async like request(); its headers replace the connection\'s', async () => {
  const conn = await connect(srv.url, { headers: { "x-base": "conn" } });
  try {
    const h = await conn.request("POST", "/s", { body: "stream" });
    await h.write("streamed");
    const e = await (await h.response()).json<Echo>();
    assert.deepEqual([e.body, e.te], ["streamed", "chunked"]);
    const over = await (await conn.request("GET", "/o", { headers: { "X-Base": "req" } })).json<Echo>();
    assert.equal(over.h, "req");
    const s = await conn.request("GET", "/ev", { async: true });
    const types: string[] = [];
    for await (const ev of s) types.push(ev.type);
    assert.deepEqual(types, ["status", "headers", "data", "done"]);
  } finally {
    await conn.close();
  }
});

test("stream body - writes settle once the server has answered early", async () => {
  const raw = await rawServer(async (s) => {
    s.on("error", () => {});
    await readHead(s);
    s.end("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
  });
  try {
    const h = await request("POST", raw.url, { pool: false, body: "stream" });
    await h.write("first");
    await sleep(50);
    await h.write("more, after the answer");
    const res = await h.response();
    assert.equal(res.status, 413);
    const e = await request("POST", raw.url, { pool: false, body: "stream", headers: { expect: "100-continue" } });
    await e.write("never sent");
    assert.equal((await e.response()).status, 413);
  } finally {
    await raw.close();
  }
});
