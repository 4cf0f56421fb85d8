import { test } from "node:test";
import assert from "node:assert/strict";
import { HansomError } from "../../lib/errors.ts";
import { TunnelSocket } from "../../lib/proxy/tunnel.ts";
import type { RawSocket, SocketHandler } from "../../lib/runtime/socket.ts";

/** A RawSocket driven by the spec: push() and end() play the peer. */
function fakeSocket(): RawSocket & { h: SocketHandler | null; resumed: number; paused: number; destroyed: boolean } {
  const addr = { address: "127.0.0.1", port: 1, family: "IPv4" as const };
  return {
    remote: addr,
    local: addr,
    secure: false,
    closed: false,
    alpn: null,
    h: null,
    resumed: 0,
    paused: 0,
    destroyed: false,
    setHandler(h) {
      this.h = h;
    },
    pause() {
      this.paused++;
    },
    resume() {
      this.resumed++;
    },
    write: () => true,
    drain: () => Promise.resolve(),
    destroy() {
      this.destroyed = true;
    },
    startTls: () => Promise.reject(new Error("not in this spec")),
  };
}

const b = (s: string): Uint8Array => new TextEncoder().encode(s);
const s = (u: Uint8Array): string => new TextDecoder().decode(u);

function recorder(log: string[], onData?: (c: Uint8Array) => void): SocketHandler {
  return {
    data: (c) => {
      log.push(`data:${s(c)}`);
      onData?.(c);
    },
    end: () => log.push("end"),
    error: (e) => log.push(`error:${e.message}`),
  };
}

test("TunnelSocket - unshifted bytes and events held while detached arrive in order on resume", () => {
  const inner = fakeSocket();
  const t = new TunnelSocket(inner);
  t.unshift(b("tail"));
  inner.h!.data(b("more"));
  inner.h!.end();
  const log: string[] = [];
  t.setHandler(recorder(log));
  assert.deepEqual(log, [], "data waits for resume(); the end is behind it");
  assert.equal(t.heldBytes, 8);
  t.resume();
  assert.deepEqual(log, ["data:tail", "data:more", "end"]);
  assert.equal(inner.resumed, 1, "the OS socket is read on only once everything held was delivered");
});

test("TunnelSocket - pause() inside a handler stops delivery of held data", () => {
  const inner = fakeSocket();
  const t = new TunnelSocket(inner);
  t.unshift(b("two"));
  t.unshift(b("one"));
  const log: string[] = [];
  t.setHandler(recorder(log, () => t.pause()));
  t.resume();
  assert.deepEqual(log, ["data:one"]);
  t.resume();
  assert.deepEqual(log, ["data:one", "data:two"]);
  assert.equal(inner.resumed, 0);
  t.setHandler(recorder(log));
  t.resume();
  assert.equal(inner.resumed, 1, "the OS socket is read once nothing is held");
  inner.h!.data(b("live"));
  assert.deepEqual(log, ["data:one", "data:two", "data:live"]);
});

test("TunnelSocket - an error with nothing held is reported at setHandler(), as adapters do", () => {
  const inner = fakeSocket();
  const t = new TunnelSocket(inner);
  inner.h!.error(new HansomError("econnreset", "reset"));
  const log: string[] = [];
  t.setHandler(recorder(log));
  assert.deepEqual(log, ["error:reset"]);
});

test("TunnelSocket - startTls with bytes held fails with proxy_error and destroys the socket", async () => {
  const inner = fakeSocket();
  const t = new TunnelSocket(inner);
  t.unshift(b("x"));
  await assert.rejects(
    t.startTls({ host: "h", tls: {}, timeout: 100 }),
    (e: unknown) => e instanceof HansomError && e.code === "proxy_error",
  );
  assert.equal(inner.destroyed, true);
});
