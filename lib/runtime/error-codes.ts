// How each runtime's socket errors become HansomErrors. The tables sit together so the three
// adapters read the same failure the same way: node:net, node:tls and Bun give errno-style
// `code`s, the Deno namespace gives error `name`s. Pure mapping: nothing here touches a runtime API.
import { HansomError } from "../errors.ts";
import type { HansomErrorCode, HansomErrorPhase } from "../errors.ts";

/** OpenSSL and node:tls error codes (Node, Bun's BoringSSL, Deno's node:tls). */
const TLS_CODE = /^(ERR_TLS|ERR_SSL|CERT_|DEPTH_ZERO|SELF_SIGNED|UNABLE_TO_|HOSTNAME_MISMATCH|ERR_OSSL)/;

/** errno-style codes and what they mean for a connection. */
const ERRNO = new Map<string, HansomErrorCode>([
  ["ECONNREFUSED", "econnrefused"],
  // A Unix socket path that does not exist: nobody listens there, as with a refused port.
  ["ENOENT", "econnrefused"],
  ["ENOTFOUND", "nxdomain"],
  ["EAI_AGAIN", "nxdomain"],
  ["EAI_NONAME", "nxdomain"],
  ["ECONNRESET", "econnreset"],
  ["EPIPE", "econnreset"],
]);

/** Messages that mark a failed DNS lookup in the Deno namespace's errors. */
const DNS_FAILURE = /failed to lookup address|name or service not known|no address associated|nodename nor servname/i;
/** Error names in the Deno namespace for a connection the peer reset or dropped. */
const RESET_NAMES = new Set(["ConnectionReset", "BrokenPipe", "ConnectionAborted"]);

interface ErrorFields {
  name: string;
  code: string;
  message: string;
}

function fields(err: unknown): ErrorFields {
  const e = err as { name?: string; code?: string; message?: string } | null;
  return { name: e?.name ?? "", code: e?.code ?? "", message: e?.message ?? "" };
}

/** errno-style: refused and unresolved first, then TLS (`tls`), then reset; anything else is closed. */
function byErrno(code: string, tls: boolean): HansomErrorCode {
  const mapped = ERRNO.get(code);
  if (mapped === "econnrefused" || mapped === "nxdomain") return mapped;
  if (tls) return "tls_error";
  return mapped ?? "closed";
}

/** node:net / node:tls: on a `secure` socket the message also tells a TLS failure. */
function nodeCode(err: unknown, secure: boolean): HansomErrorCode {
  const { code, message } = fields(err);
  return byErrno(code, TLS_CODE.test(code) || (secure && /ssl|tls|certificate/i.test(message)));
}

/** Bun sockets (errno-style codes): any failure during the `handshake` is a TLS failure. */
function bunCode(err: unknown, handshake: boolean): HansomErrorCode {
  const { code } = fields(err);
  return byErrno(code, handshake || TLS_CODE.test(code));
}

/** The Deno namespace's errors (by name) and its node:tls (by code); `handshake` marks the TLS phase. */
function denoCode(err: unknown, handshake: boolean): HansomErrorCode {
  const { name, code, message } = fields(err);
  // Deno 2 says NotCapable (earlier: PermissionDenied); its message names the --allow-net flag.
  if (name === "NotCapable" || name === "PermissionDenied") return "permission_denied";
  if (
    name === "ConnectionRefused" ||
    code === "ECONNREFUSED" ||
    (!handshake && (name === "NotFound" || code === "ENOENT"))
  )
    return "econnrefused";
  if (DNS_FAILURE.test(message) || code === "ENOTFOUND" || code === "EAI_AGAIN") return "nxdomain";
  if (RESET_NAMES.has(name) || code === "ECONNRESET" || code === "EPIPE") return handshake ? "tls_error" : "econnreset";
  if (handshake || TLS_CODE.test(code) || (name === "InvalidData" && /certificate|tls|alert/i.test(message)))
    return "tls_error";
  return "closed";
}

function wrap(err: unknown, code: HansomErrorCode, what: string, phase: HansomErrorPhase | undefined): HansomError {
  return new HansomError(code, `${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err, phase });
}

/** While connecting, a failure that is not TLS belongs to the connect phase. */
function connectingPhase(code: HansomErrorCode, handshake: boolean): HansomErrorPhase | undefined {
  return code === "tls_error" ? "tls" : handshake ? "connect" : undefined;
}

/** A node:net or node:tls socket's error as a HansomError; `what` is the action that failed. */
export function nodeSocketError(err: Error, secure: boolean, what: string): HansomError {
  const code = nodeCode(err, secure);
  return wrap(err, code, what, code === "tls_error" ? "tls" : undefined);
}

/** A Deno socket's error (native or node:tls) as a HansomError; a HansomError passes through. */
export function denoSocketError(err: unknown, handshake: boolean, what: string): HansomError {
  if (err instanceof HansomError) return err;
  const code = denoCode(err, handshake);
  return wrap(err, code, what, connectingPhase(code, handshake));
}

/** A Bun socket's error as a HansomError; a HansomError passes through. */
export function bunSocketError(err: unknown, handshake: boolean, what: string): HansomError {
  if (err instanceof HansomError) return err;
  const code = bunCode(err, handshake);
  return wrap(err, code, what, connectingPhase(code, handshake));
}
