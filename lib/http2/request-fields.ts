// The HTTP/2 field list of a RequestSpec (RFC 9113 §8.3.1): the four pseudo-fields from the
// spec, then the caller's fields without those HTTP/2 leaves to the framing layer — Host (it
// becomes :authority), the HTTP/1.1 connection fields (§8.2.2), and te other than "trailers".
// content-length stays as the caller set it or is added for a body of known length (§8.1.1).
import type { RequestSpec } from "../exchange.ts";

const DROPPED = new Set(["host", "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);

/** Request fields for session.request(); names as the caller wrote them (the session lower-cases). */
export function h2Fields(spec: RequestSpec): Array<[string, string]> {
  let authority = spec.authority;
  let hasLength = false;
  const rest: Array<[string, string]> = [];
  for (const field of spec.headers) {
    const name = field[0].toLowerCase();
    if (name === "host") authority = field[1].trim() || authority;
    if (DROPPED.has(name)) continue;
    if (name === "te" && field[1].trim().toLowerCase() !== "trailers") continue;
    if (name === "content-length") hasLength = true;
    rest.push(field);
  }
  const fields: Array<[string, string]> =
    spec.method === "CONNECT"
      ? [
          [":method", "CONNECT"],
          [":authority", authority],
        ]
      : [
          [":method", spec.method],
          [":scheme", spec.scheme],
          [":authority", authority],
          [":path", spec.path || "/"],
        ];
  for (const f of rest) fields.push(f);
  const body = spec.body;
  if (!hasLength) {
    if (body && body.length !== null) fields.push(["content-length", String(body.length)]);
    else if (!body && (spec.method === "POST" || spec.method === "PUT" || spec.method === "PATCH"))
      fields.push(["content-length", "0"]);
  }
  return fields;
}
