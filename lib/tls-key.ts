// Pool keys must keep connections made with different TLS settings apart, without hashing
// certificate bytes on every request: each TLS options object gets an id the first time.
import type { TlsOptions } from "./runtime/socket.ts";

const ids = new WeakMap<object, number>();
let next = 1;

function idOf(o: object): number {
  let id = ids.get(o);
  if (id === undefined) ids.set(o, (id = next++));
  return id;
}

function part(v: TlsOptions["ca"] | TlsOptions["cert"]): string {
  if (v === undefined) return "";
  if (typeof v === "string") return v.length < 64 ? v : `s${v.length}:${v.slice(30, 90)}`;
  return `#${idOf(v as object)}`;
}

/** A short string that differs whenever the TLS settings differ. */
export function tlsKey(tls: TlsOptions | undefined, insecure: boolean | undefined): string {
  if (!tls) return insecure ? "insecure" : "tls";
  return [
    insecure ? "insecure" : "verify",
    tls.servername ?? "",
    tls.minVersion ?? "",
    tls.alpn?.join(",") ?? "",
    part(tls.ca),
    part(tls.cert),
    part(tls.key),
  ].join("|");
}
