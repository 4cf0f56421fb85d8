// proxy: "env": the proxy for a target from the environment, as curl reads it.
//
//   http targets   http_proxy, then HTTP_PROXY unless REQUEST_METHOD is set
//   https targets  https_proxy, then HTTPS_PROXY
//   fallback       all_proxy, then ALL_PROXY
//   exclusions     no_proxy, then NO_PROXY
//
// Upper-case HTTP_PROXY: under CGI a request's "Proxy:" header becomes the HTTP_PROXY variable
// ("httpoxy", CVE-2016-5385), which is why curl ignores HTTP_PROXY altogether. hansom takes Go's
// middle road: HTTP_PROXY is honoured, except in a CGI process (REQUEST_METHOD set), where only
// the lower-case name counts. Lower-case names win over upper-case ones; empty means unset.
// No host is exempt implicitly (not even localhost): NO_PROXY says which are.
import { parseIp, samePrefix } from "./ip.ts";

/** One NO_PROXY entry, parsed once. */
type Rule =
  | { kind: "all" }
  | { kind: "cidr"; addr: Uint8Array; bits: number }
  | { kind: "ip"; addr: Uint8Array; port: number }
  | { kind: "domain"; name: string; port: number };

function first(env: (name: string) => string | undefined, names: string[]): string | undefined {
  for (const n of names) {
    const v = env(n)?.trim();
    if (v) return v;
  }
  return undefined;
}

/**
 * The proxy URL the environment gives for `target` ("http://...", "https://..." for TLS to the
 * proxy, "socks5h://...", or scheme-less), or null when none is set or NO_PROXY exempts the
 * target. Values are not validated here.
 */
export function envProxyUrl(
  target: { scheme: "http" | "https"; host: string; port: number },
  env: (name: string) => string | undefined,
): { url: string; from: string } | null {
  const names =
    target.scheme === "https"
      ? ["https_proxy", "HTTPS_PROXY"]
      : env("REQUEST_METHOD")
        ? ["http_proxy"]
        : ["http_proxy", "HTTP_PROXY"];
  names.push("all_proxy", "ALL_PROXY");
  const from = names.find((n) => first(env, [n]) !== undefined);
  if (from === undefined) return null;
  const url = first(env, [from])!;
  const noProxy = first(env, ["no_proxy", "NO_PROXY"]);
  if (noProxy && noProxyMatches(noProxy, target.host, target.port)) return null;
  return { url, from };
}

/** Splits "host:port" / "[v6]:port" / "host" into its parts; port 0 = any port. */
function splitPort(entry: string): { host: string; port: number } {
  if (entry.startsWith("[")) {
    const close = entry.indexOf("]");
    if (close > 0) {
      const rest = entry.slice(close + 1);
      const port = /^:\d{1,5}$/.test(rest) ? Number(rest.slice(1)) : 0;
      return { host: entry.slice(1, close), port };
    }
  }
  const colon = entry.lastIndexOf(":");
  // More than one colon and no brackets: a bare IPv6 literal, which has no port.
  if (colon > 0 && entry.indexOf(":") === colon && /^\d{1,5}$/.test(entry.slice(colon + 1))) {
    return { host: entry.slice(0, colon), port: Number(entry.slice(colon + 1)) };
  }
  return { host: entry, port: 0 };
}

/** Parses a NO_PROXY value: entries separated by commas and/or whitespace. */
function parseNoProxy(value: string): Rule[] {
  const rules: Rule[] = [];
  for (const raw of value.split(/[\s,]+/)) {
    const entry = raw.toLowerCase();
    if (entry === "") continue;
    if (entry === "*") {
      rules.push({ kind: "all" });
      continue;
    }
    const slash = entry.indexOf("/");
    if (slash >= 0) {
      const addr = parseIp(entry.slice(0, slash));
      const bitsText = entry.slice(slash + 1);
      const bits = /^\d{1,3}$/.test(bitsText) ? Number(bitsText) : -1;
      if (addr && bits >= 0 && bits <= addr.length * 8) rules.push({ kind: "cidr", addr, bits });
      continue; // a malformed range matches nothing rather than failing every request
    }
    const { host, port } = splitPort(entry);
    const addr = parseIp(host);
    if (addr) {
      rules.push({ kind: "ip", addr, port });
      continue;
    }
    // ".example.com", "*.example.com" and "example.com" all cover the domain and its subdomains.
    let name = host.replace(/^\*?\.+/, "").replace(/\.+$/, "");
    if (name === "") continue;
    name = name.toLowerCase();
    rules.push({ kind: "domain", name, port });
  }
  return rules;
}

let cache: { value: string; rules: Rule[] } = { value: "", rules: [] };

/** True when NO_PROXY `value` exempts `host` (lower-case, IPv6 without brackets) at `port`. */
export function noProxyMatches(value: string, host: string, port: number): boolean {
  const h = host.toLowerCase().replace(/\.+$/, "");
  const ip = parseIp(h);
  // The same variable is read for every request: parse it once per distinct value.
  if (cache.value !== value) cache = { value, rules: parseNoProxy(value) };
  for (const r of cache.rules) {
    switch (r.kind) {
      case "all":
        return true;
      case "cidr":
        if (ip && samePrefix(ip, r.addr, r.bits)) return true;
        break;
      case "ip":
        if (ip && (r.port === 0 || r.port === port) && samePrefix(ip, r.addr, ip.length * 8)) return true;
        break;
      case "domain":
        if ((r.port === 0 || r.port === port) && (h === r.name || h.endsWith("." + r.name))) return true;
        break;
    }
  }
  return false;
}
