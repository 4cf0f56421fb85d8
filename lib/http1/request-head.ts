// The HTTP/1.1 request head of a RequestSpec: the fields only HTTP/1.1 has (Host, body framing,
// Connection: close) added around the caller's, then the head encoded to bytes.
import type { RequestSpec } from "../exchange.ts";
import { encodeHead } from "./encode.ts";

/** Whether `pairs` has a field named `lower` (a lower-case name). */
function has(pairs: Array<[string, string]>, lower: string): boolean {
  for (let i = 0; i < pairs.length; i++) {
    const k = pairs[i]![0];
    if (k.length === lower.length && k.toLowerCase() === lower) return true;
  }
  return false;
}

/** The head bytes: Host first (RFC 9112 §3.2), the caller's fields in order, then framing. */
export function http1Head(spec: RequestSpec): Uint8Array {
  const user = spec.headers;
  const headers: Array<[string, string]> = [];
  if (!has(user, "host")) headers.push(["Host", spec.authority]);
  for (let i = 0; i < user.length; i++) headers.push(user[i]!);
  const body = spec.body;
  if (body) {
    // The caller's own Content-Length or Transfer-Encoding stands (request.ts framed the body to it).
    if (!has(user, "content-length") && !has(user, "transfer-encoding")) {
      headers.push(body.length === null ? ["Transfer-Encoding", "chunked"] : ["Content-Length", String(body.length)]);
    }
  } else if (
    (spec.method === "POST" || spec.method === "PUT" || spec.method === "PATCH") &&
    !has(user, "content-length")
  ) {
    // RFC 9110 §8.6: a request with a body-defining method and no body says so.
    headers.push(["Content-Length", "0"]);
  }
  if (spec.lastRequest && !has(user, "connection")) headers.push(["Connection", "close"]);
  const target = spec.absoluteForm ? `${spec.scheme}://${spec.authority}${spec.path}` : spec.path;
  return encodeHead({ method: spec.method, target, headers });
}
