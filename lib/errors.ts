import type { Response } from "./response.ts";

/** Machine-readable reasons, named after hackney's error atoms. */
export type HansomErrorCode =
  | "connect_timeout"
  | "recv_timeout"
  | "checkout_timeout"
  | "closed"
  | "body_too_large"
  | "max_redirect"
  | "body_used"
  | "invalid_url"
  | "invalid_header"
  | "invalid_option"
  | "bad_response"
  | "proxy_error"
  | "econnrefused"
  | "econnreset"
  | "nxdomain"
  | "aborted"
  | "tls_error"
  | "not_replayable"
  | "multipart_error"
  | "file_error"
  | "stream_reset"
  | "permission_denied"
  | "http_error";

/** Where in a request the failure happened. */
export type HansomErrorPhase = "input" | "checkout" | "connect" | "tls" | "proxy" | "send" | "response" | "body";

/** Extra context an error may carry. */
export interface HansomErrorDetails {
  cause?: unknown;
  partialBody?: Uint8Array<ArrayBuffer>;
  phase?: HansomErrorPhase;
  method?: string;
  url?: string;
  response?: Response;
}

/**
 * The one error class hansom throws and rejects with: switch on `code` (named after hackney's error atoms,
 * e.g. `econnrefused`, `connect_timeout`, `recv_timeout`, `closed`, `body_too_large`, `http_error`); `phase`
 * says where the request was, `method` and `url` which request it was, `cause` the underlying error.
 * @example
 * import { get, HansomError } from "hansom";
 * try {
 *   await (await get("http://127.0.0.1:8080/", { connectTimeout: 1000 })).text();
 * } catch (e) {
 *   if (!(e instanceof HansomError)) throw e;
 *   switch (e.code) {
 *     case "econnrefused": console.error("server down:", e.url); break;
 *     case "connect_timeout": case "recv_timeout": console.error("too slow, phase", e.phase); break;
 *     default: throw e;
 *   }
 * }
 */
export class HansomError extends Error {
  readonly code: HansomErrorCode;
  /** Bytes of the body that arrived before the failure (code `closed`). */
  partialBody?: Uint8Array<ArrayBuffer>;
  phase?: HansomErrorPhase;
  method?: string;
  /** The request URL without credentials. */
  url?: string;
  /** With code http_error (throwHttpErrors): the Response, its body unread. */
  response?: Response;

  constructor(code: HansomErrorCode, message: string, details: HansomErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "HansomError";
    this.code = code;
    if (details.partialBody) this.partialBody = details.partialBody;
    if (details.phase) this.phase = details.phase;
    if (details.method) this.method = details.method;
    if (details.url) this.url = details.url;
    if (details.response) this.response = details.response;
  }
}

/**
 * True when `e` is a HansomError and, if `code` is given, has that code; narrows `e` to HansomError.
 * @example
 * import { get, isHansomError } from "hansom";
 * const res = await get("http://127.0.0.1:8080/", { throwHttpErrors: true }).catch((e: unknown) => {
 *   if (isHansomError(e, "http_error")) return e.response!; // a 4xx or 5xx, its body unread
 *   throw e;
 * });
 * console.log(res.status);
 */
export function isHansomError(e: unknown, code?: HansomErrorCode): e is HansomError {
  return e instanceof HansomError && (code === undefined || e.code === code);
}

/** Adds request context (method and URL) to an error that lacks it, and returns it. */
export function withContext(e: HansomError, method: string, url: string): HansomError {
  if (!e.method) {
    e.method = method;
    e.url = url;
    e.message = `${e.message} (${method} ${url})`;
  }
  return e;
}

/**
 * The one builder of limit errors, so every limit is reported the same way: what went past
 * it, the limit, and the option that sets it ("... larger than 100 bytes (the maxHeaderSize option)").
 */
export function limitError(
  code: "bad_response" | "body_too_large",
  what: string,
  limit: number,
  option: string,
  phase: HansomErrorPhase,
): HansomError {
  const prefix = code === "bad_response" ? "Invalid response: " : "";
  return new HansomError(code, `${prefix}${what} larger than ${limit} bytes (the ${option} option)`, { phase });
}

/** The error for an aborted signal, keeping the signal's reason as cause. */
export function abortError(signal: AbortSignal | undefined): HansomError {
  return new HansomError("aborted", "Request aborted by its signal", { cause: signal?.reason });
}
