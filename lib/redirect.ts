// The redirect rules of hackney, in one place: which statuses are followed for which methods,
// what becomes of the method and body, and which credentials never cross origins.

/** What a followed redirect turns the next request into. */
export interface RedirectPlan {
  method: string;
  /** Keep the request body (307/308, forced 301/302), else drop it. */
  keepBody: boolean;
  /** A 303 after a non-GET/HEAD request: hackney's see_other. */
  seeOther: boolean;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/** True for the statuses that carry a Location to follow. */
export function isRedirect(status: number): boolean {
  return REDIRECTS.has(status);
}

/**
 * The plan for following `status` after `method`, or null when it is not followed.
 * `replayable` says whether the body (if any) can be sent again.
 */
export function planRedirect(
  status: number,
  method: string,
  hasBody: boolean,
  replayable: boolean,
  force: boolean,
): RedirectPlan | null {
  const safe = method === "GET" || method === "HEAD";
  if (status === 303) {
    // RFC 9110 §15.4.4: the follow-up is a GET (HEAD stays HEAD).
    return { method: method === "HEAD" ? "HEAD" : "GET", keepBody: false, seeOther: !safe };
  }
  if (status === 301 || status === 302) {
    if (safe) return { method, keepBody: false, seeOther: false };
    if (!force) return null;
    if (hasBody && !replayable) return null;
    return { method, keepBody: true, seeOther: false };
  }
  if (status === 307 || status === 308) {
    // The method and body are kept; a body that cannot be re-sent ends the chain here.
    if (hasBody && !replayable) return null;
    return { method, keepBody: true, seeOther: false };
  }
  return null;
}

/** Headers that never follow a redirect to another origin. */
export const CREDENTIAL_HEADERS = ["authorization", "cookie", "proxy-authorization"];

/** Headers that describe the body, dropped when the body is. */
export const BODY_HEADERS = ["content-length", "content-type", "transfer-encoding", "content-encoding", "expect"];
