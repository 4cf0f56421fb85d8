// Testing code that uses hansom without a server: hansom/testing's mockOrigin answers every
// request to an origin from a function, with no socket. It answers each hop, so the client's
// cookies, retries, redirects and throwHttpErrors run exactly as they would against the API.
// Run: node examples/mock-testing.ts (Node 24) | deno run -A examples/mock-testing.ts | bun run examples/mock-testing.ts
// (In a test suite, each case would be a node:test `test(...)`, with restore() in a finally.)
import assert from "node:assert/strict";
import { CookieJar, get, isHansomError, post } from "../lib/index.ts";
import type { RetryOptions } from "../lib/index.ts";
import { mockOrigin } from "../lib/testing/index.ts";
import type { MockHandler } from "../lib/testing/index.ts";

// ---- The code under test: a small client for a to-do API. ----

interface Todo {
  id: number;
  title: string;
}

const API = "https://todo.example/api/";
const retry: RetryOptions = { limit: 2, backoff: () => 0 }; // no waiting between attempts in this demo

class TodoClient {
  readonly #jar = new CookieJar();

  /** Logs in; the session cookie the API sets is kept in the jar. */
  async login(user: string, password: string): Promise<void> {
    const res = await post("login", {
      baseUrl: API,
      json: { user, password },
      cookieJar: this.#jar,
      throwHttpErrors: true,
    });
    await res.skip();
  }

  /** The to-dos, optionally only the open ones. */
  async list(open?: boolean): Promise<Todo[]> {
    const query = open === undefined ? undefined : { open };
    const res = await get("todos", {
      baseUrl: API,
      query,
      cookieJar: this.#jar,
      retry,
      followRedirect: true,
      throwHttpErrors: true,
    });
    return (await res.json()) as Todo[];
  }

  /** Adds a to-do; null when one with that title exists already (409). */
  async add(title: string): Promise<Todo | null> {
    try {
      const res = await post("todos", { baseUrl: API, json: { title }, cookieJar: this.#jar, throwHttpErrors: true });
      return (await res.json()) as Todo;
    } catch (e) {
      if (isHansomError(e, "http_error") && e.response?.status === 409) {
        await e.response.close(); // against a real server, the unread Response holds a connection
        return null;
      }
      throw e;
    }
  }
}

// ---- The fake API, written as a handler. ----

const todos: Todo[] = [{ id: 1, title: "water the plants" }];
let busy = 1; // answer the next N requests to /api/todos with 503

const handler: MockHandler = (req) => {
  const url = new URL(req.url);
  const json = (status: number, value: unknown) => ({
    status,
    headers: { "content-type": "application/json" },
    body: JSON.stringify(value),
  });
  if (url.pathname === "/api/login") {
    const { user, password } = JSON.parse(new TextDecoder().decode(req.body as Uint8Array)) as {
      user: string;
      password: string;
    };
    if (password !== "secret") return json(401, { error: "bad credentials" });
    return { status: 204, headers: { "set-cookie": `sid=${user}-session; Path=/api; Secure; HttpOnly` } };
  }
  if (url.pathname === "/api/v0/todos") return { status: 301, headers: { location: "/api/todos" } };
  if (req.headers.get("cookie") !== "sid=ada-session") return json(401, { error: "log in first" });
  if (url.pathname === "/api/todos" && req.method === "GET") {
    if (busy > 0) {
      busy--;
      return { status: 503, headers: { "retry-after": "0" }, body: "busy" };
    }
    return json(200, url.searchParams.get("open") === "true" ? todos.slice(-1) : todos);
  }
  if (url.pathname === "/api/todos" && req.method === "POST") {
    const { title } = JSON.parse(new TextDecoder().decode(req.body as Uint8Array)) as { title: string };
    if (todos.some((t) => t.title === title)) return json(409, { error: "exists" });
    const todo = { id: todos.length + 1, title };
    todos.push(todo);
    return json(201, todo);
  }
  return json(404, { error: "no such route" });
};

// ---- The tests. ----

const mock = mockOrigin("https://todo.example", handler);
try {
  const client = new TodoClient();

  await client.login("ada", "secret");
  const login = mock.calls[0]!;
  assert.equal(login.method, "POST");
  assert.equal(login.headers.get("content-type"), "application/json");
  console.log("ok - login sends JSON and keeps the session cookie");

  await assert.rejects(
    new TodoClient().login("ada", "wrong"),
    (e: unknown) => isHansomError(e, "http_error") && e.response?.status === 401,
  );
  console.log("ok - a 401 on login rejects with http_error");

  const before = mock.calls.length;
  assert.deepEqual(await client.list(), [{ id: 1, title: "water the plants" }]);
  assert.equal(mock.calls.length - before, 2, "one 503, then the answer");
  assert.equal(mock.calls.at(-1)!.headers.get("cookie"), "sid=ada-session");
  console.log("ok - list() retries a 503 and sends the cookie from the jar");

  assert.deepEqual(await client.add("buy milk"), { id: 2, title: "buy milk" });
  assert.equal(await client.add("buy milk"), null);
  console.log("ok - add() creates a to-do, and a 409 becomes null");

  assert.deepEqual(await client.list(true), [{ id: 2, title: "buy milk" }]);
  assert.equal(new URL(mock.calls.at(-1)!.url).search, "?open=true");
  console.log("ok - list(true) sends ?open=true");

  const moved = await get("v0/todos", { baseUrl: API, followRedirect: true, cookie: "sid=ada-session" });
  assert.equal(moved.url, "https://todo.example/api/todos");
  assert.equal(moved.redirects.length, 1);
  await moved.skip();
  console.log("ok - a redirect is one more call of the handler, followed as from a server");

  console.log(`${mock.calls.length} requests answered, no socket opened`);
} finally {
  mock.restore();
}
