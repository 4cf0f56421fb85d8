// The fetch behaviour every fetch() should show, as one set of checks run against any fetch
// implementation: hansom's (hansom-fetch.spec.ts) and the runtime's own (runtime-fetch.spec.ts),
// so that wherever the two differ, it shows. Everything runs against loopback node:http
// servers this file starts (on first use) and closes after the file's tests.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import * as zlib from "node:zlib";
import { httpServer } from "../helpers/servers.ts";
import type { Running } from "../helpers/servers.ts";
import type { IncomingMessage, ServerResponse } from "node:http";

/** The fetch signature the checks call. */
export type FetchImpl = (input: string | URL | Request, init?: RequestInit & { duplex?: "half" }) => Promise<Response>;

/** Checks to skip, by name, each with the reason printed. */
export interface BehaviourOptions {
  skip?: Record<string, string>;
}

/** What /echo saw. */
interface Echo {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body bytes, base64. */
  body: string;
}

const GZIP_TEXT = "hello gzip, ".repeat(200);
const GZIPPED = zlib.gzipSync(GZIP_TEXT);

/** Reads a request body whole. */
function readBody(req: IncomingMessage): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    req.on("data", (c: Uint8Array) => parts.push(c));
    req.on("end", () => resolve(Buffer.concat(parts)));
    req.on("error", reject);
  });
}

/** The routes every check uses; `other` is the second origin, for cross-origin redirects. */
function handler(servers: { other: () => string }) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const u = new URL(req.url!, "http://x");
    const q = (k: string): string => u.searchParams.get(k) ?? "";
    switch (u.pathname) {
      case "/text":
        res.writeHead(200, { "content-type": "text/plain", "x-hello": "world" });
        res.end("hello fetch");
        return;
      case "/json":
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify({ ok: true, n: 1 }));
        return;
      case "/echo": {
        const body = await readBody(req);
        const echo: Echo = {
          method: req.method!,
          url: req.url!,
          headers: req.headers,
          body: Buffer.from(body).toString("base64"),
        };
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(echo));
        return;
      }
      case "/status": {
        res.statusCode = Number(q("code"));
        if (q("text")) res.statusMessage = q("text");
        res.end();
        return;
      }
      case "/cookies":
        res.setHeader("set-cookie", ["a=1; Path=/", "b=2; HttpOnly"]);
        res.setHeader("x-multi", ["one", "two"]);
        res.end("cookies");
        return;
      case "/redirect": {
        await readBody(req);
        const to = q("to") === "other" ? `${servers.other()}/echo` : q("to") || "/echo";
        res.writeHead(Number(q("status") || 302), to === "none" ? {} : { location: to });
        res.end("moved");
        return;
      }
      case "/chain": {
        const n = Number(q("n"));
        if (n > 0) res.writeHead(302, { location: `/chain?n=${n - 1}` }).end();
        else res.end("end of chain");
        return;
      }
      case "/hang":
        // Never answers; the server's close destroys the socket.
        return;
      case "/slow-body":
        res.writeHead(200, { "content-type": "text/plain", "content-length": "1000" });
        res.write("0123456789");
        return;
      case "/gzip":
        res.writeHead(200, {
          "content-type": "text/plain",
          "content-encoding": "gzip",
          "content-length": String(GZIPPED.length),
        });
        res.end(GZIPPED);
        return;
      default:
        res.writeHead(404).end();
    }
  };
}

/** Two servers (the second another origin), started on first use, closed after the file's tests. */
function lazyServers(): () => Promise<string> {
  let started: Promise<{ main: Running; other: Running }> | null = null;
  after(async () => {
    if (!started) return;
    const { main, other } = await started;
    await Promise.all([main.close(), other.close()]);
  });
  return async () => {
    started ??= (async () => {
      const ref = { other: "" };
      const h = handler({ other: () => ref.other });
      const main = await httpServer(h);
      const other = await httpServer(h);
      ref.other = other.url;
      return { main, other };
    })();
    return (await started).main.url;
  };
}

async function echo(res: Response): Promise<Echo & { bytes: Uint8Array }> {
  assert.equal(res.status, 200);
  const e = (await res.json()) as Echo;
  return { ...e, bytes: new Uint8Array(Buffer.from(e.body, "base64")) };
}

/** The rejection of `p`; fails the check when it resolves. */
async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  assert.fail("expected a rejection");
}

/** The parts of a multipart body (RFC 7578), each its head and body; checks the closing delimiter. */
function multipartParts(text: string, boundary: string): Array<{ head: string; body: string }> {
  const sections = text.split(`--${boundary}`);
  assert.equal(sections[0], "", "the body starts with the first delimiter");
  assert.match(sections[sections.length - 1]!, /^--(\r\n)?$/, "the body ends with the close delimiter");
  return sections.slice(1, -1).map((s) => {
    assert.ok(s.startsWith("\r\n") && s.endsWith("\r\n"), "CRLF around each delimiter");
    const at = s.indexOf("\r\n\r\n");
    return { head: s.slice(2, at), body: s.slice(at + 4, -2) };
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Registers every fetch behaviour check for `fetchImpl`, each named "<name> - <check>". */
export function fetchBehaviour(name: string, fetchImpl: FetchImpl, opts: BehaviourOptions = {}): void {
  const f = fetchImpl;
  // Per call: Bun runs every spec file in one process, sharing this module.
  const base = lazyServers();
  const check = (title: string, fn: () => Promise<void>): void => {
    const reason = opts.skip?.[title];
    if (reason) console.log(`skip "${name} - ${title}": ${reason}`);
    test(`${name} - ${title}`, reason ? { skip: reason } : {}, fn);
  };

  check("GET text: status, statusText, headers, body and url", async () => {
    const url = `${await base()}/text`;
    const res = await f(url);
    assert.ok(res instanceof globalThis.Response, "a global Response");
    assert.equal(res.status, 200);
    assert.equal(res.ok, true);
    assert.equal(res.statusText, "OK");
    assert.equal(res.headers.get("content-type"), "text/plain");
    assert.equal(res.headers.get("x-hello"), "world");
    assert.equal(res.url, url);
    assert.equal(res.redirected, false);
    assert.ok(res.body instanceof ReadableStream, "the body is a ReadableStream");
    assert.equal(await res.text(), "hello fetch");
    assert.equal(res.bodyUsed, true);
  });

  check("GET json() and a URL object as input", async () => {
    const res = await f(new URL(`${await base()}/json`));
    assert.deepEqual(await res.json(), { ok: true, n: 1 });
  });

  check("GET body read through res.body's reader", async () => {
    const res = await f(`${await base()}/text`);
    const reader = res.body!.getReader();
    const parts: Uint8Array[] = [];
    for (let r = await reader.read(); !r.done; r = await reader.read()) parts.push(r.value);
    assert.equal(new TextDecoder().decode(Buffer.concat(parts)), "hello fetch");
  });

  check("Response.url has no fragment", async () => {
    const res = await f(`${await base()}/text#frag`);
    assert.equal(res.url, `${await base()}/text`);
    await res.text();
  });

  check("POST string body is sent with text/plain;charset=UTF-8", async () => {
    const e = await echo(await f(`${await base()}/echo`, { method: "POST", body: "héllo" }));
    assert.equal(e.method, "POST");
    assert.equal(new TextDecoder().decode(e.bytes), "héllo");
    assert.equal(e.headers["content-type"], "text/plain;charset=UTF-8");
    assert.equal(e.headers["content-length"], String(new TextEncoder().encode("héllo").length));
  });

  check("POST ArrayBuffer body", async () => {
    const ab = new Uint8Array([1, 2, 3, 250]).buffer;
    const e = await echo(await f(`${await base()}/echo`, { method: "POST", body: ab }));
    assert.deepEqual([...e.bytes], [1, 2, 3, 250]);
    assert.equal(e.headers["content-type"], undefined);
  });

  check("POST typed array and DataView bodies send only the view's bytes", async () => {
    const whole = new Uint8Array([9, 9, 1, 2, 3, 4, 9, 9]);
    const e1 = await echo(await f(`${await base()}/echo`, { method: "POST", body: whole.subarray(2, 6) }));
    assert.deepEqual([...e1.bytes], [1, 2, 3, 4]);
    const e2 = await echo(await f(`${await base()}/echo`, { method: "POST", body: new DataView(whole.buffer, 1, 3) }));
    assert.deepEqual([...e2.bytes], [9, 1, 2]);
    const e3 = await echo(await f(`${await base()}/echo`, { method: "POST", body: new Uint16Array([0x0102]) }));
    assert.equal(e3.bytes.length, 2);
  });

  check("POST Blob body with its type", async () => {
    const e = await echo(
      await f(`${await base()}/echo`, {
        method: "POST",
        body: new Blob(["blob ", "bytes"], { type: "application/x-test" }),
      }),
    );
    assert.equal(new TextDecoder().decode(e.bytes), "blob bytes");
    assert.equal(e.headers["content-type"], "application/x-test");
  });

  check("POST FormData body as multipart/form-data with its boundary", async () => {
    const fd = new FormData();
    fd.append("field", "value");
    fd.append("file", new Blob(["file content"], { type: "text/plain" }), "f.txt");
    const e = await echo(await f(`${await base()}/echo`, { method: "POST", body: fd }));
    const ct = String(e.headers["content-type"]);
    const m = /^multipart\/form-data; ?boundary=(.+)$/.exec(ct);
    assert.ok(m, `multipart content-type, got ${ct}`);
    const parts = multipartParts(new TextDecoder().decode(e.bytes), m[1]!);
    assert.equal(parts.length, 2);
    assert.match(parts[0]!.head, /^content-disposition: form-data; name="field"$/im);
    assert.equal(parts[0]!.body, "value");
    assert.match(parts[1]!.head, /^content-disposition: form-data; name="file"; filename="f.txt"$/im);
    // The File's own type, as this runtime's Blob reports it (Bun adds ";charset=utf-8").
    const type = (fd.get("file") as Blob).type;
    assert.ok(
      parts[1]!.head.toLowerCase().split("\r\n").includes(`content-type: ${type.toLowerCase()}`),
      `content-type: ${type} in ${parts[1]!.head}`,
    );
    assert.equal(parts[1]!.body, "file content");
  });

  check("POST URLSearchParams body", async () => {
    const e = await echo(
      await f(`${await base()}/echo`, { method: "POST", body: new URLSearchParams({ a: "1", b: "x y" }) }),
    );
    assert.equal(new TextDecoder().decode(e.bytes), "a=1&b=x+y");
    assert.equal(e.headers["content-type"], "application/x-www-form-urlencoded;charset=UTF-8");
  });

  check('POST streamed body with duplex: "half"', async () => {
    const chunks = ["first,", "second,", "third"];
    const stream = new ReadableStream<Uint8Array>({
      async pull(ctrl) {
        await sleep(5);
        const c = chunks.shift();
        if (c === undefined) ctrl.close();
        else ctrl.enqueue(new TextEncoder().encode(c));
      },
    });
    const e = await echo(await f(`${await base()}/echo`, { method: "POST", body: stream, duplex: "half" }));
    assert.equal(new TextDecoder().decode(e.bytes), "first,second,third");
    assert.equal(e.headers["transfer-encoding"], "chunked");
  });

  check('POST a stream body without duplex: "half" is a TypeError', async () => {
    const stream = new ReadableStream<Uint8Array>({ start: (c) => c.close() });
    const err = await rejectionOf(f(`${await base()}/echo`, { method: "POST", body: stream }));
    assert.ok(err instanceof TypeError, `a TypeError, got ${String(err)}`);
  });

  check("POST without body sends Content-Length: 0", async () => {
    const e = await echo(await f(`${await base()}/echo`, { method: "POST" }));
    assert.equal(e.headers["content-length"], "0");
    assert.equal(e.bytes.length, 0);
  });

  check("GET with a body is a TypeError", async () => {
    const err = await rejectionOf(f(`${await base()}/echo`, { method: "GET", body: "x" }));
    assert.ok(err instanceof TypeError, `a TypeError, got ${String(err)}`);
  });

  check("Request input: its method, headers and body", async () => {
    const req = new Request(`${await base()}/echo`, {
      method: "PUT",
      headers: { "x-from": "request" },
      body: "request body",
    });
    const e = await echo(await f(req));
    assert.equal(e.method, "PUT");
    assert.equal(e.headers["x-from"], "request");
    // Whatever Content-Type this runtime's Request holds (Bun's sets none for a string body).
    assert.equal(e.headers["content-type"], req.headers.get("content-type") ?? undefined);
    assert.equal(new TextDecoder().decode(e.bytes), "request body");
  });

  check("Request input: a stream body", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(ctrl) {
        ctrl.enqueue(new TextEncoder().encode("streamed "));
        setTimeout(() => {
          ctrl.enqueue(new TextEncoder().encode("request"));
          ctrl.close();
        }, 10);
      },
    });
    const req = new Request(`${await base()}/echo`, { method: "POST", body: stream, duplex: "half" } as RequestInit);
    const e = await echo(await f(req));
    assert.equal(new TextDecoder().decode(e.bytes), "streamed request");
  });

  check("Request input: init overrides its method and headers", async () => {
    const req = new Request(`${await base()}/echo`, { method: "PUT", headers: { "x-from": "request" } });
    const e = await echo(await f(req, { method: "DELETE", headers: { "x-from": "init" } }));
    assert.equal(e.method, "DELETE");
    assert.equal(e.headers["x-from"], "init");
  });

  check("headers in: a Headers, pairs and a record are all sent", async () => {
    const url = `${await base()}/echo`;
    const h = new Headers({ "x-a": "headers" });
    const e1 = await echo(await f(url, { headers: h }));
    assert.equal(e1.headers["x-a"], "headers");
    const e2 = await echo(
      await f(url, {
        headers: [
          ["x-a", "pairs"],
          ["x-b", "2"],
        ],
      }),
    );
    assert.equal(e2.headers["x-a"], "pairs");
    assert.equal(e2.headers["x-b"], "2");
    const e3 = await echo(await f(url, { headers: { "X-A": "record", accept: "text/plain" } }));
    assert.equal(e3.headers["x-a"], "record");
    assert.equal(e3.headers["accept"], "text/plain");
  });

  check("headers in: Accept: */* unless set", async () => {
    const e = await echo(await f(`${await base()}/echo`));
    assert.equal(e.headers["accept"], "*/*");
  });

  check("headers out: each Set-Cookie kept, getSetCookie(), other repeats joined", async () => {
    const res = await f(`${await base()}/cookies`);
    assert.deepEqual(res.headers.getSetCookie(), ["a=1; Path=/", "b=2; HttpOnly"]);
    assert.equal(res.headers.get("x-multi"), "one, two");
    assert.equal(await res.text(), "cookies");
  });

  check("redirect follow (the default): 302 to the final response, url and redirected", async () => {
    const b = await base();
    const res = await f(`${b}/redirect?status=302&to=/text`);
    assert.equal(res.status, 200);
    assert.equal(res.redirected, true);
    assert.equal(res.url, `${b}/text`);
    assert.equal(await res.text(), "hello fetch");
  });

  check("redirect follow: 20 redirects are followed, the 21st is a TypeError", async () => {
    const b = await base();
    const res = await f(`${b}/chain?n=20`);
    assert.equal(await res.text(), "end of chain");
    assert.equal(res.url, `${b}/chain?n=0`);
    const err = await rejectionOf(f(`${b}/chain?n=21`));
    assert.ok(err instanceof TypeError, `a TypeError, got ${String(err)}`);
  });

  check("redirect follow: 303 after POST becomes GET without body or Content-Type", async () => {
    const b = await base();
    const res = await f(`${b}/redirect?status=303&to=/echo`, {
      method: "POST",
      body: "form data",
      headers: { "x-keep": "1" },
    });
    const e = await echo(res);
    assert.equal(e.method, "GET");
    assert.equal(e.bytes.length, 0);
    assert.equal(e.headers["content-type"], undefined);
    assert.equal(e.headers["content-length"], undefined);
    assert.equal(e.headers["x-keep"], "1");
    assert.equal(res.redirected, true);
  });

  check("redirect follow: 303 after PUT becomes GET too", async () => {
    const e = await echo(await f(`${await base()}/redirect?status=303&to=/echo`, { method: "PUT", body: "x" }));
    assert.equal(e.method, "GET");
    assert.equal(e.bytes.length, 0);
  });

  check("redirect follow: 301 and 302 after POST become GET without body", async () => {
    for (const status of [301, 302]) {
      const e = await echo(
        await f(`${await base()}/redirect?status=${status}&to=/echo`, { method: "POST", body: "data" }),
      );
      assert.equal(e.method, "GET", `after ${status}`);
      assert.equal(e.bytes.length, 0, `after ${status}`);
      assert.equal(e.headers["content-type"], undefined, `after ${status}`);
    }
  });

  check("redirect follow: 307 and 308 after POST keep the method and body", async () => {
    for (const status of [307, 308]) {
      const e = await echo(
        await f(`${await base()}/redirect?status=${status}&to=/echo`, { method: "POST", body: "kept" }),
      );
      assert.equal(e.method, "POST", `after ${status}`);
      assert.equal(new TextDecoder().decode(e.bytes), "kept", `after ${status}`);
      assert.equal(e.headers["content-type"], "text/plain;charset=UTF-8", `after ${status}`);
    }
  });

  check("redirect follow: 302 after PUT keeps the method and body", async () => {
    const e = await echo(await f(`${await base()}/redirect?status=302&to=/echo`, { method: "PUT", body: "put body" }));
    assert.equal(e.method, "PUT");
    assert.equal(new TextDecoder().decode(e.bytes), "put body");
  });

  check("redirect follow: a 307 after a stream body is a TypeError", async () => {
    const stream = new ReadableStream<Uint8Array>({
      start(ctrl) {
        ctrl.enqueue(new TextEncoder().encode("once"));
        ctrl.close();
      },
    });
    const err = await rejectionOf(
      f(`${await base()}/redirect?status=307&to=/echo`, { method: "POST", body: stream, duplex: "half" }),
    );
    assert.ok(err instanceof TypeError, `a TypeError, got ${String(err)}`);
  });

  check("redirect follow: a 3xx without Location is returned as it is", async () => {
    const res = await f(`${await base()}/redirect?status=302&to=none`);
    assert.equal(res.status, 302);
    assert.equal(res.redirected, false);
    assert.equal(await res.text(), "moved");
  });

  check("redirect follow: Authorization is kept on the same origin and dropped on another", async () => {
    const b = await base();
    const same = await echo(await f(`${b}/redirect?status=302&to=/echo`, { headers: { authorization: "Bearer t" } }));
    assert.equal(same.headers["authorization"], "Bearer t");
    const other = await echo(
      await f(`${b}/redirect?status=302&to=other`, { headers: { authorization: "Bearer t", "x-keep": "1" } }),
    );
    assert.equal(other.headers["authorization"], undefined);
    assert.equal(other.headers["x-keep"], "1");
  });

  check("redirect manual: the 3xx is returned as it is", async () => {
    const b = await base();
    const res = await f(`${b}/redirect?status=302&to=/text`, { redirect: "manual" });
    assert.equal(res.status, 302);
    assert.equal(res.headers.get("location"), "/text");
    assert.equal(res.redirected, false);
    assert.equal(res.url, `${b}/redirect?status=302&to=/text`);
    assert.equal(await res.text(), "moved");
  });

  check("redirect error: a redirect rejects with a TypeError", async () => {
    const err = await rejectionOf(f(`${await base()}/redirect?status=301&to=/text`, { redirect: "error" }));
    assert.ok(err instanceof TypeError, `a TypeError, got ${String(err)}`);
  });

  check("abort: an aborted signal rejects with its reason, an AbortError by default", async () => {
    const url = `${await base()}/text`;
    const ac = new AbortController();
    ac.abort();
    const err = await rejectionOf(f(url, { signal: ac.signal }));
    assert.ok(err instanceof DOMException, `a DOMException, got ${String(err)}`);
    assert.equal(err.name, "AbortError");
    const reason = new Error("my reason");
    const err2 = await rejectionOf(f(url, { signal: AbortSignal.abort(reason) }));
    assert.equal(err2, reason);
  });

  check("abort: aborting while waiting for the response rejects with the reason", async () => {
    const ac = new AbortController();
    const reason = new Error("gave up waiting");
    setTimeout(() => ac.abort(reason), 50);
    const err = await rejectionOf(f(`${await base()}/hang`, { signal: ac.signal }));
    assert.equal(err, reason);
  });

  check("abort: aborting while the body is read errors the body with the reason", async () => {
    const url = `${await base()}/slow-body`;
    const ac = new AbortController();
    const res = await f(url, { signal: ac.signal });
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.equal(first.done, false);
    const reason = new Error("stop reading");
    setTimeout(() => ac.abort(reason), 20);
    assert.equal(await rejectionOf(reader.read()), reason);
    // Aborted before the first read: text() rejects with the reason.
    const ac2 = new AbortController();
    const res2 = await f(url, { signal: ac2.signal });
    ac2.abort();
    const err = await rejectionOf(res2.text());
    assert.ok(err instanceof DOMException && err.name === "AbortError", `an AbortError, got ${String(err)}`);
  });

  check("network error: a refused connection is a TypeError with a cause", async () => {
    const gone = await httpServer(() => {});
    const url = `${gone.url}/`;
    await gone.close();
    const err = await rejectionOf(f(url));
    assert.ok(err instanceof TypeError, `a TypeError, got ${String(err)}`);
    assert.ok(err.cause !== undefined, "a cause");
  });

  check("null body: HEAD, 204, 205 and 304", async () => {
    const b = await base();
    const h = await f(`${b}/text`, { method: "HEAD" });
    assert.equal(h.status, 200);
    assert.equal(h.body, null);
    assert.equal(await h.text(), "");
    for (const code of [204, 205, 304]) {
      const res = await f(`${b}/status?code=${code}`);
      assert.equal(res.status, code);
      assert.equal(res.body, null, `${code} has a null body`);
    }
  });

  check("statusText: the server's reason phrase is passed through", async () => {
    const res = await f(`${await base()}/status?code=418&text=${encodeURIComponent("Short And Stout")}`);
    assert.equal(res.status, 418);
    assert.equal(res.ok, false);
    assert.equal(res.statusText, "Short And Stout");
    await res.text();
  });

  check("gzip: the body is decoded by default; Content-Encoding stays", async () => {
    const res = await f(`${await base()}/gzip`);
    assert.equal(await res.text(), GZIP_TEXT);
    assert.equal(res.headers.get("content-encoding"), "gzip");
  });
}
