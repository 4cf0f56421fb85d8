// A self-check of RawResponseCounter, run by the driver before any timing: each fixture fed in
// three pieces at every pair of split points must give its exact body count, and a wrong
// status or bytes past the end must throw. The raw client is the bench's yardstick, so a
// reader that miscounted (or skipped work) would skew every ratio.
import { RawResponseCounter } from "./raw-parse.ts";

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

const FIXTURES: Array<{ msg: string; body: number; text?: string }> = [
  { msg: "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello", body: 5 },
  { msg: "HTTP/1.1 200 OK\r\ncontent-length:0\r\n\r\n", body: 0 },
  {
    msg: "HTTP/1.1 200 OK\r\nCache-Control: x\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\n\r\n5;ext=1\r\nhello\r\nA\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n",
    body: 15,
  },
  { msg: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", body: 0 },
  { msg: "HTTP/1.1 200 OK\r\nCONTENT-LENGTH: 8\r\n\r\n67108864", body: 8, text: "67108864" },
];

function expectThrow(msg: string, pattern: RegExp): void {
  const c = new RawResponseCounter();
  c.start();
  const b = bytes(msg);
  try {
    c.feed(b, 0, b.length);
  } catch (e) {
    if (pattern.test(String(e))) return;
    throw e;
  }
  throw new Error(`raw reader check: ${JSON.stringify(msg.slice(0, 30))} did not throw ${pattern}`);
}

/** Throws unless the raw reader counts every fixture right at every split. */
export function checkRawReader(): void {
  for (const f of FIXTURES) {
    const m = bytes(f.msg);
    for (let a = 0; a <= m.length; a++) {
      for (let b = a; b <= m.length; b++) {
        const c = new RawResponseCounter();
        let got = -1;
        c.onDone = (n) => (got = n);
        c.start(f.text !== undefined);
        c.feed(m, 0, a);
        c.feed(m, a, b);
        c.feed(m, b, m.length);
        if (got !== f.body || c.busy || (f.text !== undefined && c.text !== f.text)) {
          throw new Error(
            `raw reader check: split ${a}/${b} of ${JSON.stringify(f.msg.slice(0, 30))}: ${got} body bytes, expected ${f.body}`,
          );
        }
      }
    }
  }
  expectThrow("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", /status 404/);
  expectThrow("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab", /after the response/);
}
