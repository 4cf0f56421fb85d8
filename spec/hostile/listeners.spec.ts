// AbortSignal hygiene: every abort listener hansom adds is removed when its request is over,
// however it ended. 10,000 requests sharing one signal leave none on it; 10,000 with their own
// AbortSignal.timeout() leave none on theirs; and each cancel or failure path removes its own.
// Listeners are counted by wrapping addEventListener / removeEventListener on the signal object.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import type * as net from "node:net";
import { get, request, Pool } from "../../lib/index.ts";
import type { AsyncStream } from "../../lib/index.ts";
import { bytes, listenerCounter, ok, scriptedServer, settled, within } from "./harness.ts";
import type { RawServer } from "./harness.ts";

const BIG = "z".repeat(600_000);
/** `/big` answers 600 KB, `/bad` a malformed head, `/cut` a body cut short, anything else "good". */
const srv: RawServer = await scriptedServer((_c, _i, r) => {
  if (r.target === "/big") return ok(BIG);
  if (r.target === "/bad") return "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n";
  if (r.target === "/cut") return (s: net.Socket) => s.end(bytes("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc"));
  return ok();
});
after(() => srv.close());

/** Runs `n` tasks, `width` at a time. */
async function many(n: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

test("listeners - 10,000 requests sharing one AbortSignal leave no listener on it", async () => {
  const ac = new AbortController();
  const count = listenerCounter(ac.signal);
  const pool = new Pool({ maxConnections: 16 });
  try {
    await within(
      many(10_000, 32, async () => {
        const res = await get(`${srv.url}/`, { pool, signal: ac.signal });
        assert.equal(await res.text(), "good");
      }),
      60_000,
      "10,000 requests",
    );
    await settled(pool);
    assert.ok(count.added() >= 10_000, `only ${count.added()} listeners were ever added: the counter sees nothing`);
    assert.equal(count.live(), 0, `${count.live()} abort listeners left on the shared signal`);
  } finally {
    await pool.close();
  }
});

test("listeners - 10,000 requests with their own AbortSignal.timeout() leave no listener on them", async () => {
  const counts: Array<ReturnType<typeof listenerCounter>> = [];
  const pool = new Pool({ maxConnections: 16 });
  try {
    await within(
      many(10_000, 32, async () => {
        const signal = AbortSignal.timeout(60_000);
        counts.push(listenerCounter(signal));
        const res = await get(`${srv.url}/`, { pool, signal });
        await res.text();
      }),
      60_000,
      "10,000 requests",
    );
    await settled(pool);
    const left = counts.reduce((n, c) => n + c.live(), 0);
    assert.equal(left, 0, `${left} abort listeners left on ${counts.filter((c) => c.live() > 0).length} signals`);
  } finally {
    await pool.close();
  }
});

/** Ways a request can end early; each must take its abort listeners with it. */
const PATHS: Array<[string, (pool: Pool, signal: AbortSignal) => Promise<void>]> = [
  [
    "close() on an unread response",
    async (pool, signal) => {
      await (await get(`${srv.url}/big`, { pool, signal })).close();
    },
  ],
  [
    "close() after a partial read",
    async (pool, signal) => {
      const res = await get(`${srv.url}/big`, { pool, signal });
      await res[Symbol.asyncIterator]().next();
      await res.close();
    },
  ],
  [
    "break out of for await",
    async (pool, signal) => {
      for await (const _ of await get(`${srv.url}/big`, { pool, signal })) break;
    },
  ],
  [
    "body.getReader().cancel()",
    async (pool, signal) => {
      const reader = (await get(`${srv.url}/big`, { pool, signal })).body!.getReader();
      await reader.read();
      await reader.cancel();
    },
  ],
  [
    "body.cancel() before reading",
    async (pool, signal) => {
      await (await get(`${srv.url}/big`, { pool, signal })).body!.cancel();
    },
  ],
  [
    "skip()",
    async (pool, signal) => {
      await (await get(`${srv.url}/big`, { pool, signal })).skip();
    },
  ],
  [
    "await using (asyncDispose) of an unread response",
    async (pool, signal) => {
      const res = await get(`${srv.url}/big`, { pool, signal });
      await res[Symbol.asyncDispose]();
    },
  ],
  [
    "a bad_response head",
    async (pool, signal) => {
      await get(`${srv.url}/bad`, { pool, signal }).then(
        () => assert.fail("expected bad_response"),
        () => {},
      );
    },
  ],
  [
    "a body cut short (closed)",
    async (pool, signal) => {
      await (await get(`${srv.url}/cut`, { pool, signal })).bytes().then(
        () => assert.fail("expected closed"),
        () => {},
      );
    },
  ],
  [
    "maxBody exceeded",
    async (pool, signal) => {
      await (await get(`${srv.url}/big`, { pool, signal, maxBody: 1000 })).bytes().then(
        () => assert.fail("expected body_too_large"),
        () => {},
      );
    },
  ],
  [
    "withBody",
    async (pool, signal) => {
      await get(`${srv.url}/big`, { pool, signal, withBody: true });
    },
  ],
  [
    "an async stream abandoned after its status",
    async (pool, signal) => {
      const stream = (await request("GET", `${srv.url}/big`, { pool, signal, async: true })) as AsyncStream;
      const it = stream[Symbol.asyncIterator]();
      await it.next();
      await it.return?.();
    },
  ],
  [
    "a request queued for a connection (maxConnections 1)",
    async (pool, signal) => {
      const first = await get(`${srv.url}/`, { pool, signal });
      const second = get(`${srv.url}/`, { pool, signal });
      await first.text();
      await (await second).text();
    },
  ],
];

for (const [how, run] of PATHS) {
  test(`listeners - ${how} removes its abort listeners`, async () => {
    const ac = new AbortController();
    const count = listenerCounter(ac.signal);
    const pool = new Pool({ maxConnections: how.includes("queued") ? 1 : 8 });
    try {
      for (let i = 0; i < 50; i++) await within(run(pool, ac.signal), 5000, how);
      await settled(pool);
      assert.ok(count.added() > 0, "the counter saw no listener at all");
      assert.equal(count.live(), 0, `${count.live()} abort listeners left after 50 requests ending by ${how}`);
    } finally {
      await pool.close();
    }
  });
}
