// IP literal parsing for proxies: SOCKS5 sends literals as raw address bytes (RFC 1928 §5),
// and NO_PROXY matches CIDR ranges against IP-literal targets. Web APIs only, no DNS.

/** The 4 bytes of a dotted-quad IPv4 literal ("10.0.0.1"), or null if `s` is not one. */
export function parseIPv4(s: string): Uint8Array | null {
  const parts = s.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    // Decimal only, no leading zeros: "010" is octal to some parsers, so it is not a literal here.
    if (!/^(?:0|[1-9]\d{0,2})$/.test(p)) return null;
    const n = Number(p);
    if (n > 255) return null;
    out[i] = n;
  }
  return out;
}

/** The 16 bytes of an IPv6 literal without brackets ("::1", "::ffff:10.0.0.1"), or null. */
export function parseIPv6(s: string): Uint8Array | null {
  if (s.indexOf(":") < 0) return null;
  const pct = s.indexOf("%"); // a zone id ("fe80::1%eth0") names an interface, not address bits
  if (pct >= 0) s = s.slice(0, pct);
  const words: number[] = [];
  let gap = -1;
  const halves = s.split("::");
  if (halves.length > 2) return null;
  for (let h = 0; h < halves.length; h++) {
    if (h === 1) gap = words.length;
    const half = halves[h]!;
    if (half === "") continue;
    const groups = half.split(":");
    for (let g = 0; g < groups.length; g++) {
      const grp = groups[g]!;
      if (grp.includes(".")) {
        // RFC 4291 §2.2 form 3: an embedded IPv4 address, only as the last 32 bits
        const v4 = h === halves.length - 1 && g === groups.length - 1 ? parseIPv4(grp) : null;
        if (!v4) return null;
        words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(grp)) return null;
        words.push(parseInt(grp, 16));
      }
    }
  }
  if (gap < 0 ? words.length !== 8 : words.length > 7) return null;
  const out = new Uint8Array(16);
  const tail = words.length - (gap < 0 ? words.length : gap);
  const head = words.length - tail;
  for (let i = 0; i < head; i++) {
    out[2 * i] = words[i]! >> 8;
    out[2 * i + 1] = words[i]! & 255;
  }
  for (let i = 0; i < tail; i++) {
    const w = words[head + i]!;
    const at = 16 - 2 * (tail - i);
    out[at] = w >> 8;
    out[at + 1] = w & 255;
  }
  return out;
}

/** The bytes of an IPv4 or IPv6 literal (brackets allowed around IPv6), or null for a name. */
export function parseIp(s: string): Uint8Array | null {
  if (s.startsWith("[") && s.endsWith("]")) return parseIPv6(s.slice(1, -1));
  return parseIPv4(s) ?? parseIPv6(s);
}

/** True when the first `bits` bits of `a` and `b` (same family) are equal. */
export function samePrefix(a: Uint8Array, b: Uint8Array, bits: number): boolean {
  if (a.length !== b.length || bits < 0 || bits > a.length * 8) return false;
  let i = 0;
  for (; bits >= 8; bits -= 8, i++) if (a[i] !== b[i]) return false;
  if (bits === 0) return true;
  const mask = (0xff << (8 - bits)) & 0xff;
  return (a[i]! & mask) === (b[i]! & mask);
}
