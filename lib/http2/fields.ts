// Field sections on HTTP/2 (RFC 9113 §8.2, §8.3): the checks a request's fields pass before
// they are encoded, and those a response head or trailer section must pass to be well
// formed. A malformed response is a stream error of type PROTOCOL_ERROR (§8.1.1).
import { HansomError } from "../errors.ts";
import { isToken } from "../http1/encode.ts";
import { PROTOCOL_ERROR, streamError } from "./errors.ts";

/** §8.2.2: fields that belong to one HTTP/1.1 connection, never sent or accepted on HTTP/2. */
const CONNECTION_SPECIFIC = new Set(["connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"]);
const REQUEST_PSEUDO = [":method", ":scheme", ":authority", ":path"];

function invalid(message: string): HansomError {
  return new HansomError("invalid_header", message, { phase: "input" });
}

/** A request's fields ready to encode: pseudo-fields first, names lower-case, and the method. */
export interface PreparedRequest {
  fields: Array<[string, string]>;
  method: string;
  /** §6.5.2 size: octets of names and values plus 32 per field (chars counted as octets). */
  listSize: number;
}

/**
 * Checks and normalises a request's fields (§8.3.1): the pseudo-fields :method, :scheme,
 * :authority, :path, each at most once and placed first; other names lower-cased and RFC 9110
 * tokens; no connection-specific field, and "te" only as "trailers" (§8.2.2); values without
 * CR, LF or NUL and trimmed of surrounding whitespace (§8.2.1). Throws HansomError `invalid_header`.
 */
export function prepareRequest(input: ReadonlyArray<readonly [string, string]>): PreparedRequest {
  const pseudo = new Map<string, string>();
  const regular: Array<[string, string]> = [];
  let listSize = 0;
  for (const [rawName, rawValue] of input) {
    const value = trimValue(rawName, rawValue);
    listSize += rawName.length + value.length + 32;
    if (rawName.startsWith(":")) {
      if (!REQUEST_PSEUDO.includes(rawName)) throw invalid(`Invalid HTTP/2 pseudo-header ${JSON.stringify(rawName)}`);
      if (pseudo.has(rawName)) throw invalid(`Duplicate HTTP/2 pseudo-header ${rawName}`);
      pseudo.set(rawName, value);
      continue;
    }
    const name = rawName.toLowerCase();
    if (!isToken(name)) throw invalid(`Invalid header name ${JSON.stringify(rawName)}: not an RFC 9110 token`);
    if (CONNECTION_SPECIFIC.has(name))
      throw invalid(`Header ${JSON.stringify(rawName)} is connection-specific and not allowed on HTTP/2`);
    if (name === "te" && value.toLowerCase() !== "trailers")
      throw invalid(`Header "te" may only be "trailers" on HTTP/2`);
    regular.push([name, value]);
  }
  const method = pseudo.get(":method");
  if (method === undefined || !isToken(method)) throw invalid("HTTP/2 request without a valid :method");
  // §8.5: CONNECT carries :authority only; every other request :scheme and a non-empty :path.
  if (method === "CONNECT") {
    if (pseudo.has(":scheme") || pseudo.has(":path") || !pseudo.get(":authority")) {
      throw invalid("HTTP/2 CONNECT takes :authority and neither :scheme nor :path");
    }
  } else if (!pseudo.get(":scheme") || !pseudo.get(":path")) {
    throw invalid("HTTP/2 request without :scheme and :path");
  }
  const fields: Array<[string, string]> = [];
  for (const name of REQUEST_PSEUDO) {
    const v = pseudo.get(name);
    if (v !== undefined) fields.push([name, v]);
  }
  for (const f of regular) fields.push(f);
  return { fields, method, listSize };
}

function trimValue(name: string, value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13) {
      throw invalid(`Invalid value for header ${JSON.stringify(name)}: CR, LF and NUL are not allowed`);
    }
  }
  const first = value.charCodeAt(0),
    last = value.charCodeAt(value.length - 1);
  return first === 32 || first === 9 || last === 32 || last === 9 ? value.replace(/^[ \t]+|[ \t]+$/g, "") : value;
}

/** A response head's :status and regular fields. */
export interface ResponseFields {
  status: number;
  fields: Array<[string, string]>;
  /** The content-length value, or -1 when absent. */
  contentLength: number;
}

/** §8.2.1: a name is lower-case tchars; a value has no NUL, CR, LF nor surrounding whitespace. */
function fieldProblem(name: string, value: string): string | null {
  if (!isToken(name) || name !== name.toLowerCase()) return `invalid field name ${JSON.stringify(name.slice(0, 40))}`;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13) return `CR, LF or NUL in the value of ${name}`;
  }
  const first = value.charCodeAt(0),
    last = value.charCodeAt(value.length - 1);
  if (first === 32 || first === 9 || last === 32 || last === 9) return `whitespace around the value of ${name}`;
  if (CONNECTION_SPECIFIC.has(name)) return `connection-specific field ${name}`;
  return null;
}

/**
 * Checks a response head (§8.3.2): exactly one :status of three digits, before every regular
 * field; no other pseudo-field; well-formed, lower-case names. Throws a stream PROTOCOL_ERROR.
 */
export function checkResponse(streamId: number, decoded: Array<[string, string]>): ResponseFields {
  let status = -1;
  let contentLength = -1;
  const fields: Array<[string, string]> = [];
  const malformed = (why: string) => streamError(streamId, PROTOCOL_ERROR, `malformed response head: ${why}`);
  for (const [name, value] of decoded) {
    if (name.charCodeAt(0) === 58) {
      if (name !== ":status") throw malformed(`pseudo-header ${JSON.stringify(name.slice(0, 40))}`);
      if (status >= 0) throw malformed("more than one :status");
      if (fields.length > 0) throw malformed(":status after a regular field");
      if (!/^[1-9][0-9][0-9]$/.test(value))
        throw malformed(`:status ${JSON.stringify(value.slice(0, 40))} is not three digits`);
      status = Number(value);
      continue;
    }
    const problem = fieldProblem(name, value);
    if (problem !== null) throw malformed(problem);
    if (name === "content-length") {
      // §8.1.1 with RFC 9110 §8.6: digits only; repeated values must agree.
      if (!/^[0-9]{1,15}$/.test(value)) throw malformed("invalid content-length");
      const n = Number(value);
      if (contentLength >= 0 && n !== contentLength) throw malformed("conflicting content-length values");
      contentLength = n;
    }
    fields.push([name, value]);
  }
  if (status < 0) throw malformed("no :status");
  return { status, fields, contentLength };
}

/** Checks a trailer section (§8.1): regular, well-formed fields only. Throws a stream PROTOCOL_ERROR. */
export function checkTrailers(streamId: number, decoded: Array<[string, string]>): Array<[string, string]> {
  for (const [name, value] of decoded) {
    const problem =
      name.charCodeAt(0) === 58 ? `pseudo-header ${JSON.stringify(name.slice(0, 40))}` : fieldProblem(name, value);
    if (problem !== null) throw streamError(streamId, PROTOCOL_ERROR, `malformed trailers: ${problem}`);
  }
  return decoded;
}
