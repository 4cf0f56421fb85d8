// An in-memory cookie store: the storage model of RFC 6265 §5.3 and the retrieval of §5.4,
// with RFC 6265bis's protections for Secure cookies and cookie-name prefixes, size limits, and
// a JSON form to save and restore it. Parsing and matching are lib/cookie-parse.ts.
import { HansomError } from "./errors.ts";
import {
  canonicalDomain,
  canonicalHost,
  defaultPath,
  domainMatch,
  isIpHost,
  parseSetCookie,
  pathMatch,
} from "./cookie-parse.ts";
import { isPublicSuffix } from "./public-suffix.ts";
import { parseSavedCookies } from "./cookie-json.ts";
import type { Stored } from "./cookie-json.ts";

/** What the `cookieJar` option accepts: a CookieJar, or any store of this shape (tough-cookie's). */
export interface CookieStore {
  getCookieString(url: string): string | Promise<string>;
  setCookie(cookie: string, url: string): unknown;
}

/** A cookie as `cookies()` lists it; `expires` (ms since the epoch) is absent for a session cookie. */
export interface CookieInfo {
  name: string;
  value: string;
  domain: string;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite?: string;
  expires?: number;
}

/** Options for a CookieJar. */
export interface CookieJarOptions {
  /** Cookies to start with: a `toJSON()` result. Expired ones are dropped. */
  cookies?: unknown;
  /** The clock, in ms since the epoch; for tests. @default Date.now */
  now?: () => number;
}

/**
 * Cookies kept per domain, and in all; past them the least recently used go (RFC 6265 §6.1 asks for at least 50 and
 * 3000).
 */
const PER_DOMAIN = 50;
const TOTAL = 3000;
/** The latest time a Date can hold. */
const MAX_TIME = 8.64e15;
const JSON_VERSION = 1;

function toUrl(url: string | URL): URL {
  if (url instanceof URL) return url;
  try {
    return new URL(url);
  } catch (e) {
    throw new HansomError("invalid_url", `Invalid URL for a cookie: ${JSON.stringify(String(url))}`, {
      phase: "input",
      cause: e,
    });
  }
}

const isSecure = (u: URL): boolean => u.protocol === "https:" || u.protocol === "wss:";

/** The domains a cookie sent to `host` may have: the host and each parent name (just the host for an IP). */
function candidateDomains(host: string): string[] {
  if (isIpHost(host)) return [host];
  const out = [host];
  for (let i = host.indexOf("."); i >= 0; i = host.indexOf(".", i + 1)) out.push(host.slice(i + 1));
  return out;
}

/** RFC 6265 §5.4 step 2: longer paths first, then earlier creation first. */
function order(a: Stored, b: Stored): number {
  return b.path.length - a.path.length || a.created - b.created || a.seq - b.seq;
}

/**
 * An in-memory cookie store per RFC 6265 (with RFC 6265bis's Secure and prefix rules): `setCookie` stores what
 * a response sets, `getCookieString` gives the Cookie header for a request. Pass it as the `cookieJar` option
 * and every hop of a request sends from it and stores into it.
 * @example
 * import { CookieJar, post, get } from "hansom";
 * const cookieJar = new CookieJar();
 * await (await post("http://127.0.0.1:8080/login", { json: { user: "a" }, cookieJar })).skip();
 * const me = await get("http://127.0.0.1:8080/me", { cookieJar }); // sends the session cookie set at login
 */
export class CookieJar implements CookieStore {
  /** Cookies by their domain field. */
  #byDomain = new Map<string, Stored[]>();
  #count = 0;
  #seq = 0;
  #now: () => number;

  /**
   * Makes a jar, empty or holding `opts.cookies` (a toJSON() result; expired ones are dropped). Cookies that
   * are not a toJSON() result throw `invalid_option`.
   * @example
   * const saved = JSON.stringify(oldJar);
   * const jar = new CookieJar({ cookies: JSON.parse(saved) });
   * console.log(jar.getCookieString("http://127.0.0.1:8080/"));
   */
  constructor(opts: CookieJarOptions = {}) {
    this.#now = opts.now ?? Date.now;
    if (opts.cookies !== undefined) this.#restore(opts.cookies);
  }

  /**
   * Returns the Cookie header value for a request to `url` (RFC 6265 §5.4): the unexpired cookies whose
   * domain, path and Secure flag fit, longest path first, as "a=1; b=2"; "" when none apply. A `url` that
   * does not parse throws `invalid_url`.
   * @example
   * const jar = new CookieJar();
   * jar.setCookie("sid=abc; Path=/", "http://127.0.0.1:8080/login");
   * jar.getCookieString("http://127.0.0.1:8080/app"); // "sid=abc"
   */
  getCookieString(url: string | URL): string {
    const now = this.#now();
    const list = this.#matching(toUrl(url), now);
    for (const c of list) c.lastAccess = now;
    return list.map((c) => `${c.name}=${c.value}`).join("; ");
  }

  /**
   * Stores the cookie of one Set-Cookie header value received from `url`, replacing one of the same name,
   * domain and path; Max-Age=0 or a past Expires removes it. A header the RFC says to ignore (malformed, a
   * Domain that does not fit, Secure from http://) is ignored silently; a `url` that does not parse throws
   * `invalid_url`.
   * @example
   * const jar = new CookieJar();
   * jar.setCookie("theme=dark; Max-Age=3600; HttpOnly", "http://127.0.0.1:8080/");
   * jar.getCookieString("http://127.0.0.1:8080/settings"); // "theme=dark"
   */
  setCookie(setCookieHeader: string, url: string | URL): void {
    const u = toUrl(url);
    const sc = parseSetCookie(String(setCookieHeader));
    if (!sc) return;
    const now = this.#now();
    const host = canonicalHost(u);
    const secureOrigin = isSecure(u);
    // §5.3 step 3: Max-Age wins over Expires; neither makes a session cookie.
    let expires = Infinity;
    if (sc.maxAge !== undefined) expires = sc.maxAge <= 0 ? -Infinity : Math.min(MAX_TIME, now + sc.maxAge * 1000);
    else if (sc.expires !== undefined) expires = sc.expires;
    // §5.3 steps 4-6: the Domain attribute, checked against public suffixes and the request host.
    let domain = sc.domain === undefined ? "" : canonicalDomain(sc.domain);
    if (domain === null) return;
    if (domain !== "" && isPublicSuffix(domain)) {
      if (domain !== host) return;
      domain = "";
    }
    if (domain !== "" && !domainMatch(host, domain)) return;
    const hostOnly = domain === "";
    const path = sc.path ?? defaultPath(u.pathname);
    // RFC 6265bis §5.7: only a secure origin may set a Secure cookie, and the prefixes promise more.
    if (sc.secure && !secureOrigin) return;
    if (sc.name.startsWith("__Secure-") && !sc.secure) return;
    if (sc.name.startsWith("__Host-") && (!sc.secure || !hostOnly || path !== "/")) return;
    const cookie: Stored = {
      name: sc.name,
      value: sc.value,
      domain: hostOnly ? host : domain,
      path,
      expires,
      created: now,
      seq: this.#seq++,
      lastAccess: now,
      hostOnly,
      secure: sc.secure,
      httpOnly: sc.httpOnly,
    };
    if (sc.sameSite) cookie.sameSite = sc.sameSite;
    // RFC 6265bis §5.7: an insecure origin may not shadow a Secure cookie of the same name.
    if (!secureOrigin && this.#shadowsSecure(cookie, u.pathname)) return;
    this.#store(cookie, now);
  }

  /**
   * Lists the unexpired cookies that would be sent to `url`, in the order they would be sent; all of them
   * without `url`. Each is a copy (name, value, domain, path, secure, httpOnly, sameSite, expires in ms).
   * @example
   * const jar = new CookieJar();
   * jar.setCookie("sid=abc; HttpOnly", "http://127.0.0.1:8080/");
   * jar.cookies("http://127.0.0.1:8080/");
   * // [{ name: "sid", value: "abc", domain: "127.0.0.1", path: "/", secure: false, httpOnly: true }]
   */
  cookies(url?: string | URL): CookieInfo[] {
    const now = this.#now();
    const list = url === undefined ? this.#all(now) : this.#matching(toUrl(url), now);
    return list.map((c) => {
      const info: CookieInfo = {
        name: c.name,
        value: c.value,
        domain: c.domain,
        path: c.path,
        secure: c.secure,
        httpOnly: c.httpOnly,
      };
      if (c.sameSite) info.sameSite = c.sameSite;
      if (c.expires !== Infinity) info.expires = c.expires;
      return info;
    });
  }

  /**
   * Returns a plain, JSON-serializable copy of the unexpired cookies (so `JSON.stringify(jar)` works), to
   * restore later with `new CookieJar({ cookies })`.
   * @example
   * const jar = new CookieJar();
   * jar.setCookie("sid=abc; Max-Age=86400", "http://127.0.0.1:8080/");
   * const saved = JSON.stringify(jar);
   * const again = new CookieJar({ cookies: JSON.parse(saved) });
   * again.getCookieString("http://127.0.0.1:8080/"); // "sid=abc"
   */
  toJSON(): unknown {
    return {
      version: JSON_VERSION,
      cookies: this.#all(this.#now()).map((c) => {
        const o: Record<string, unknown> = {
          name: c.name,
          value: c.value,
          domain: c.domain,
          path: c.path,
          hostOnly: c.hostOnly,
          secure: c.secure,
          httpOnly: c.httpOnly,
          created: c.created,
          lastAccess: c.lastAccess,
        };
        if (c.sameSite) o["sameSite"] = c.sameSite;
        if (c.expires !== Infinity) o["expires"] = c.expires;
        return o;
      }),
    };
  }

  /**
   * Removes every cookie from the jar.
   * @example
   * const jar = new CookieJar();
   * jar.setCookie("sid=abc", "http://127.0.0.1:8080/");
   * jar.clear();
   * jar.getCookieString("http://127.0.0.1:8080/"); // ""
   */
  clear(): void {
    this.#byDomain.clear();
    this.#count = 0;
  }

  /** §5.4 steps 1-2: unexpired cookies whose domain, path and Secure flag fit `u`, in sending order. */
  #matching(u: URL, now: number): Stored[] {
    const host = canonicalHost(u);
    const path = u.pathname || "/";
    const secure = isSecure(u);
    const out: Stored[] = [];
    for (const d of candidateDomains(host)) {
      for (const c of this.#live(d, now)) {
        if (c.hostOnly ? c.domain !== host : !domainMatch(host, c.domain)) continue;
        if (!pathMatch(path, c.path) || (c.secure && !secure)) continue;
        out.push(c);
      }
    }
    return out.sort(order);
  }

  /** Every unexpired cookie, in creation order. */
  #all(now: number): Stored[] {
    const out: Stored[] = [];
    for (const d of [...this.#byDomain.keys()]) out.push(...this.#live(d, now));
    return out.sort((a, b) => a.created - b.created || a.seq - b.seq);
  }

  /** The unexpired cookies of one domain; expired ones are dropped on the way. */
  #live(domain: string, now: number): Stored[] {
    const list = this.#byDomain.get(domain);
    if (!list) return [];
    this.#dropExpired(domain, list, now);
    return this.#byDomain.get(domain) ?? [];
  }

  #dropExpired(domain: string, list: Stored[], now: number): void {
    const kept = list.filter((c) => c.expires > now);
    if (kept.length === list.length) return;
    this.#count -= list.length - kept.length;
    if (kept.length) this.#byDomain.set(domain, kept);
    else this.#byDomain.delete(domain);
  }

  /** RFC 6265bis §5.7: a stored Secure cookie of this name, on a related domain, whose path covers the request. */
  #shadowsSecure(c: Stored, requestPath: string): boolean {
    for (const list of this.#byDomain.values()) {
      for (const o of list) {
        if (!o.secure || o.name !== c.name) continue;
        if ((domainMatch(o.domain, c.domain) || domainMatch(c.domain, o.domain)) && pathMatch(requestPath, o.path))
          return true;
      }
    }
    return false;
  }

  /**
   * §5.3 steps 11-12: replaces a cookie of the same name, domain and path (keeping its creation time), then applies the
   * limits.
   */
  #store(c: Stored, now: number): void {
    const list = this.#byDomain.get(c.domain) ?? [];
    const i = list.findIndex((o) => o.name === c.name && o.path === c.path);
    if (i >= 0) {
      c.created = list[i]!.created;
      c.seq = list[i]!.seq;
      list.splice(i, 1);
      this.#count--;
    }
    // An already expired cookie only deletes the one it replaces (§5.3: expired cookies are evicted).
    if (c.expires <= now) {
      if (list.length) this.#byDomain.set(c.domain, list);
      else this.#byDomain.delete(c.domain);
      return;
    }
    list.push(c);
    this.#byDomain.set(c.domain, list);
    this.#count++;
    this.#limit(c.domain, now);
  }

  /** §5.3 "excess cookies": expired ones first, then the least recently used past each limit. */
  #limit(domain: string, now: number): void {
    const list = this.#byDomain.get(domain)!;
    if (list.length > PER_DOMAIN) {
      const current = this.#live(domain, now);
      while (current.length > PER_DOMAIN) {
        current.splice(current.indexOf(leastRecent(current)), 1);
        this.#count--;
      }
    }
    if (this.#count <= TOTAL) return;
    for (const d of [...this.#byDomain.keys()]) this.#live(d, now);
    if (this.#count <= TOTAL) return;
    const everyone = [...this.#byDomain.values()].flat().sort((a, b) => a.lastAccess - b.lastAccess || a.seq - b.seq);
    for (const victim of everyone.slice(0, this.#count - TOTAL)) {
      const l = this.#byDomain.get(victim.domain)!;
      l.splice(l.indexOf(victim), 1);
      if (!l.length) this.#byDomain.delete(victim.domain);
      this.#count--;
    }
  }

  /** Loads a toJSON() result; a malformed one is invalid_option. */
  #restore(data: unknown): void {
    const now = this.#now();
    const entries = parseSavedCookies(data, JSON_VERSION);
    // Stored in creation order, so replacement and eviction see them as they were.
    entries.sort((a, b) => a.created - b.created);
    for (const s of entries) {
      if (s.expires <= now) continue;
      s.seq = this.#seq++;
      this.#store(s, now);
    }
  }
}

/** The least recently used cookie of a list (the oldest created among equals). */
function leastRecent(list: Stored[]): Stored {
  let best = list[0]!;
  for (const c of list)
    if (c.lastAccess < best.lastAccess || (c.lastAccess === best.lastAccess && c.seq < best.seq)) best = c;
  return best;
}
