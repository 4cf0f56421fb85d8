// Middleware: functions run around one call of request(), as hackney's 4.x middleware and
// undici's interceptors are. The pool's run first (outermost), then the request's own; the last
// `next` sends the request, and redirects and retries happen inside it. A middleware may change
// the request, call next more than once, or answer without calling it.
import type { RequestBody } from "./body.ts";
import type { RequestOptions } from "./options.ts";
import type { Response } from "./response.ts";

/** The request as middleware sees it; a changed copy may be passed to `next`. */
export interface MiddlewareRequest {
  method: string;
  /** The absolute URL (query included). */
  url: string;
  /** The header fields (names lower-cased, as Headers keeps them). */
  headers: Headers;
  body?: RequestBody;
  /** The rest of the request's options (middleware, headers and body excluded). */
  options: RequestOptions;
}

/** One step of the chain: return a Response, usually by calling `next`. */
export type Middleware = (
  req: MiddlewareRequest,
  next: (req: MiddlewareRequest) => Promise<Response>,
) => Promise<Response>;

/** Runs `chain` around `send`: chain[0] is outermost. */
export function runChain(
  chain: readonly Middleware[],
  req: MiddlewareRequest,
  send: (req: MiddlewareRequest) => Promise<Response>,
): Promise<Response> {
  const step = (i: number, r: MiddlewareRequest): Promise<Response> => {
    if (i === chain.length) return send(r);
    try {
      return Promise.resolve(chain[i]!(r, (next) => step(i + 1, next)));
    } catch (e) {
      return Promise.reject(e);
    }
  };
  return step(0, req);
}
