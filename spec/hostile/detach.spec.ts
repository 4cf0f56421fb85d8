// detach() after a partial read: whatever hansom read ahead of the consumer (parsed into its
// queues or still raw), the Detached buffer plus what the socket then yields must be every
// byte the consumer has not received, in order, exactly once.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { get, Pool } from "../../lib/index.ts";
import type { Response } from "../../lib/index.ts";
import { bytes, pattern, rawServer, readRequests, settled, sleep, within } from "./harness.ts";
import type { RawServer } from "./harness.ts";

const servers: RawServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const BODY = pattern(9, 4 * 1024 * 1024);

/** Serves BODY with a Content-Length, then closes its side once `closeAfter` ms passed. */
async function bodyServer(closeAfter: number): Promise<RawServer & { closed: Promise<void> }> {
  let onClosed!: () => void;
  const closed = new Promise<void>((r) => (onClosed = r));
  const srv = await rawServer((s) => {
    s.on("close", onClosed);
    readRequests(s, () => {
      s.write(bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${BODY.length}\r\n\r\n`));
      s.write(BODY, () => setTimeout(() => s.end(), closeAfter));
    });
  });
  servers.push(srv);
  return Object.assign(srv, { closed });
}

/** Reads all of a ReadableStream. */
async function drain(rs: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  const reader = rs.getReader();
  for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
  return Buffer.concat(parts);
}

/** Ways of consuming part of the body before detach(): returns the bytes the consumer got. */
const PARTIAL: Array<[string, (res: Response) => Promise<Uint8Array>]> = [
  ["nothing read", async () => new Uint8Array(0)],
  [
    "one chunk by iterator",
    async (res) => {
      const it = res[Symbol.asyncIterator]();
      const r = await it.next();
      return r.done ? new Uint8Array(0) : r.value.slice();
    },
  ],
  [
    "1 MiB by iterator",
    async (res) => {
      const parts: Uint8Array[] = [];
      let n = 0;
      const it = res[Symbol.asyncIterator]();
      while (n < 1024 * 1024) {
        const r = await it.next();
        if (r.done) break;
        parts.push(r.value.slice());
        n += r.value.length;
      }
      return Buffer.concat(parts);
    },
  ],
  [
    "two chunks by body.getReader()",
    async (res) => {
      const reader = res.body!.getReader();
      const a = await reader.read();
      const b = await reader.read();
      reader.releaseLock();
      return Buffer.concat([a.value ?? new Uint8Array(0), b.value ?? new Uint8Array(0)]);
    },
  ],
];

for (const [how, partial] of PARTIAL) {
  for (const settle of [0, 150]) {
    test(`detach - after ${how}${settle ? `, read-ahead given ${settle} ms` : ""}: buffer + socket = exactly the unread bytes`, async () => {
      const srv = await bodyServer(300);
      const pool = new Pool();
      try {
        const res = await within(get(`${srv.url}/`, { pool }), 5000, "the response head");
        const consumed = await within(partial(res), 5000, "the partial read");
        // Let hansom read ahead of the consumer (into its queues and raw buffer) before detaching.
        if (settle) await sleep(settle);
        const d = await within(res.detach(), 5000, "detach()");
        assert.equal(d.state, "on_body");
        await settled(pool);
        const rest = await within(drain(d.socket.readable), 8000, "the detached socket's bytes");
        const got = Buffer.concat([consumed, d.buffer, rest]);
        assert.equal(
          got.length,
          BODY.length,
          `consumed ${consumed.length} + buffer ${d.buffer.length} + socket ${rest.length} = ${got.length}, body ${BODY.length}`,
        );
        const firstDiff = got.findIndex((b, i) => b !== BODY[i]);
        assert.equal(firstDiff, -1, `bytes differ from offset ${firstDiff}`);
        await d.socket.close();
        await within(srv.closed, 3000, "the server seeing the detached socket close");
      } finally {
        await pool.close();
      }
    });
  }
}

test("detach - the detached socket still writes: a second request over it is answered", async () => {
  const srv = await rawServer((s) =>
    readRequests(s, (r) => s.write(bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${r.target.length}\r\n\r\n${r.target}`))),
  );
  servers.push(srv);
  const pool = new Pool();
  try {
    const res = await get(`${srv.url}/first`, { pool });
    const d = await res.detach();
    const w = d.socket.writable.getWriter();
    await w.write(bytes(`GET /second HTTP/1.1\r\nHost: x\r\n\r\n`));
    w.releaseLock();
    const reader = d.socket.readable.getReader();
    let text = Buffer.from(d.buffer).toString("latin1");
    while (!text.endsWith("/second")) {
      const r = await within(reader.read(), 3000, "the reply over the detached socket");
      if (r.done) break;
      text += Buffer.from(r.value).toString("latin1");
    }
    assert.ok(text.startsWith("/first"), `the first body comes first: ${JSON.stringify(text)}`);
    assert.ok(text.endsWith("HTTP/1.1 200 OK\r\nContent-Length: 7\r\n\r\n/second"), JSON.stringify(text));
    reader.releaseLock();
    await d.socket.close();
  } finally {
    await pool.close();
  }
});
