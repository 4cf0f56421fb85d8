// hansom/testing: answer requests from code so that users can test their own code without a
// server. mockOrigin works through any pool and every request shape; no socket is opened.
import { registerMock } from "../mock-registry.ts";
import type { MockAnswer, MockHandler } from "../mock-registry.ts";
import type { MiddlewareRequest } from "../middleware.ts";

export type { MockAnswer, MockHandler, MiddlewareRequest };

/**
 * Answers every request to `origin` ("http://127.0.0.1:8080" or "https://host:8443") from `handler`, through
 * any pool and without opening a socket, until `restore()`; the newest mock of an origin answers. `calls`
 * records each request the handler saw (one per hop). The handler returns `{ status, headers, body }` (status
 * 200 by default) or a Response; a status outside 100-999 fails the request with `invalid_option`, and a
 * handler that throws fails it with that error. An origin that does not parse throws `invalid_url`, a
 * handler that is not a function `invalid_option`.
 * @example
 * import { get } from "hansom";
 * import { mockOrigin } from "hansom/testing";
 * const mock = mockOrigin("http://127.0.0.1:8080", (req) => ({
 *   status: 200,
 *   headers: { "content-type": "application/json" },
 *   body: JSON.stringify({ url: req.url }),
 * }));
 * try {
 *   const res = await get("http://127.0.0.1:8080/users"); // answered by the handler
 *   console.log(await res.json(), mock.calls.length); // { url: "http://127.0.0.1:8080/users" } 1
 * } finally {
 *   mock.restore();
 * }
 */
export function mockOrigin(origin: string, handler: MockHandler): { restore(): void; calls: MiddlewareRequest[] } {
  return registerMock(origin, handler);
}
