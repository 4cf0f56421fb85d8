// hansom/testing: answer requests from code so that users can test their own code without a
// server. mockOrigin works through any pool and every request shape; no socket is opened.
import { registerMock } from "../mock-registry.ts";
import type { MockAnswer, MockHandler } from "../mock-registry.ts";
import type { MiddlewareRequest } from "../middleware.ts";

export type { MockAnswer, MockHandler, MiddlewareRequest };

/**
 * Answers every request to `origin` ("http://api.test" or "https://host:8443") from `handler`
 * until `restore()`; `calls` records each request the handler saw (one per hop).
 * @example
 * const mock = mockOrigin("http://api.test", (req) => ({ status: 200, body: JSON.stringify({ url: req.url }) }));
 * const res = await get("http://api.test/users");   // answered by the handler
 * mock.restore();
 */
export function mockOrigin(origin: string, handler: MockHandler): { restore(): void; calls: MiddlewareRequest[] } {
  return registerMock(origin, handler);
}
