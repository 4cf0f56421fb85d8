// A hansom Response as the runtime's own global Response: status, statusText and every header
// field as received (each Set-Cookie its own field, so getSetCookie() works; Content-Encoding
// and Content-Length kept with a decoded body, as Node's fetch keeps them), the body as a
// ReadableStream read straight from hansom, and url / redirected, which the Response
// constructor cannot set, defined on the instance.
import type { Response as HansomResponse } from "../index.ts";
import { fetchError } from "./errors.ts";

// WHATWG Fetch §2.2.3 null body statuses, plus 101 (the socket then speaks another protocol).
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/**
 * The body as a stream that errors as fetch's does: with the signal's reason after an abort
 * (also when the abort came before the first read), else with a TypeError whose cause is the
 * HansomError. Nothing is read until the first pull; cancelling drops the connection.
 */
function bodyStream(res: HansomResponse, signal: AbortSignal | null): ReadableStream<Uint8Array> {
  let it: AsyncIterator<Uint8Array> | null = null;
  return new ReadableStream<Uint8Array>(
    {
      pull(ctrl) {
        if (signal?.aborted) {
          if (it) void it.return?.();
          else void res.close();
          ctrl.error(signal.reason);
          return;
        }
        it ??= res[Symbol.asyncIterator]();
        return it.next().then(
          (r) => (r.done ? ctrl.close() : ctrl.enqueue(r.value)),
          (e: unknown) => ctrl.error(fetchError(e, signal)),
        );
      },
      async cancel() {
        if (it) await it.return?.();
        else await res.close();
      },
    },
    // Pull only when the reader asks: a paused reader stops hansom reading the socket.
    { highWaterMark: 0 },
  );
}

/** Keeps url and redirected on clones too (clone() builds a fresh Response from internal state). */
function cloneKeepingUrl(this: Response): Response {
  const c = Response.prototype.clone.call(this);
  return describe(c, this.url, this.redirected);
}

function describe(r: Response, url: string, redirected: boolean): Response {
  Object.defineProperty(r, "url", { value: url, enumerable: true });
  if (redirected) Object.defineProperty(r, "redirected", { value: true, enumerable: true });
  Object.defineProperty(r, "clone", { value: cloneKeepingUrl });
  return r;
}

/** The URL as Response.url shows it: serialised without its fragment (§2.2.5). */
export function responseUrl(u: URL): string {
  const h = u.href;
  const at = h.indexOf("#");
  return at < 0 ? h : h.slice(0, at);
}

/** The global Response for `res`, the answer to a `method` request, after `redirected` hops. */
export function toFetchResponse(
  res: HansomResponse,
  method: string,
  url: string,
  redirected: boolean,
  signal: AbortSignal | null,
): Response {
  const status = res.status;
  let body: ReadableStream<Uint8Array> | null = null;
  if (method === "HEAD" || NULL_BODY.has(status)) {
    // A body hansom may still frame (a 205 with Content-Length, a 101's socket) is dropped.
    void res.close();
  } else {
    body = bodyStream(res, signal);
  }
  const init = { status, statusText: res.statusText, headers: res.rawHeaders };
  let r: Response;
  try {
    r = new Response(body, init);
  } catch {
    r = fallback(body, init);
  }
  return describe(r, url, redirected);
}

/**
 * Response's constructor refuses some of what a server may send: a status outside 200-599
 * (101 on Node), a field Headers rejects, a reason phrase it rejects. The status is then
 * defined on the instance, refused fields are left out (they stay in hansom's rawHeaders),
 * and a refused reason phrase is empty.
 */
function fallback(
  body: ReadableStream<Uint8Array> | null,
  init: { status: number; statusText: string; headers: Array<[string, string]> },
): Response {
  const headers = new Headers();
  for (const [k, v] of init.headers) {
    try {
      headers.append(k, v);
    } catch {
      // Left out: Headers refuses this name or value.
    }
  }
  const inRange = init.status >= 200 && init.status <= 599;
  const status = inRange ? init.status : 200;
  let r: Response;
  try {
    r = new Response(body, { status, statusText: init.statusText, headers });
  } catch {
    r = new Response(body, { status, headers });
  }
  if (!inRange) {
    Object.defineProperty(r, "status", { value: init.status, enumerable: true });
    Object.defineProperty(r, "ok", { value: false, enumerable: true });
  }
  return r;
}
