// A CookieJar's saved form (toJSON()) read back: each cookie checked field by field, since it
// may come from a file a user edited; a malformed one is invalid_option naming the field.
import { HansomError } from "./errors.ts";

/** The stored form of a cookie (RFC 6265 §5.3's fields). */
export interface Stored {
  name: string;
  value: string;
  domain: string;
  path: string;
  /** Infinity for a session cookie (no Expires or Max-Age). */
  expires: number;
  created: number;
  /** Breaks ties between cookies created in the same millisecond. */
  seq: number;
  lastAccess: number;
  hostOnly: boolean;
  secure: boolean;
  httpOnly: boolean;
  sameSite?: "Strict" | "Lax" | "None";
}

/** The cookies of a toJSON() result of the given version, in no particular order. */
export function parseSavedCookies(data: unknown, version: number): Stored[] {
  const bad = (why: string): HansomError =>
    new HansomError("invalid_option", `Invalid option cookies: not a CookieJar.toJSON() result (${why})`, {
      phase: "input",
    });
  if (typeof data !== "object" || data === null) throw bad("expected an object");
  const { version: saved, cookies } = data as { version?: unknown; cookies?: unknown };
  if (saved !== version) throw bad(`version ${String(saved)}, expected ${version}`);
  if (!Array.isArray(cookies)) throw bad("cookies is not an array");
  const entries = cookies.map((raw, i) => {
    const c = raw as Record<string, unknown>;
    const str = (k: string): string => {
      const v = c?.[k];
      if (typeof v !== "string" || /[\x00-\x08\x0a-\x1f\x7f]/.test(v))
        throw bad(`cookies[${i}].${k} is not a valid string`);
      return v;
    };
    const bool = (k: string): boolean => {
      if (typeof c?.[k] !== "boolean") throw bad(`cookies[${i}].${k} is not a boolean`);
      return c[k] as boolean;
    };
    const num = (k: string, fallback?: number): number => {
      const v = c?.[k] ?? fallback;
      if (typeof v !== "number" || !Number.isFinite(v)) throw bad(`cookies[${i}].${k} is not a number`);
      return v;
    };
    const s: Stored = {
      name: str("name"),
      value: str("value"),
      domain: str("domain"),
      path: str("path"),
      expires: c?.["expires"] === undefined ? Infinity : num("expires"),
      created: num("created"),
      seq: 0,
      lastAccess: num("lastAccess", num("created")),
      hostOnly: bool("hostOnly"),
      secure: bool("secure"),
      httpOnly: bool("httpOnly"),
    };
    const ss = c?.["sameSite"];
    if (ss === "Strict" || ss === "Lax" || ss === "None") s.sameSite = ss;
    else if (ss !== undefined) throw bad(`cookies[${i}].sameSite is not Strict, Lax or None`);
    if (s.name === "" || s.path[0] !== "/") throw bad(`cookies[${i}] has an empty name or a relative path`);
    return s;
  });
  return entries;
}
