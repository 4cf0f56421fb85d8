// The cookie-date algorithm of RFC 6265 §5.1.1: a lenient reader for the date formats servers
// actually send in Expires. It accepts all three HTTP-date forms of RFC 9110 §5.6.7 too
// (IMF-fixdate, RFC 850, asctime), always as UTC, so Retry-After dates use it as well; unlike
// Date.parse, its result does not depend on the runtime or the local time zone.

const MONTHS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];

/** RFC 6265 §5.1.1 delimiter: %x09 / %x20-2F / %x3B-40 / %x5B-60 / %x7B-7E. */
function isDelimiter(c: number): boolean {
  return (
    c === 0x09 ||
    (c >= 0x20 && c <= 0x2f) ||
    (c >= 0x3b && c <= 0x40) ||
    (c >= 0x5b && c <= 0x60) ||
    (c >= 0x7b && c <= 0x7e)
  );
}

const isDigit = (c: number): boolean => c >= 0x30 && c <= 0x39;

/**
 * `min` to `max` digits of `tok` from `from`, followed by nothing or a non-digit (the
 * grammar's `( non-digit *OCTET )` tail): the number and where it ends, or null.
 */
function digits(tok: string, from: number, min: number, max: number): [value: number, end: number] | null {
  let i = from;
  while (i < tok.length && i - from < max && isDigit(tok.charCodeAt(i))) i++;
  if (i - from < min) return null;
  if (i < tok.length && isDigit(tok.charCodeAt(i))) return null;
  return [Number(tok.slice(from, i)), i];
}

/** hms-time = time-field ":" time-field ":" time-field, each 1*2DIGIT. */
function time(tok: string): [number, number, number] | null {
  const h = digits(tok, 0, 1, 2);
  if (!h || tok[h[1]] !== ":") return null;
  const m = digits(tok, h[1] + 1, 1, 2);
  if (!m || tok[m[1]] !== ":") return null;
  const s = digits(tok, m[1] + 1, 1, 2);
  if (!s) return null;
  return [h[0], m[0], s[0]];
}

/** A cookie-date (RFC 6265 §5.1.1) as ms since the epoch, or null when it does not parse. */
export function parseCookieDate(input: string): number | null {
  let hms: [number, number, number] | null = null;
  let day = -1;
  let month = -1;
  let year = -1;
  let i = 0;
  while (i < input.length) {
    while (i < input.length && isDelimiter(input.charCodeAt(i))) i++;
    const start = i;
    while (i < input.length && !isDelimiter(input.charCodeAt(i))) i++;
    if (i === start) break;
    const tok = input.slice(start, i);
    // Step 2: each token is tried as time, day-of-month, month, year, in that order, and
    // only for a field not found yet.
    if (!hms && (hms = time(tok))) continue;
    if (day < 0) {
      const d = digits(tok, 0, 1, 2);
      if (d) {
        day = d[0];
        continue;
      }
    }
    if (month < 0 && tok.length >= 3) {
      const m = MONTHS.indexOf(tok.slice(0, 3).toLowerCase());
      if (m >= 0) {
        month = m;
        continue;
      }
    }
    if (year < 0) {
      const y = digits(tok, 0, 2, 4);
      if (y) year = y[0];
    }
  }
  // Steps 3-4: two-digit years, then the range checks.
  if (year >= 70 && year <= 99) year += 1900;
  else if (year >= 0 && year <= 69) year += 2000;
  if (!hms || day < 0 || month < 0 || year < 0) return null;
  if (day < 1 || day > 31 || year < 1601 || hms[0] > 23 || hms[1] > 59 || hms[2] > 59) return null;
  // Step 5: a date that does not exist (31 April) fails rather than rolling over.
  const t = Date.UTC(year, month, day, hms[0], hms[1], hms[2]);
  if (new Date(t).getUTCDate() !== day) return null;
  return t;
}
