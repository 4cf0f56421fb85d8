// The SOCKS5 client handshake (RFC 1928) with username/password authentication (RFC 1929), as
// a pure state machine. Host names go to the proxy as ATYP 3 so the proxy resolves them
// (curl's socks5h); IPv4 and IPv6 literals go as ATYP 1 and 4.
import { HansomError } from "../errors.ts";
import type { Handshake } from "./http.ts";
import { hostPort } from "./http.ts";
import { parseIPv4, parseIPv6 } from "./ip.ts";

const VERSION = 5;
const NO_AUTH = 0x00;
const USER_PASS = 0x02;
const NO_ACCEPTABLE = 0xff;
const CMD_CONNECT = 1;

/** RFC 1928 §6 reply field meanings. */
const REPLIES = [
  "succeeded",
  "general SOCKS server failure",
  "connection not allowed by ruleset",
  "network unreachable",
  "host unreachable",
  "connection refused",
  "TTL expired",
  "command not supported",
  "address type not supported",
];

/** The RFC 1928 meaning of a SOCKS5 reply code, with the code: "connection refused (5)". */
export function socks5ReplyText(rep: number): string {
  return `${REPLIES[rep] ?? "unassigned reply code"} (${rep})`;
}

const encoder = new TextEncoder();

function fail(message: string): HansomError {
  return new HansomError("proxy_error", message, { phase: "proxy" });
}

/** Username and password as RFC 1929 fields; throws invalid_option past 255 bytes. */
export function socks5Credentials(username: string, password: string): { user: Uint8Array; pass: Uint8Array } {
  const user = encoder.encode(username);
  const pass = encoder.encode(password);
  // RFC 1929 §2: ULEN is 1 to 255; PLEN is one byte too (0 accepted: some servers allow it).
  if (user.length < 1 || user.length > 255 || pass.length > 255) {
    throw new HansomError("invalid_option", "SOCKS5 username must be 1 to 255 bytes and password at most 255 bytes", {
      phase: "input",
    });
  }
  return { user, pass };
}

/** The CONNECT request's address: ATYP, address bytes, port (RFC 1928 §4, §5). */
function addressBytes(host: string, port: number): Uint8Array {
  const v4 = parseIPv4(host);
  const v6 = v4 ? null : parseIPv6(host);
  let head: number[];
  let addr: Uint8Array;
  if (v4) {
    head = [1];
    addr = v4;
  } else if (v6) {
    head = [4];
    addr = v6;
  } else {
    addr = encoder.encode(host);
    if (addr.length === 0 || addr.length > 255) throw fail(`SOCKS5 cannot carry a host name of ${addr.length} bytes`);
    head = [3, addr.length];
  }
  const out = new Uint8Array(head.length + addr.length + 2);
  out.set(head, 0);
  out.set(addr, head.length);
  out[out.length - 2] = port >> 8;
  out[out.length - 1] = port & 255;
  return out;
}

const S_METHOD = 0;
const S_AUTH = 1;
const S_REPLY = 2;

/** The client side of a SOCKS5 CONNECT: method selection, optional RFC 1929 auth, request, reply. */
export class Socks5Handshake implements Handshake {
  readonly what: string;
  #host: string;
  #port: number;
  #creds: { user: Uint8Array; pass: Uint8Array } | null;
  #st = S_METHOD;
  // The few bytes of a reply split across reads; replies are at most 262 bytes.
  #buf = new Uint8Array(0);

  /** Credentials are offered (method 2) only when `username` is given. */
  constructor(host: string, port: number, username?: string, password?: string) {
    this.#host = host;
    this.#port = port;
    this.#creds = username === undefined ? null : socks5Credentials(username, password ?? "");
    this.what = `SOCKS5 CONNECT to ${hostPort(host, port)}`;
  }

  first(): Uint8Array {
    // With credentials, both methods are offered: the proxy may not need them (as curl does).
    return this.#creds ? new Uint8Array([VERSION, 2, NO_AUTH, USER_PASS]) : new Uint8Array([VERSION, 1, NO_AUTH]);
  }

  feed(chunk: Uint8Array): { send?: Uint8Array; used?: number } {
    let b = chunk;
    let base = 0; // how many bytes of `b` came from earlier reads, not from `chunk`
    if (this.#buf.length > 0) {
      b = new Uint8Array(this.#buf.length + chunk.length);
      b.set(this.#buf);
      b.set(chunk, this.#buf.length);
      base = this.#buf.length;
    }
    const r = this.#step(b);
    if (r.need) {
      this.#buf = b.slice(); // copy: the socket may hand over a view of memory it owns
      return r.send ? { send: r.send } : {};
    }
    this.#buf = new Uint8Array(0);
    if (r.done !== undefined) return { used: r.done - base };
    return { send: r.send };
  }

  /** One protocol step on the buffered reply: `need` more bytes, bytes to `send`, or `done` at an offset. */
  #step(b: Uint8Array): { need?: true; send?: Uint8Array; done?: number } {
    if (this.#st === S_METHOD) {
      if (b.length >= 1 && b[0] !== VERSION) throw fail(`Proxy is not a SOCKS5 server (version byte ${b[0]})`);
      if (b.length < 2) return { need: true };
      if (b.length > 2) throw fail("SOCKS5 proxy sent bytes after its method selection");
      const method = b[1]!;
      if (method === NO_AUTH) return this.#request();
      if (method === USER_PASS && this.#creds) {
        this.#st = S_AUTH;
        const { user, pass } = this.#creds;
        const msg = new Uint8Array(3 + user.length + pass.length);
        msg[0] = 1; // RFC 1929 §2: subnegotiation version 1
        msg[1] = user.length;
        msg.set(user, 2);
        msg[2 + user.length] = pass.length;
        msg.set(pass, 3 + user.length);
        return { send: msg };
      }
      if (method === NO_ACCEPTABLE) {
        const offered = this.#creds ? "no authentication, username/password" : "no authentication";
        throw fail(`SOCKS5 authentication failed: the proxy accepts none of the offered methods (${offered})`);
      }
      throw fail(`SOCKS5 proxy chose authentication method ${method}, which was not offered`);
    }
    if (this.#st === S_AUTH) {
      if (b.length < 2) return { need: true };
      if (b.length > 2) throw fail("SOCKS5 proxy sent bytes after its authentication reply");
      // RFC 1929 §2: STATUS 0 is success; anything else must close the connection.
      if (b[1] !== 0) throw fail(`SOCKS5 authentication failed (status ${b[1]})`);
      return this.#request();
    }
    // RFC 1928 §6: VER REP RSV ATYP BND.ADDR BND.PORT. A refusal is final as soon as REP is seen.
    if (b.length >= 1 && b[0] !== VERSION) throw fail(`SOCKS5 proxy sent a reply with version byte ${b[0]}`);
    if (b.length >= 2 && b[1] !== 0) {
      throw fail(`SOCKS5 proxy could not connect to ${hostPort(this.#host, this.#port)}: ${socks5ReplyText(b[1]!)}`);
    }
    if (b.length < 5) return { need: true };
    const atyp = b[3];
    let len: number;
    if (atyp === 1) len = 10;
    else if (atyp === 4) len = 22;
    else if (atyp === 3) len = 7 + b[4]!;
    else throw fail(`SOCKS5 proxy sent a reply with unknown address type ${atyp}`);
    if (b.length < len) return { need: true };
    return { done: len };
  }

  #request(): { send: Uint8Array } {
    this.#st = S_REPLY;
    const addr = addressBytes(this.#host, this.#port);
    const msg = new Uint8Array(3 + addr.length);
    msg[0] = VERSION;
    msg[1] = CMD_CONNECT;
    msg[2] = 0; // RSV
    msg.set(addr, 3);
    return { send: msg };
  }
}
