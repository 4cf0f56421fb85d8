// Which TLS Deno speaks for a connection: its own (rustls, through Deno.startTls) where that can
// honour the options, else Deno's node:tls over the adapter's TCP socket (node-tls.ts).
import type { UpgradeSpec } from "../socket.ts";

/**
 * Whether Deno's native TLS cannot honour these settings: `insecure` (rustls verifies always;
 * Deno only has the process-wide --unsafely-ignore-certificate-errors), a client certificate on
 * Deno.startTls (ignored there), and a TLS 1.3 floor (rustls offers 1.2 and 1.3, no setting).
 */
export function needsNodeTls(spec: UpgradeSpec): boolean {
  // A custom CA too: Deno's own TLS adds it to the roots instead of replacing them, and
  // refuses a self-signed certificate given as its own CA (CaUsedAsEndEntity).
  return (
    !!spec.insecure ||
    spec.tls.ca !== undefined ||
    spec.tls.cert !== undefined ||
    spec.tls.key !== undefined ||
    spec.tls.minVersion === "TLSv1.3"
  );
}
