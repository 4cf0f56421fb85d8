// Faults that need both directions of an exchange: an early final answer while a large upload
// is still going out, a 100-continue server that never says 100, the keep-alive race (servers
// closing idle sockets right as they are reused) at scale, and a CONNECT proxy that drops the
// tunnel mid-body. Each ends cleanly with the pool healthy.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import { get, post, request, Pool } from "../../lib/index.ts";
import {
  bytes,
  hansomRejection,
  header,
  ok,
  pattern,
  rawServer,
  readRequests,
  reset,
  settled,
  sleep,
  within,
} from "./harness.ts";
import type { RawServer } from "./harness.ts";

const servers: RawServer[] = [];
after(() => Promise.all(servers.map((s) => s.close())));
const track = <T extends RawServer>(s: T): T => (servers.push(s), s);

const MiB = 1024 * 1024;
const BIG = new Uint8Array(64 * MiB);

/** Upload bodies of 64 MiB: known length (Content-Length) and a stream (chunked). */
const UPLOADS: Array<[string, () => unknown]> = [
  ["a 64 MiB Uint8Array", () => BIG],
  [
    "a 64 MiB async iterable",
    () =>
      (async function* () {
        for (let i = 0; i < 64; i++) yield BIG.subarray(i * MiB, (i + 1) * MiB);
      })(),
  ],
];
/** How the server ends after its early answer. */
const ENDINGS: Array<[string, (s: net.Socket) => void]> = [
  [
    "stops reading and closes",
    (s) => {
      s.pause();
      s.end();
    },
  ],
  ["resets", (s) => setTimeout(() => reset(s), 20)],
];

for (const [what, body] of UPLOADS) {
  for (const [how, end] of ENDINGS) {
    test(`faults exchange - an early 413 while ${what} is uploading is returned (server ${how}); pool healthy`, async () => {
      let conn = 0;
      const srv = track(
        await rawServer((s) => {
          if (conn++ > 0) return void readRequests(s, () => s.write(bytes(ok())));
          readRequests(
            s,
            () => {},
            () => {
              s.write(bytes("HTTP/1.1 413 Payload Too Large\r\nContent-Length: 7\r\nConnection: close\r\n\r\ntoo big"));
              end(s);
            },
          );
        }),
      );
      const pool = new Pool();
      try {
        const res = await within(
          post(`${srv.url}/up`, { pool, body: body() as Uint8Array, recvTimeout: 5000 }),
          8000,
          "the early answer",
        );
        assert.equal(res.status, 413);
        assert.equal(await within(res.text(), 5000, "the early answer's body"), "too big");
        await settled(pool, 5000);
        assert.equal(
          await within(
            get(`${srv.url}/`, { pool }).then((r) => r.text()),
            5000,
            "the next request",
          ),
          "good",
        );
      } finally {
        await pool.close();
      }
    });
  }
}

test("faults exchange - a 100-continue server that never sends 100 gets the body after ~1 s", async () => {
  const sent = pattern(2, 100_000);
  let received: Uint8Array | null = null;
  let headAt = 0;
  let bodyAt = 0;
  // Notes when the head and the body arrive; never sends 100.
  const srv = track(
    await rawServer((s) => {
      readRequests(
        s,
        (r) => {
          bodyAt = Date.now();
          received = r.body;
          s.write(bytes(ok()));
        },
        (r) => {
          headAt = Date.now();
          assert.equal(header(r, "expect"), "100-continue");
        },
      );
    }),
  );
  const pool = new Pool();
  try {
    const t0 = Date.now();
    const res = await within(
      post(`${srv.url}/`, { pool, body: sent, headers: { expect: "100-continue" } }),
      5000,
      "a request waiting for 100",
    );
    assert.equal(await res.text(), "good");
    const waited = bodyAt - headAt;
    assert.ok(waited >= 850 && Date.now() - t0 < 3000, `body sent ${waited} ms after the head`);
    assert.ok(received && Buffer.from(received).equals(Buffer.from(sent)), "the server got the whole body");
    await settled(pool);
  } finally {
    await pool.close();
  }
});

test("faults exchange - a final status instead of 100 means no body and no reuse", async () => {
  let bodyBytes = 0;
  let conn = 0;
  const srv = track(
    await rawServer((s) => {
      if (conn++ > 0) return void readRequests(s, () => s.write(bytes(ok())));
      readRequests(
        s,
        () => {},
        () => {
          s.write(bytes("HTTP/1.1 401 Unauthorized\r\nContent-Length: 4\r\n\r\nnope"));
          s.on("data", (c: Buffer) => (bodyBytes += c.length));
        },
      );
    }),
  );
  const pool = new Pool();
  try {
    const res = await within(
      post(`${srv.url}/`, { pool, body: pattern(3, 50_000), headers: { expect: "100-continue" } }),
      5000,
      "the final status",
    );
    assert.equal(res.status, 401);
    assert.equal(await res.text(), "nope");
    await sleep(1300);
    assert.equal(bodyBytes, 0, "no body byte may follow a final status");
    assert.equal(await (await get(`${srv.url}/`, { pool })).text(), "good");
    assert.equal(srv.accepted, 2, "the connection of an unsent body is not reused");
  } finally {
    await pool.close();
  }
});

test("faults exchange - keep-alive race at scale: 2,000 GETs while the server closes idle sockets, none fails", async () => {
  let n = 0;
  const srv = track(
    await rawServer((s) => {
      let lastByte = 0;
      s.on("data", () => (lastByte = Date.now()));
      readRequests(s, () => {
        const i = n++;
        s.write(bytes(ok(`r${i}`)));
        const wroteAt = Date.now();
        // Close the socket 0-2 ms after an answer, unless a request came in since: right when
        // a client reuses it. Half FIN, half destroy (RST when its bytes are unread).
        setTimeout(() => {
          if (s.destroyed || lastByte > wroteAt) return;
          if (i % 2) s.end();
          else s.destroy();
        }, i % 3);
      });
    }),
  );
  const pool = new Pool({ maxConnections: 8 });
  const failures: string[] = [];
  let done = 0;
  try {
    await within(
      Promise.all(
        Array.from({ length: 8 }, async (_, w) => {
          for (let k = 0; k < 250; k++) {
            try {
              const res = await get(`${srv.url}/${w}/${k}`, { pool, recvTimeout: 5000 });
              const text = await res.text();
              if (!/^r\d+$/.test(text)) failures.push(`wrong body ${text}`);
              done++;
            } catch (e) {
              failures.push(`${(e as { code?: string }).code}: ${(e as Error).message}`);
            }
            if (k % 4 === 0) await sleep((k + w) % 3);
          }
        }),
      ),
      60_000,
      "2,000 GETs",
    );
    assert.deepEqual(failures.slice(0, 5), [], `${failures.length} of 2000 GETs failed`);
    assert.equal(done, 2000);
    await settled(pool);
  } finally {
    await pool.close();
  }
});

/** A tiny CONNECT proxy that forwards at most `limit` bytes of each tunnel's reply, then drops it. */
async function droppingProxy(
  limit: () => number,
  drop: (s: net.Socket) => void,
): Promise<RawServer & { tunnels: number }> {
  const up = new Set<net.Socket>();
  const srv = await rawServer((client) => {
    let head = Buffer.alloc(0);
    const onData = (c: Buffer): void => {
      head = Buffer.concat([head, c]);
      const at = head.indexOf("\r\n\r\n");
      if (at < 0) return;
      client.off("data", onData);
      const [, target] = head.subarray(0, at).toString("latin1").split(" ");
      const [host, port] = [
        target!.slice(0, target!.lastIndexOf(":")),
        Number(target!.slice(target!.lastIndexOf(":") + 1)),
      ];
      out.tunnels++;
      const max = limit();
      let forwarded = 0;
      const origin = net.connect(port, host, () => {
        client.write("HTTP/1.1 200 Connection established\r\n\r\n");
        if (head.length > at + 4) origin.write(head.subarray(at + 4));
        client.on("data", (d: Buffer) => origin.write(d));
      });
      up.add(origin);
      origin.on("close", () => up.delete(origin));
      origin.on("error", () => client.destroy());
      origin.on("data", (d: Buffer) => {
        if (forwarded >= max) return;
        const part = d.subarray(0, max - forwarded);
        forwarded += part.length;
        client.write(part);
        if (forwarded >= max) {
          drop(client);
          origin.destroy();
        }
      });
      client.on("close", () => origin.destroy());
    };
    client.on("data", onData);
  });
  const out = Object.assign(srv, { tunnels: 0 });
  const close = srv.close;
  out.close = () => {
    for (const s of up) s.destroy();
    return close();
  };
  return out;
}

test("faults exchange - a CONNECT proxy that drops the tunnel mid-body: closed with the partial body, pool healthy", async () => {
  const body = pattern(4, 200_000);
  const headText = `HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`;
  const origin = track(
    await rawServer((s) =>
      readRequests(s, () => {
        s.write(bytes(headText));
        s.write(body);
      }),
    ),
  );
  const cut = headText.length + 50_000;
  const proxy: RawServer & { tunnels: number } = track(
    await droppingProxy(
      () => (proxy.tunnels === 1 ? cut : Infinity),
      (s) => s.end(),
    ),
  );
  const pool = new Pool();
  const proxyOpt = { connect: { host: "127.0.0.1", port: proxy.port } };
  try {
    const e = await hansomRejection(
      get(`${origin.url}/`, { pool, proxy: proxyOpt }).then((r) => r.bytes()),
      8000,
    );
    assert.equal(e.code, "closed", `${e.code}: ${e.message}`);
    assert.equal(e.partialBody?.length, 50_000, "partialBody length");
    assert.ok(Buffer.from(e.partialBody!).equals(Buffer.from(body.subarray(0, 50_000))), "partialBody bytes");
    await settled(pool);
    const again = await within(
      get(`${origin.url}/`, { pool, proxy: proxyOpt }).then((r) => r.bytes()),
      8000,
      "the request after the drop",
    );
    assert.ok(Buffer.from(again).equals(Buffer.from(body)));
    assert.equal(proxy.tunnels, 2, "a new tunnel for the next request");
  } finally {
    await pool.close();
  }
});

test("faults exchange - a CONNECT proxy that resets the tunnel mid-body: econnreset, pool healthy", async () => {
  const body = pattern(5, 200_000);
  const origin = track(
    await rawServer((s) =>
      readRequests(s, () => {
        s.write(bytes(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`));
        s.write(body);
      }),
    ),
  );
  const proxy: RawServer & { tunnels: number } = track(
    await droppingProxy(
      () => (proxy.tunnels === 1 ? 30_000 : Infinity),
      (s) => setTimeout(() => reset(s), 20),
    ),
  );
  const pool = new Pool();
  const proxyOpt = { connect: { host: "127.0.0.1", port: proxy.port } };
  try {
    const e = await hansomRejection(
      request("GET", `${origin.url}/`, { pool, proxy: proxyOpt }).then((r) => r.bytes()),
      8000,
    );
    assert.equal(e.code, "econnreset", `${e.code}: ${e.message}`);
    await settled(pool);
    const again = await within(
      get(`${origin.url}/`, { pool, proxy: proxyOpt }).then((r) => r.bytes()),
      8000,
      "the request after the reset",
    );
    assert.equal(again.length, body.length);
  } finally {
    await pool.close();
  }
});
