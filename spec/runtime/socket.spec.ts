// Conformance of the running runtime's SocketAdapter (lib/runtime/socket.ts) against real
// node:net / node:tls servers on loopback. The same file runs on Node 20 (compiled), Node 24,
// Deno and Bun, so it exercises node.ts, deno.ts and bun.ts in turn.
import { test, describe } from "node:test";
import assert from "node:assert/strict";
import * as net from "node:net";
import * as tls from "node:tls";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { getAdapter } from "../../lib/runtime/index.ts";
import { HansomError } from "../../lib/errors.ts";
import type { ConnectSpec, RawSocket, SocketAdapter, SocketHandler } from "../../lib/runtime/socket.ts";

const runtime = "Deno" in globalThis ? "deno" : "Bun" in globalThis ? "bun" : "node";

/** spec/fixtures/tls, found from spec/runtime or from dist/spec/runtime. */
function fixturesDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++, dir = dirname(dir)) {
    for (const p of [join(dir, "fixtures", "tls"), join(dir, "spec", "fixtures", "tls")]) if (existsSync(p)) return p;
  }
  throw new Error("spec/fixtures/tls not found");
}
const FIX = fixturesDir();
const CA = readFileSync(join(FIX, "ca.pem"), "utf8");
const SERVER_CERT = readFileSync(join(FIX, "server.pem"), "utf8");
const SERVER_KEY = readFileSync(join(FIX, "server-key.pem"), "utf8");
const CLIENT_CERT = readFileSync(join(FIX, "client.pem"), "utf8");
const CLIENT_KEY = readFileSync(join(FIX, "client-key.pem"), "utf8");

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Rejects if `p` takes longer than `ms`. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

async function rejectsWith(p: Promise<unknown>, code: string, ms = 5000): Promise<HansomError> {
  const err = await within(
    p.then(
      () => null,
      (e: unknown) => e,
    ),
    ms,
    `rejection with ${code}`,
  );
  assert.ok(
    err instanceof HansomError,
    `expected a HansomError ${code}, got ${err === null ? "success" : String(err)}`,
  );
  assert.equal(err.code, code, err.message);
  return err;
}

function random(n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(b.subarray(i, Math.min(n, i + 65536)));
  return b;
}
function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.byteLength, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.byteLength !== b.byteLength) return false;
  for (let i = 0; i < a.byteLength; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** A loopback server on port 0 that destroys its connections when closed. */
interface TestServer {
  port: number;
  close(): Promise<void>;
}
async function listen(server: net.Server, host = "127.0.0.1"): Promise<TestServer> {
  const sockets = new Set<net.Socket>();
  server.on("connection", (s: net.Socket) => {
    sockets.add(s);
    s.on("error", () => {});
    s.on("close", () => sockets.delete(s));
  });
  server.on("tlsClientError", () => {});
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A SocketHandler that records everything and lets a test wait for a condition. */
class Collector implements SocketHandler {
  chunks: Uint8Array[] = [];
  bytes = 0;
  ended = false;
  err: HansomError | null = null;
  /** Called inside data(), as an upper layer would (to pause or upgrade synchronously). */
  onChunk: ((c: Collector) => void) | null = null;
  #wake: Array<() => void> = [];

  data(chunk: Uint8Array): void {
    this.chunks.push(chunk);
    this.bytes += chunk.byteLength;
    this.onChunk?.(this);
    this.#notify();
  }
  end(): void {
    this.ended = true;
    this.#notify();
  }
  error(err: HansomError): void {
    this.err = err;
    this.#notify();
  }
  text(): string {
    return new TextDecoder().decode(concat(this.chunks));
  }
  #notify(): void {
    const w = this.#wake;
    this.#wake = [];
    for (const f of w) f();
  }
  /** Resolves once `pred` holds; rejects on a socket error or after `ms`. */
  async until(pred: () => boolean, what: string, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    while (!pred()) {
      if (this.err) throw this.err;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out after ${ms} ms waiting for ${what} (got ${this.bytes} bytes, ended=${this.ended})`);
      await within(new Promise<void>((r) => this.#wake.push(r)), left, what).catch(() => {});
    }
  }
}

async function adapter(): Promise<SocketAdapter> {
  return await getAdapter();
}

/** Connects, runs `body`, and destroys the socket whatever happens. */
async function withSocket(spec: ConnectSpec, body: (s: RawSocket) => Promise<void>): Promise<void> {
  const sock = await (await adapter()).connect(spec);
  try {
    await body(sock);
  } finally {
    sock.destroy();
  }
}

async function canListen(host: string): Promise<boolean> {
  const s = net.createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      s.once("error", reject);
      s.listen(0, host, () => resolve());
    });
    await new Promise<void>((r) => s.close(() => r()));
    return true;
  } catch {
    return false;
  }
}
const ipv6 = await canListen("::1");

/** A skip reason (or false), printed too: Deno's and Bun's reporters do not show it. */
function skipUnless(ok: boolean, reason: string): string | false {
  if (ok) return false;
  console.log(`# skipped on ${runtime}: ${reason}`);
  return reason;
}

/** A TLS server on the fixture certificate: greets with who the client is, then echoes. */
function tlsServer(): net.Server {
  return tls.createServer(
    { cert: SERVER_CERT, key: SERVER_KEY, ca: CA, requestCert: true, rejectUnauthorized: false },
    (s) => {
      s.on("error", () => {});
      const who = s.authorized
        ? `client ${(s.getPeerCertificate() as { subject?: { CN?: string } }).subject?.CN}`
        : "anonymous";
      s.write(`hello ${who}\n`);
      s.on("data", (d: Uint8Array) => s.write(d));
    },
  );
}

/** A TCP server that accepts and never answers: a TLS handshake against it hangs. */
function silentServer(): net.Server {
  return net.createServer((s) => s.pause());
}

/** A plain server that answers "STARTTLS\n" with "GO\n", then speaks TLS (echo) on the same socket. */
function startTlsServer(): net.Server {
  return net.createServer((raw) => {
    raw.once("data", () => {
      raw.write("GO\n", () => {
        const t = new tls.TLSSocket(raw, { isServer: true, cert: SERVER_CERT, key: SERVER_KEY });
        t.on("error", () => {});
        t.on("data", (d: Uint8Array) => t.write(d));
      });
    });
  });
}

/**
 * The server sends 32 MiB as fast as the client takes it. The client reads nothing before
 * resume(), stops after pause() (and the server, blocked on a full kernel buffer, cannot finish),
 * then reads the rest to the end.
 */
async function pauseScenario(
  makeServer: (onConn: (s: net.Socket) => void) => net.Server,
  spec: Omit<ConnectSpec, "host" | "port" | "timeout">,
): Promise<void> {
  const TOTAL = 32 << 20;
  let serverDone = false;
  const srv = await listen(
    makeServer((s) => {
      const block = new Uint8Array(65536).fill(7);
      let sent = 0;
      const pump = (): void => {
        while (sent < TOTAL) {
          sent += block.byteLength;
          if (!s.write(block)) {
            s.once("drain", pump);
            return;
          }
        }
        s.end(() => {
          serverDone = true;
        });
      };
      pump();
    }),
  );
  try {
    await withSocket({ host: "127.0.0.1", port: srv.port, timeout: 5000, ...spec }, async (sock) => {
      const col = new Collector();
      sock.setHandler(col);
      await sleep(300);
      assert.equal(col.bytes, 0, "read before resume()");
      sock.resume();
      await col.until(() => col.bytes >= 1 << 20, "1 MiB");
      sock.pause();
      const seen = col.bytes;
      await sleep(300);
      assert.equal(col.bytes, seen, "read while paused");
      assert.equal(serverDone, false, "the server wrote everything although the client was paused");
      sock.resume();
      await col.until(() => col.ended, "the end of 32 MiB", 20000);
      assert.equal(col.bytes, TOTAL);
      assert.equal(col.err, null);
    });
  } finally {
    await srv.close();
  }
}

/**
 * A server that reads and discards, behind a plain TCP valve: once the client is connected (TLS
 * handshake done) the valve stops reading, so writes eventually return false and drain() stays
 * pending; when it opens again drain() resolves. (The valve is plain TCP because Deno's node:tls
 * server keeps reading while paused.)
 */
async function backpressureScenario(
  makeServer: (onConn: (s: net.Socket) => void) => net.Server,
  spec: Omit<ConnectSpec, "host" | "port" | "timeout">,
): Promise<void> {
  const inner = await listen(makeServer((s) => s.on("data", () => {})));
  let valve: net.Socket | undefined;
  const ups = new Set<net.Socket>();
  const outer = await listen(
    net.createServer((c) => {
      valve = c;
      const up = net.connect(inner.port, "127.0.0.1");
      ups.add(up);
      up.on("error", () => {});
      up.pipe(c);
      c.on("data", (d: Uint8Array) => {
        if (!up.write(d)) {
          c.pause();
          up.once("drain", () => c.isPaused() && valveOpen && c.resume());
        }
      });
    }),
  );
  let valveOpen = true;
  try {
    await withSocket({ host: "127.0.0.1", port: outer.port, timeout: 5000, ...spec }, async (sock) => {
      sock.setHandler(new Collector());
      valveOpen = false;
      valve!.pause();
      const chunk = new Uint8Array(65536);
      let written = 0;
      let blocked = false;
      while (!blocked && written < 512 << 20) {
        written += chunk.byteLength;
        if (!sock.write(chunk)) {
          const drained = await Promise.race([sock.drain().then(() => true), sleep(300).then(() => false)]);
          blocked = !drained;
        }
      }
      assert.ok(blocked, `write() never held back after ${written} bytes`);
      let drained = false;
      const drain = sock.drain().then(() => {
        drained = true;
      });
      await sleep(100);
      assert.equal(drained, false, "drain() resolved while the peer was not reading");
      valveOpen = true;
      valve!.resume();
      await within(drain, 10000, "drain() after the peer reads");
    });
  } finally {
    for (const u of ups) u.destroy();
    await outer.close();
    await inner.close();
  }
}

describe(`runtime socket adapter (${runtime})`, () => {
  test("adapter - is the one for this runtime", async () => {
    const a = await adapter();
    assert.equal(a.runtime, runtime);
    assert.equal(typeof a.env("PATH"), "string");
    assert.equal(a.env("HANSOM_SURELY_UNSET_VARIABLE"), undefined);
  });

  test("socket - echoes 1 MiB; chunks are plain Uint8Arrays the adapter never reuses", async () => {
    const srv = await listen(net.createServer((s) => s.pipe(s)));
    try {
      await withSocket({ host: "127.0.0.1", port: srv.port, timeout: 5000 }, async (sock) => {
        assert.equal(sock.secure, false);
        assert.equal(sock.closed, false);
        const col = new Collector();
        sock.setHandler(col);
        sock.resume();
        const payload = random(1 << 20);
        for (let at = 0; at < payload.byteLength; at += 16384) {
          if (!sock.write(payload.subarray(at, at + 16384))) await within(sock.drain(), 5000, "drain");
        }
        await col.until(() => col.bytes >= payload.byteLength, "the echo", 10000);
        for (const c of col.chunks) assert.equal(Object.getPrototypeOf(c), Uint8Array.prototype);
        // Checked only now: a reused read buffer would have overwritten earlier chunks.
        assert.ok(sameBytes(concat(col.chunks), payload), "echoed bytes differ");
      });
    } finally {
      await srv.close();
    }
  });

  test("socket - starts paused, and pause() stops reading from the OS until resume()", async () => {
    await pauseScenario((onConn) => net.createServer(onConn), {});
  });

  test("socket - write() returns false against a peer that does not read; drain() waits for it", async () => {
    await backpressureScenario((onConn) => net.createServer(onConn), {});
  });

  test("socket - the peer's end calls handler.end() after its data, then the socket closes", async () => {
    const srv = await listen(net.createServer((s) => s.end("bye")));
    try {
      await withSocket({ host: "127.0.0.1", port: srv.port, timeout: 5000 }, async (sock) => {
        const col = new Collector();
        sock.setHandler(col);
        sock.resume();
        await col.until(() => col.ended, "end()");
        assert.equal(col.text(), "bye");
        const deadline = Date.now() + 2000;
        while (!sock.closed && Date.now() < deadline) await sleep(10);
        assert.equal(sock.closed, true, "closed after the peer's FIN");
      });
    } finally {
      await srv.close();
    }
  });

  test("socket - a reset by the peer is econnreset", {
    skip: skipUnless(
      typeof net.Socket.prototype.resetAndDestroy === "function",
      "this runtime's node:net has no resetAndDestroy()",
    ),
  }, async () => {
    const srv = await listen(
      net.createServer((s) => {
        setTimeout(() => s.resetAndDestroy(), 50);
      }),
    );
    try {
      await withSocket({ host: "127.0.0.1", port: srv.port, timeout: 5000 }, async (sock) => {
        const col = new Collector();
        sock.setHandler(col);
        sock.resume();
        await col.until(() => col.err !== null || col.ended, "the reset").catch(() => {});
        assert.ok(col.err, `no error after a reset (ended=${col.ended})`);
        assert.equal(col.err.code, "econnreset", col.err.message);
        assert.equal(sock.write(new Uint8Array(1)), false);
        await assert.rejects(sock.drain(), HansomError);
      });
    } finally {
      await srv.close();
    }
  });

  test("socket - destroy() is idempotent; afterwards writes fail and drain() rejects", async () => {
    const srv = await listen(net.createServer((s) => s.pipe(s)));
    try {
      const sock = await (await adapter()).connect({ host: "127.0.0.1", port: srv.port, timeout: 5000 });
      sock.setHandler(new Collector());
      sock.resume();
      sock.destroy();
      sock.destroy();
      assert.equal(sock.closed, true);
      assert.equal(sock.write(new Uint8Array(1)), false);
      await rejectsWith(sock.drain(), "closed");
    } finally {
      await srv.close();
    }
  });

  test("socket - unref() and ref() keep working sockets working", async () => {
    const srv = await listen(net.createServer((s) => s.pipe(s)));
    try {
      await withSocket({ host: "127.0.0.1", port: srv.port, timeout: 5000 }, async (sock) => {
        const col = new Collector();
        sock.setHandler(col);
        sock.resume();
        sock.unref?.();
        sock.write(new TextEncoder().encode("a"));
        await col.until(() => col.text() === "a", "the echo while unref'd");
        sock.ref?.();
        sock.write(new TextEncoder().encode("b"));
        await col.until(() => col.text() === "ab", "the echo after ref()");
      });
    } finally {
      await srv.close();
    }
  });

  test("connect - a closed port is econnrefused", async () => {
    const srv = await listen(net.createServer());
    const port = srv.port;
    await srv.close();
    await rejectsWith((await adapter()).connect({ host: "127.0.0.1", port, timeout: 5000 }), "econnrefused");
  });

  test("connect - a name that does not resolve is nxdomain", async () => {
    // RFC 6761: .invalid never resolves. Without a reachable resolver the lookup may instead run
    // into the timeout, which is the other acceptable outcome.
    const p = (await adapter()).connect({ host: "hansom-spec.invalid", port: 80, timeout: 4000 });
    const err = await within(
      p.then(
        (s) => (s.destroy(), null),
        (e: unknown) => e,
      ),
      6000,
      "the lookup",
    );
    assert.ok(err instanceof HansomError, `expected a HansomError, got ${String(err)}`);
    assert.ok(err.code === "nxdomain" || err.code === "connect_timeout", `${err.code}: ${err.message}`);
  });

  test("connect - the timeout covers the TLS handshake: connect_timeout", async () => {
    const srv = await listen(silentServer());
    try {
      const t0 = Date.now();
      const err = await rejectsWith(
        (await adapter()).connect({ host: "127.0.0.1", port: srv.port, tls: {}, timeout: 150 }),
        "connect_timeout",
      );
      const took = Date.now() - t0;
      assert.ok(took >= 140 && took < 3000, `timed out after ${took} ms`);
      assert.match(err.message, /150 ms/);
    } finally {
      await srv.close();
    }
  });

  test("connect - an abort signal rejects with aborted, before or during the connect", async () => {
    const a = await adapter();
    const srv = await listen(silentServer());
    try {
      const pre = new AbortController();
      pre.abort(new Error("stop"));
      await rejectsWith(a.connect({ host: "127.0.0.1", port: srv.port, timeout: 5000, signal: pre.signal }), "aborted");
      const ac = new AbortController();
      setTimeout(() => ac.abort(new Error("stop")), 50);
      await rejectsWith(
        a.connect({ host: "127.0.0.1", port: srv.port, tls: {}, timeout: 5000, signal: ac.signal }),
        "aborted",
        2000,
      );
    } finally {
      await srv.close();
    }
  });

  test("socket - local and remote addresses (IPv4)", async () => {
    let seenPort = -1;
    const srv = await listen(
      net.createServer((s) => {
        seenPort = s.remotePort ?? -2;
      }),
    );
    try {
      await withSocket({ host: "127.0.0.1", port: srv.port, timeout: 5000 }, async (sock) => {
        assert.deepEqual(sock.remote, { address: "127.0.0.1", port: srv.port, family: "IPv4" });
        assert.equal(sock.local.address, "127.0.0.1");
        assert.equal(sock.local.family, "IPv4");
        const deadline = Date.now() + 2000;
        while (seenPort === -1 && Date.now() < deadline) await sleep(5);
        assert.equal(sock.local.port, seenPort);
      });
    } finally {
      await srv.close();
    }
  });

  test("socket - local and remote addresses (IPv6)", { skip: skipUnless(ipv6, "no IPv6 loopback here") }, async () => {
    const srv = await listen(net.createServer(), "::1");
    try {
      await withSocket({ host: "::1", port: srv.port, timeout: 5000 }, async (sock) => {
        assert.deepEqual(sock.remote, { address: "::1", port: srv.port, family: "IPv6" });
        assert.equal(sock.local.address, "::1");
        assert.equal(sock.local.family, "IPv6");
        assert.ok(sock.local.port > 0);
      });
    } finally {
      await srv.close();
    }
  });
});

describe(`runtime socket adapter TLS (${runtime})`, () => {
  async function greeting(spec: Omit<ConnectSpec, "host" | "port" | "timeout">, port: number): Promise<string> {
    let text = "";
    await withSocket({ host: "127.0.0.1", port, timeout: 5000, ...spec }, async (sock) => {
      assert.equal(sock.secure, true);
      const col = new Collector();
      sock.setHandler(col);
      sock.resume();
      await col.until(() => col.text().includes("\n"), "the greeting");
      if (!sock.write(new TextEncoder().encode("ping\n"))) await sock.drain();
      await col.until(() => col.text().endsWith("ping\n"), "the echo");
      text = col.text().split("\n")[0]!;
    });
    return text;
  }

  test("tls - verification is on by default: an unknown CA is tls_error", async () => {
    const srv = await listen(tlsServer());
    try {
      await rejectsWith(
        (await adapter()).connect({ host: "127.0.0.1", port: srv.port, tls: {}, timeout: 5000 }),
        "tls_error",
      );
    } finally {
      await srv.close();
    }
  });

  test("tls - accepted with tls.ca (IP address in the certificate)", async () => {
    const srv = await listen(tlsServer());
    try {
      assert.equal(await greeting({ tls: { ca: CA } }, srv.port), "hello anonymous");
      assert.equal(await greeting({ tls: { ca: [new TextEncoder().encode(CA)] } }, srv.port), "hello anonymous");
    } finally {
      await srv.close();
    }
  });

  test("tls - accepted with insecure", async () => {
    const srv = await listen(tlsServer());
    try {
      assert.equal(await greeting({ tls: {}, insecure: true }, srv.port), "hello anonymous");
    } finally {
      await srv.close();
    }
  });

  test("tls - servername is the name verified", async () => {
    const srv = await listen(tlsServer());
    try {
      assert.equal(await greeting({ tls: { ca: CA, servername: "localhost" } }, srv.port), "hello anonymous");
      await rejectsWith(
        (await adapter()).connect({
          host: "127.0.0.1",
          port: srv.port,
          tls: { ca: CA, servername: "wrong.example" },
          timeout: 5000,
        }),
        "tls_error",
      );
    } finally {
      await srv.close();
    }
  });

  test("tls - a client certificate is presented", async () => {
    const srv = await listen(tlsServer());
    try {
      assert.equal(
        await greeting({ tls: { ca: CA, cert: CLIENT_CERT, key: CLIENT_KEY } }, srv.port),
        "hello client hansom test client",
      );
      assert.equal(
        await greeting({ tls: { ca: CA, servername: "localhost", cert: CLIENT_CERT, key: CLIENT_KEY } }, srv.port),
        "hello client hansom test client",
      );
    } finally {
      await srv.close();
    }
  });

  for (const [label, spec] of [
    ["tls.ca", { tls: { ca: CA } }],
    ["insecure", { tls: {}, insecure: true }],
  ] as const) {
    const opts = { cert: SERVER_CERT, key: SERVER_KEY };
    test(`tls - pause() stops reading over TLS (${label})`, async () => {
      await pauseScenario((onConn) => tls.createServer(opts, onConn), spec);
    });
    test(`tls - write() backpressure over TLS (${label})`, async () => {
      await backpressureScenario((onConn) => tls.createServer(opts, onConn), spec);
    });
  }

  /** Plain connect, STARTTLS, then upgrade; `pauseFirst` pauses inside data() as a tunnel would. */
  async function upgrade(
    port: number,
    pauseFirst: boolean,
    tlsSpec: { tls: { ca?: string }; insecure?: boolean },
  ): Promise<RawSocket> {
    const sock = await (await adapter()).connect({ host: "127.0.0.1", port, timeout: 5000 });
    try {
      const col = new Collector();
      if (pauseFirst) col.onChunk = (c) => c.text() === "GO\n" && sock.pause();
      sock.setHandler(col);
      sock.resume();
      sock.write(new TextEncoder().encode("STARTTLS\n"));
      await col.until(() => col.text() === "GO\n", "GO");
      return await sock.startTls({ host: "localhost", timeout: 5000, ...tlsSpec });
    } catch (err) {
      sock.destroy();
      throw err;
    }
  }

  for (const pauseFirst of [true, false]) {
    test(`tls - startTls upgrades a plain socket (${pauseFirst ? "paused" : "still reading"} when upgraded)`, async () => {
      const srv = await listen(startTlsServer());
      try {
        const t = await upgrade(srv.port, pauseFirst, { tls: { ca: CA } });
        try {
          assert.equal(t.secure, true);
          assert.equal(t.remote.port, srv.port);
          const col = new Collector();
          t.setHandler(col);
          t.resume();
          const payload = random(256 << 10);
          if (!t.write(payload)) await within(t.drain(), 5000, "drain");
          await col.until(() => col.bytes >= payload.byteLength, "the TLS echo");
          assert.ok(sameBytes(concat(col.chunks), payload));
        } finally {
          t.destroy();
        }
      } finally {
        await srv.close();
      }
    });
  }

  test("tls - startTls verifies by default, and skips verification with insecure", async () => {
    const srv = await listen(startTlsServer());
    try {
      await rejectsWith(upgrade(srv.port, true, { tls: {} }), "tls_error");
      const t = await upgrade(srv.port, true, { tls: {}, insecure: true });
      try {
        const col = new Collector();
        t.setHandler(col);
        t.resume();
        t.write(new TextEncoder().encode("ping"));
        await col.until(() => col.text() === "ping", "the TLS echo");
      } finally {
        t.destroy();
      }
    } finally {
      await srv.close();
    }
  });
});

describe(`runtime file adapter (${runtime})`, () => {
  test("openFile - streams a file in chunks, with its size", async () => {
    const dir = mkdtempSync(join(tmpdir(), "hansom-spec-"));
    try {
      const path = join(dir, "body.bin");
      const content = random((1 << 20) + 3);
      writeFileSync(path, content);
      const f = await (await adapter()).openFile(path);
      assert.equal(f.size, content.byteLength);
      const chunks: Uint8Array[] = [];
      for await (const c of f.chunks()) chunks.push(c);
      assert.ok(chunks.length > 1, "read all at once");
      for (const c of chunks) assert.equal(Object.getPrototypeOf(c), Uint8Array.prototype);
      assert.ok(sameBytes(concat(chunks), content));
      // A second read starts from the beginning again.
      let again = 0;
      for await (const c of f.chunks()) again += c.byteLength;
      assert.equal(again, content.byteLength);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("openFile - a missing file or a directory is file_error", async () => {
    const a = await adapter();
    const dir = mkdtempSync(join(tmpdir(), "hansom-spec-"));
    try {
      mkdirSync(join(dir, "sub"));
      await rejectsWith(a.openFile(join(dir, "missing.bin")), "file_error");
      await rejectsWith(a.openFile(join(dir, "sub")), "file_error");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
