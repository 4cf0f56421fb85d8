// URL helpers after hackney_url: parse, build and resolve http(s) URLs. The percent-encoding
// itself is in percent-encoding.ts; its public names are re-exported here.
// The WHATWG URL class is used only to validate IPv6 literals and convert IDN hosts: it
// re-encodes paths, and the path must reach pathEncode (request time) exactly as given.
import { HansomError } from "./errors.ts";
import { isRegName, pathEncode, percentDecode, qs, queryEncode, userinfoEncode } from "./percent-encoding.ts";

// Listed name by name, not `export *`, so the public URL API shows in one place (STYLE.md 6).
export { parseQs, pathEncode, qs, urlDecode, urlEncode } from "./percent-encoding.ts";

/** An http(s) URL split into the parts a request needs (hackney's #hackney_url). */
export interface ParsedUrl {
  /** "http+unix": HTTP over the Unix socket whose path is the (percent-encoded) host. */
  scheme: "http" | "https" | "http+unix";
  /** Lower-cased; IPv6 without brackets; IDN converted to punycode. For http+unix, the decoded socket path. */
  host: string;
  /** @default 80 for http, 443 for https; 0 for http+unix */
  port: number;
  /** As given (not normalised or re-encoded); "/" at least. */
  path: string;
  /** Query without the "?". */
  qs: string;
  /** Fragment without the "#". */
  fragment: string;
  /** Percent-decoded. */
  user: string;
  /** Percent-decoded. */
  password: string;
  /** Normalised absolute URL (path, query and fragment percent-encoded), credentials included. */
  href: string;
}

const DEFAULT_PORT = { http: 80, https: 443, "http+unix": 0 } as const;
/**
 * Builds a URL string from a base, path segments and a query (hackney_url:make_url). Segments are
 * joined with "/" and stripped of outer slashes (no "//"), empty ones dropped; they are not
 * encoded. Query pairs are encoded with `qs`, a string query is used as it is; an empty query adds no "?".
 * Nothing is validated here: request() checks the result.
 * @example
 * import { makeUrl } from "hansom";
 * makeUrl("http://127.0.0.1:8080/", ["v1", "/users/"], [["q", "x y"]]); // "http://127.0.0.1:8080/v1/users?q=x+y"
 * makeUrl("http://127.0.0.1:8080", "items", {}); // "http://127.0.0.1:8080/items"
 */
export function makeUrl(
  base: string,
  path: string | string[],
  query: string | Array<[string, string]> | Record<string, string>,
): string {
  const q = typeof query === "string" ? query : qs(query);
  const parts = (typeof path === "string" ? [path] : path).map(trimSlashes).filter((p) => p !== "");
  let url = base;
  if (parts.length > 0) url = url.replace(/\/+$/, "") + "/" + parts.join("/");
  return q ? url + "?" + q : url;
}

function trimSlashes(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) === 0x2f) a++;
  while (b > a && s.charCodeAt(b - 1) === 0x2f) b--;
  return s.slice(a, b);
}

/** Host header value / authority: "host" at the scheme's default port, else "host:port"; IPv6 in brackets. */
export function authority(u: ParsedUrl, alwaysPort = false): string {
  // hackney's http+unix form: the socket path, percent-encoded, is the host (and the Host header).
  if (u.scheme === "http+unix") return encodeURIComponent(u.host);
  const h = u.host.includes(":") ? `[${u.host}]` : u.host;
  return alwaysPort || u.port !== DEFAULT_PORT[u.scheme] ? `${h}:${u.port}` : h;
}

/** "scheme://authority", to compare origins across redirects. */
export function originOf(u: ParsedUrl): string {
  return `${u.scheme}://${authority(u)}`;
}

/**
 * The origin-form request target: the path encoded with `encode`, then "?" and the query.
 * The query is always made safe for a request line (invalid chars %XX, valid %XX kept).
 * @default encode pathEncode
 */
export function requestTarget(u: ParsedUrl, encode: (p: string) => string = pathEncode): string {
  const p = encode(u.path);
  return u.qs ? `${p}?${queryEncode(u.qs)}` : p;
}

function invalid(message: string): HansomError {
  return new HansomError("invalid_url", message, { phase: "input" });
}

// Messages never quote the input: an unparsed URL may hold a password anywhere.
function checkChars(s: string): void {
  let wide = false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // A plain space is allowed (hackney and WHATWG URL accept it): pathEncode and the query
    // encoder send it as %20. Other whitespace and controls are refused.
    if (c < 0x20 || c === 0x7f) throw invalid("Invalid URL: it contains whitespace or a control character");
    if (c >= 0x80) wide = true;
  }
  if (!wide) return;
  // Unicode whitespace (NBSP, U+2028...) and C1 controls, which the ASCII scan let through
  if (/[^\S ]|[\u0080-\u009f]/.test(s)) throw invalid("Invalid URL: it contains whitespace or a control character");
  if (/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/.test(s)) {
    throw invalid("Invalid URL: it is not well-formed Unicode");
  }
}

function parseHost(raw: string): string {
  if (raw.startsWith("[")) {
    const h = raw.slice(1, -1).toLowerCase();
    let ok = /^[0-9a-f:.]+$/.test(h);
    try {
      new URL(`http://[${h}]/`);
    } catch {
      ok = false;
    }
    if (!ok) throw invalid("Invalid URL: bad IPv6 address");
    return h;
  }
  if (raw === "") throw invalid("Invalid URL: missing host");
  const h = raw.toLowerCase();
  if (isRegName(h)) return h;
  // Non-ASCII: IDNA to punycode (as hackney's normalize does), so DNS, SNI and Host get ASCII.
  let ascii = "";
  if (/[^\x00-\x7f]/.test(raw)) {
    try {
      ascii = new URL(`http://${raw}/`).hostname;
    } catch {
      // falls through to the error
    }
  }
  if (ascii === "" || !isRegName(ascii)) throw invalid("Invalid URL: bad character in host");
  return ascii;
}

/**
 * Parses an absolute http, https or http+unix URL (hackney_url:parse_url) into its parts: host lower-cased
 * (IPv6 without brackets, IDN as punycode), the default port filled in, path and query as given, credentials
 * percent-decoded. A scheme is required; an empty port ("host:") means the default one. Anything else
 * throws `invalid_url`. A result for a string is frozen (and cached).
 * @throws HansomError invalid_url
 * @example
 * import { parseUrl } from "hansom";
 * const u = parseUrl("http://user:p%40ss@127.0.0.1:8080/a%20b?x=1#top");
 * // { scheme: "http", host: "127.0.0.1", port: 8080, path: "/a%20b", qs: "x=1", fragment: "top",
 * //   user: "user", password: "p@ss", href: "http://user:p%40ss@127.0.0.1:8080/a%20b?x=1#top" }
 * parseUrl("http://[::1]/").port; // 80
 * parseUrl("127.0.0.1:8080/x"); // throws HansomError invalid_url: no scheme
 */
export function parseUrl(url: string | URL): ParsedUrl {
  // The same URL string is parsed again and again by a client that polls or calls one API: a
  // small cache of frozen results saves the work (redirect targets and new URLs go through).
  if (typeof url === "string") {
    const hit = cache.get(url);
    if (hit) return hit;
    const u = Object.freeze(parseUncached(url));
    if (cache.size >= CACHE_SIZE) cache.delete(cache.keys().next().value!);
    cache.set(url, u);
    return u;
  }
  return parseUncached(url);
}

const CACHE_SIZE = 256;
const cache = new Map<string, ParsedUrl>();

function parseUncached(url: string | URL): ParsedUrl {
  let s: string;
  // Leading and trailing spaces are dropped, as WHATWG URL does.
  if (typeof url === "string") s = url.replace(/^ +| +$/g, "");
  else if (url instanceof URL) s = url.href;
  else throw invalid(`Invalid URL: expected a string or a URL, got ${url === null ? "null" : typeof url}`);
  checkChars(s);

  const m = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(s);
  const lower = m ? m[1]!.toLowerCase() : "";
  if (lower !== "http" && lower !== "https" && lower !== "http+unix") {
    // "localhost:8080/x" has no scheme, not the scheme "localhost"
    if (!m || /^\d+(?:[/?#]|$)/.test(s.slice(m[0].length))) {
      throw invalid("Invalid URL: no scheme; it must start with http:// or https://");
    }
    throw invalid(`Unsupported URL scheme "${lower}:"; only http, https and http+unix are allowed`);
  }
  const scheme: ParsedUrl["scheme"] = lower;
  let i = m![0].length;
  if (!s.startsWith("//", i)) throw invalid(`Invalid URL: "//" must follow "${scheme}:"`);
  i += 2;

  let end = i;
  while (end < s.length) {
    const c = s.charCodeAt(end);
    if (c === 0x2f || c === 0x3f || c === 0x23) break;
    end++;
  }
  // The last "@" ends the userinfo, so an unencoded "@" in a password still parses.
  const auth = s.slice(i, end);
  const at = auth.lastIndexOf("@");
  const userinfo = at < 0 ? "" : auth.slice(0, at);
  const hostPort = auth.slice(at + 1);

  let hostEnd = hostPort.length;
  if (hostPort.startsWith("[")) {
    hostEnd = hostPort.indexOf("]") + 1;
    if (hostEnd === 0) throw invalid("Invalid URL: unterminated IPv6 address");
    if (hostEnd < hostPort.length && hostPort[hostEnd] !== ":") {
      throw invalid("Invalid URL: bad IPv6 address");
    }
  } else {
    const colon = hostPort.indexOf(":");
    if (colon >= 0) hostEnd = colon;
  }
  if (scheme === "http+unix") return unixUrl(auth, s.slice(end));
  const host = parseHost(hostPort.slice(0, hostEnd));
  const portText = hostPort.slice(hostEnd + 1);
  let port: number = DEFAULT_PORT[scheme];
  if (portText !== "") {
    port = /^\d+$/.test(portText) ? Number(portText) : NaN;
    if (!(port >= 1 && port <= 65535)) {
      throw invalid("Invalid URL: the port must be a number from 1 to 65535");
    }
  }

  const rest = s.slice(end);
  const hash = rest.indexOf("#");
  const fragment = hash < 0 ? "" : rest.slice(hash + 1);
  const pathQs = hash < 0 ? rest : rest.slice(0, hash);
  const q = pathQs.indexOf("?");
  const path = (q < 0 ? pathQs : pathQs.slice(0, q)) || "/";
  const query = q < 0 ? "" : pathQs.slice(q + 1);

  const colon = userinfo.indexOf(":");
  const user = percentDecode(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = colon < 0 ? "" : percentDecode(userinfo.slice(colon + 1));

  const u: ParsedUrl = { scheme, host, port, path, qs: query, fragment, user, password, href: "" };
  u.href =
    `${scheme}://${userinfo ? userinfoEncode(userinfo) + "@" : ""}${authority(u)}` +
    pathEncode(path) +
    (query ? "?" + queryEncode(query) : "") +
    (fragment ? "#" + queryEncode(fragment) : "");
  return u;
}

/** An http+unix URL: the authority is the percent-encoded socket path (no userinfo, no port). */
function unixUrl(auth: string, rest: string): ParsedUrl {
  let host: string;
  try {
    host = decodeURIComponent(auth);
  } catch {
    throw invalid("Invalid URL: the socket path of an http+unix URL is not valid percent-encoding");
  }
  if (host === "")
    throw invalid(
      "Invalid URL: an http+unix URL needs the socket path as its host, e.g. http+unix://%2Fvar%2Frun%2Fapp.sock/",
    );
  if (/[\x00]/.test(host)) throw invalid("Invalid URL: NUL in the socket path");
  const u = parseUrl(`http://unix${rest}`);
  const out: ParsedUrl = { ...u, scheme: "http+unix", host, port: 0, user: "", password: "", href: "" };
  out.href = `http+unix://${authority(out)}${u.href.slice("http://unix".length)}`;
  return out;
}

interface UriParts {
  scheme?: string;
  authority?: string;
  path: string;
  query?: string;
  fragment?: string;
}

// RFC 3986 appendix B, with the scheme limited to §3.1 syntax.
const URI_RE = /^(?:([A-Za-z][A-Za-z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/s;

function split(s: string): UriParts {
  const m = URI_RE.exec(s)!;
  return { scheme: m[1], authority: m[2], path: m[3]!, query: m[4], fragment: m[5] };
}

// RFC 3986 §5.2.4
function removeDotSegments(path: string): string {
  if (!/(?:^|\/)\.\.?(?:\/|$)/.test(path)) return path;
  let input = path;
  let out = "";
  const up = () => {
    out = out.slice(0, Math.max(0, out.lastIndexOf("/")));
  };
  while (input !== "") {
    if (input.startsWith("../")) input = input.slice(3);
    else if (input.startsWith("./")) input = input.slice(2);
    else if (input.startsWith("/./")) input = input.slice(2);
    else if (input === "/.") input = "/";
    else if (input.startsWith("/../")) {
      input = input.slice(3);
      up();
    } else if (input === "/..") {
      input = "/";
      up();
    } else if (input === "." || input === "..") input = "";
    else {
      const next = input.indexOf("/", 1);
      const seg = next < 0 ? input : input.slice(0, next);
      out += seg;
      input = input.slice(seg.length);
    }
  }
  return out;
}

/**
 * Resolves a (possibly relative) Location against a base href (RFC 3986 §5.2, non-strict:
 * "http:g" on an http base is relative) and returns the normalised absolute href.
 * @throws HansomError invalid_url when the result is not a valid http(s) URL
 */
export function resolveUrl(location: string, base: string): string {
  // Servers send raw spaces in Location; encode them rather than fail (as browsers do).
  const ref = location.replace(/^[\x00-\x20]+|[\x00-\x20]+$/g, "").replace(/ /g, "%20");
  checkChars(ref);
  const r = split(ref);
  const b = split(base);
  if (r.scheme !== undefined && b.scheme !== undefined && r.scheme.toLowerCase() === b.scheme.toLowerCase()) {
    r.scheme = undefined;
  }
  const t: UriParts = { path: "", fragment: r.fragment };
  if (r.scheme !== undefined) {
    t.scheme = r.scheme;
    t.authority = r.authority;
    t.path = removeDotSegments(r.path);
    t.query = r.query;
  } else {
    if (r.authority !== undefined) {
      t.authority = r.authority;
      t.path = removeDotSegments(r.path);
      t.query = r.query;
    } else {
      if (r.path === "") {
        t.path = b.path;
        t.query = r.query ?? b.query;
      } else {
        // §5.2.3 merge
        const merged = r.path.startsWith("/")
          ? r.path
          : b.authority !== undefined && b.path === ""
            ? "/" + r.path
            : b.path.slice(0, b.path.lastIndexOf("/") + 1) + r.path;
        t.path = removeDotSegments(merged);
        t.query = r.query;
      }
      t.authority = b.authority;
    }
    t.scheme = b.scheme;
  }
  // §5.3 recomposition
  const s =
    (t.scheme !== undefined ? t.scheme + ":" : "") +
    (t.authority !== undefined ? "//" + t.authority : "") +
    t.path +
    (t.query !== undefined ? "?" + t.query : "") +
    (t.fragment !== undefined ? "#" + t.fragment : "");
  return parseUrl(s).href;
}
