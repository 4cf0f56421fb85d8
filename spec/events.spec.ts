import { test, after } from "node:test";
import assert from "node:assert/strict";
import { request, Pool, HansomError } from "../lib/index.ts";
import type { ResponseEvent } from "../lib/index.ts";
import { httpServer, rawServer, sleep } from "./helpers/servers.ts";

const pool = new Pool();
after(() => pool.close());

let written = 0;
const CHUNK = 256 * 1024;
const srv = await httpServer((req, res) => {
  if (req.url === "/r1") return void res.writeHead(302, { location: "/r2" }).end();
  if (req.url === "/r2") return void res.writeHead(301, { location: "/final" }).end();
  if (req.url === "/post") return void res.writeHead(303, { location: "/final" }).end();
  if (req.url === "/many") {
    // 64 chunks of 256 KiB (beyond what socket buffers hold), written as fast as the client reads.
    let i = 0;
    written = 0;
    const chunk = Buffer.alloc(CHUNK, 97);
    const pump = (): void => {
      while (i < 64) {
        i++;
        written += chunk.length;
        if (!res.write(chunk)) return void res.once("drain", pump);
      }
      res.end();
    };
    return pump();
  }
  res.end("final body");
});
after(() => srv.close());

async function collect(it: AsyncIterable<ResponseEvent>): Promise<ResponseEvent[]> {
  const out: ResponseEvent[] = [];
  for await (const ev of it) out.push(ev);
  return out;
}

test("async - events in order: status, headers, data, done", async () => {
  const s = await request("GET", `${srv.url}/x`, { pool, async: true });
  const evs = await collect(s);
  assert.deepEqual(
    evs.map((e) => e.type),
    ["status", "headers", "data", "done"],
  );
  assert.equal((evs[0] as { status: number }).status, 200);
  assert.equal(new TextDecoder().decode((evs[2] as { chunk: Uint8Array }).chunk), "final body");
  assert.equal(pool.stats().inUse, 0);
});

test("async - followed redirects emit redirect and see_other with absolute URLs", async () => {
  const evs = await collect(await request("GET", `${srv.url}/r1`, { pool, async: true, followRedirect: true }));
  assert.deepEqual(
    evs.map((e) => e.type),
    ["redirect", "redirect", "status", "headers", "data", "done"],
  );
  assert.equal((evs[0] as { url: string }).url, `${srv.url}/r2`);
  assert.equal((evs[1] as { url: string }).url, `${srv.url}/final`);
  const post = await collect(
    await request("POST", `${srv.url}/post`, { pool, async: true, followRedirect: true, body: "x" }),
  );
  assert.equal(post[0]!.type, "see_other");
  assert.equal((post[0] as { url: string }).url, `${srv.url}/final`);
});

test("async - a redirect not followed is an ordinary response", async () => {
  const evs = await collect(await request("GET", `${srv.url}/r1`, { pool, async: true }));
  assert.equal((evs[0] as { status: number }).status, 302);
  assert.equal(evs.at(-1)!.type, "done");
});

test("async - failures before the status line are one error event; invalid input still rejects", async () => {
  const dead = await rawServer(() => {});
  const url = dead.url;
  await dead.close();
  const evs = await collect(await request("GET", url, { async: true, pool: false }));
  assert.equal(evs.length, 1);
  assert.equal(evs[0]!.type, "error");
  assert.equal((evs[0] as { error: HansomError }).error.code, "econnrefused");
  await assert.rejects(request("GET", url, { async: true, headers: { a: "\r\n" } }), { code: "invalid_header" });
  await assert.rejects(request("GET", "gopher://x/", { async: true }), { code: "invalid_url" });
});

test("async once - next() fetches one event at a time; nothing is read ahead", async () => {
  const s = await request("GET", `${srv.url}/many`, { pool, async: "once" });
  assert.equal((await s.next()).value?.type, "status");
  assert.equal((await s.next()).value?.type, "headers");
  assert.equal((await s.next()).value?.type, "data");
  await sleep(100);
  const before = written;
  await sleep(100);
  assert.equal(written, before, "the server is held back while nobody calls next()");
  assert.ok(written < 64 * CHUNK, "not everything was written");
  let n = 0;
  for (let r = await s.next(); !r.done; r = await s.next()) if (r.value.type === "data") n += r.value.chunk.byteLength;
  assert.ok(n > 0);
  assert.equal(pool.stats().inUse, 0);
});

test("async - pause() stops reading the socket, resume() restarts it", async () => {
  const s = await request("GET", `${srv.url}/many`, { pool, async: true });
  await s.next();
  s.pause();
  await sleep(100);
  const held = written;
  await sleep(150);
  assert.equal(written, held, "paused: the server cannot write more");
  s.resume();
  let total = 0;
  for await (const ev of s) if (ev.type === "data") total += ev.chunk.byteLength;
  assert.ok(total > 0);
  assert.equal(written, 64 * CHUNK);
});

test("async - stopAsync() hands the rest to a Response, no byte lost", async () => {
  const s = await request("GET", `${srv.url}/many`, { pool, async: true });
  let seen = 0;
  for (;;) {
    const r = await s.next();
    if (r.value?.type === "data") {
      seen += r.value.chunk.byteLength;
      break;
    }
  }
  const res = await s.stopAsync();
  assert.equal(res.status, 200);
  const rest = await res.bytes();
  assert.equal(seen + rest.byteLength, 64 * CHUNK);
  assert.equal(pool.stats().inUse, 0);
});

test("streamTo - events go into a WritableStream with backpressure, then it closes", async () => {
  const got: string[] = [];
  let closed = false;
  const ws = new WritableStream<ResponseEvent>(
    {
      async write(ev) {
        got.push(ev.type);
        await sleep(1);
      },
      close() {
        closed = true;
      },
    },
    { highWaterMark: 1 },
  );
  await request("GET", `${srv.url}/r1`, { pool, streamTo: ws, followRedirect: true });
  for (let i = 0; i < 100 && !closed; i++) await sleep(10);
  assert.ok(closed);
  assert.deepEqual(got, ["redirect", "redirect", "status", "headers", "data", "done"]);
});

test("streamTo - an error aborts the WritableStream with the HansomError", async () => {
  const dead = await rawServer(() => {});
  const url = dead.url;
  await dead.close();
  let reason: unknown;
  const ws = new WritableStream<ResponseEvent>({
    abort(r) {
      reason = r;
    },
  });
  await request("GET", url, { streamTo: ws, pool: false });
  for (let i = 0; i < 100 && !reason; i++) await sleep(10);
  assert.ok(reason instanceof HansomError);
  assert.equal((reason as HansomError).code, "econnrefused");
});

test("async - invalid proxy or body input rejects request() itself", async () => {
  await assert.rejects(request("GET", `${srv.url}/x`, { async: true, proxy: "ftp://127.0.0.1:1" }), {
    code: "invalid_url",
  });
  await assert.rejects(request("POST", `${srv.url}/x`, { async: true, body: 12345 as unknown as string }), {
    code: "invalid_option",
  });
  await assert.rejects(request("POST", `${srv.url}/x`, { body: "stream", proxy: { host: "", port: 1 } }), HansomError);
});

test("async - overlapping next() calls each get an event", async () => {
  const s = await request("GET", `${srv.url}/x`, { pool, async: true });
  const all = await Promise.all([s.next(), s.next(), s.next(), s.next(), s.next()]);
  assert.deepEqual(all.map((r) => (r.done ? "end" : r.value.type)).sort(), [
    "data",
    "done",
    "end",
    "headers",
    "status",
  ]);
});

test("streamTo - the error event is written, then the stream is aborted", async () => {
  const dead = await rawServer(() => {});
  const url = dead.url;
  await dead.close();
  const got: string[] = [];
  let reason: unknown;
  const ws = new WritableStream<ResponseEvent>({
    write(ev) {
      got.push(ev.type);
    },
    abort(r) {
      reason = r;
    },
  });
  await request("GET", url, { streamTo: ws, pool: false });
  for (let i = 0; i < 100 && !reason; i++) await sleep(10);
  assert.deepEqual(got, ["error"]);
  assert.equal((reason as HansomError).code, "econnrefused");
});
