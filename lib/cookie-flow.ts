// Cookies between a request and its cookieJar: the Cookie value for a hop's URL, and every
// Set-Cookie of a response (redirects too) stored for the URL that sent it. A store of
// tough-cookie's shape may answer either way, sync or async; what it hands back is checked,
// since it goes on the wire.
import { HansomError } from "./errors.ts";
import type { CookieStore } from "./cookie-jar.ts";

/** The Cookie value the jar has for `url` ("" for none); CR, LF or NUL in it is invalid_header. */
export async function jarCookieHeader(jar: CookieStore, url: string): Promise<string> {
  const v = await jar.getCookieString(url);
  if (typeof v !== "string") return "";
  if (/[\r\n\0]/.test(v))
    throw new HansomError("invalid_header", "The cookieJar returned a Cookie value with CR, LF or NUL", {
      phase: "input",
    });
  return v;
}

/** Stores each Set-Cookie field of a response into the jar. */
export async function storeCookies(jar: CookieStore, url: string, rawHeaders: Array<[string, string]>): Promise<void> {
  for (const [k, v] of rawHeaders) {
    if (k.length === 10 && k.toLowerCase() === "set-cookie") {
      // tough-cookie throws for a cookie it refuses (a foreign domain); a refused cookie is not an error here.
      try {
        await jar.setCookie(v, url);
      } catch {
        // ignored, as a browser ignores it
      }
    }
  }
}
