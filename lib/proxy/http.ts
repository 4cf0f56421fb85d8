// HTTP proxies: the CONNECT tunnel handshake (RFC 9110 §9.3.6) as a pure state machine, and
// the Basic Proxy-Authorization value. Absolute-form requests through an HTTP proxy need no
// handshake: request.ts sends them on a plain connection to the proxy.
import { HansomError } from "../errors.ts";
import { encodeHead } from "../http1/encode.ts";
import { ResponseParser } from "../http1/parse.ts";
import type { Http1Head as ResponseHead } from "../http1/parse.ts";

/** A proxy handshake without I/O: bytes from the proxy in, bytes to send out (see tunnel.ts). */
export interface Handshake {
  /** Names the handshake in timeout and close messages ("CONNECT to example.com:443"). */
  readonly what: string;
  /** The bytes the client sends first. */
  first(): Uint8Array;
  /**
   * Feeds bytes read from the proxy. `send`: bytes to write next. `used`: set once the
   * handshake succeeded, the count of `chunk` bytes it took (the rest belongs to the tunnel).
   * Throws HansomError `proxy_error` when the proxy refuses or misbehaves.
   */
  feed(chunk: Uint8Array): { send?: Uint8Array; used?: number };
}

/** "host:port", IPv6 in brackets: CONNECT's authority-form target (RFC 9112 §3.2.3). */
export function hostPort(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

const encoder = new TextEncoder();

/** `Basic base64(user:password)` over UTF-8 (RFC 7617 §2.1, charset UTF-8). */
export function basicCredentials(user: string, password: string): string {
  const bytes = encoder.encode(`${user}:${password}`);
  let bin = "";
  for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]!);
  return "Basic " + btoa(bin);
}

/** The CONNECT handshake: one request head, then a reply head; any 2xx opens the tunnel. */
export class ConnectHandshake implements Handshake {
  readonly what: string;
  #target: string;
  #authorization: string | undefined;
  #head: ResponseHead | null = null;
  #parser: ResponseParser;

  /** `authorization`: the Proxy-Authorization value, when the proxy has credentials. */
  constructor(host: string, port: number, authorization?: string) {
    this.#target = hostPort(host, port);
    this.#authorization = authorization;
    this.what = `CONNECT to ${this.#target}`;
    this.#parser = new ResponseParser(
      {
        onHead: (head) => {
          this.#head = head;
        },
        onBody() {},
        onComplete() {},
      },
      { maxHeaderSize: 16384, maxHeaders: 200 },
    );
    // noBody: a 2xx CONNECT reply has no body (RFC 9110 §9.3.6); the bytes after it are the tunnel's.
    this.#parser.reset(true);
  }

  first(): Uint8Array {
    const headers: Array<[string, string]> = [["Host", this.#target]];
    if (this.#authorization !== undefined) headers.push(["Proxy-Authorization", this.#authorization]);
    return encodeHead({ method: "CONNECT", target: this.#target, headers });
  }

  feed(chunk: Uint8Array): { used?: number } {
    let used: number;
    try {
      used = this.#parser.execute(chunk);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new HansomError("proxy_error", `Proxy sent an invalid reply to CONNECT to ${this.#target}: ${reason}`, {
        cause: e,
        phase: "proxy",
      });
    }
    const head = this.#head;
    if (head === null) return {}; // the reply head is not complete yet (1xx replies are skipped)
    if (head.status < 200 || head.status > 299) {
      const reason = head.statusText ? ` ${head.statusText}` : "";
      throw new HansomError("proxy_error", `Proxy refused CONNECT to ${this.#target}: ${head.status}${reason}`, {
        phase: "proxy",
      });
    }
    return { used };
  }
}
