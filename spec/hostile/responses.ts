// fast-check generators of valid HTTP/1.x responses (RFC 9112) and what a parser must make of
// them: 1xx interim responses, a final status, 0-60 fields, a body framed by Content-Length,
// chunked (extensions, trailers) or the close, bare-LF line ends here and there, OWS around
// values. `wire()` gives the bytes; the model gives the expected status, fields, body, trailers.
import fc from "fast-check";
import { bytes } from "./harness.ts";

export type Framing = "length" | "chunked" | "close" | "none";

export interface Interim {
  status: number;
  reason: string;
  headers: Array<[string, string]>;
}

/** One generated response and the way it is written on the wire. */
export interface ResponseModel {
  minor: 0 | 1;
  interims: Interim[];
  status: number;
  reason: string;
  /** With an empty reason: "HTTP/1.1 200" (false) or "HTTP/1.1 200 " (true). */
  reasonSpace: boolean;
  /** Fields other than the framing and Connection ones. */
  headers: Array<[string, string]>;
  framing: Framing;
  /** Content-Length as written ("5", "005", "5, 5"). */
  lengthValue: string;
  /** Transfer-Encoding as written ("chunked", "Chunked", "gzip, chunked"). */
  teValue: string;
  connection: "" | "close" | "keep-alive";
  /** Where the framing header goes among `headers`. */
  framingAt: number;
  body: Uint8Array;
  /** Chunk sizes (sum = body length) and each chunk-size line's text before CRLF. */
  chunks: Array<{ size: number; line: string }>;
  trailers: Array<[string, string]>;
  /** Per line, whether it ends in a bare LF (cycled). */
  lf: boolean[];
  /** Per field, the OWS written before and after the value (cycled). */
  ows: Array<[string, string]>;
}

const TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const FRAMING_NAMES = new Set(["content-length", "transfer-encoding", "connection"]);

const token = (min: number, max: number): fc.Arbitrary<string> =>
  fc.array(fc.constantFrom(...TCHARS), { minLength: min, maxLength: max }).map((a) => a.join(""));

/** field-vchar (VCHAR and obs-text) with SP/HTAB inside, none at either end (RFC 9110 §5.5). */
const vchar = fc
  .oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0x21, max: 0x7e }) },
    { weight: 1, arbitrary: fc.integer({ min: 0x80, max: 0xff }) },
  )
  .map((c) => String.fromCharCode(c));
const fieldValue = fc
  .array(fc.oneof({ weight: 6, arbitrary: vchar }, { weight: 1, arbitrary: fc.constantFrom(" ", "\t") }), {
    maxLength: 40,
  })
  .map((a) => a.join("").replace(/^[ \t]+|[ \t]+$/g, ""));
const field = fc.tuple(token(1, 20), fieldValue).filter(([n]) => !FRAMING_NAMES.has(n.toLowerCase()));
const fields = (max: number): fc.Arbitrary<Array<[string, string]>> => fc.array(field, { maxLength: max });

/** reason-phrase = *( HTAB / SP / VCHAR / obs-text ) (RFC 9112 §4). */
const reason = fc
  .array(fc.oneof({ weight: 6, arbitrary: vchar }, { weight: 1, arbitrary: fc.constantFrom(" ", "\t") }), {
    maxLength: 30,
  })
  .map((a) => a.join(""));

const interim = fc.record({
  status: fc.integer({ min: 100, max: 199 }).filter((s) => s !== 101),
  reason,
  headers: fields(4),
});

/** A chunk-ext: `;name`, `;name=token` or `;name="quoted"` (RFC 9112 §7.1.1), no BWS. */
const chunkExt = fc
  .array(
    fc.tuple(
      token(1, 8),
      fc.oneof(
        fc.constant(""),
        token(1, 8).map((v) => `=${v}`),
        fc
          .array(fc.constantFrom("a", " ", ";", "=", '\\"', "x", "\t"), { maxLength: 8 })
          .map((a) => `="${a.join("")}"`),
      ),
    ),
    { maxLength: 3 },
  )
  .map((exts) => exts.map(([n, v]) => `;${n}${v}`).join(""));

const sizeLine = (size: number): fc.Arbitrary<string> =>
  fc.tuple(fc.integer({ min: 0, max: 3 }), fc.boolean(), chunkExt).map(([zeros, upper, ext]) => {
    const hex = size.toString(16);
    return "0".repeat(zeros) + (upper ? hex.toUpperCase() : hex) + ext;
  });

const body = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 600 }) },
  { weight: 2, arbitrary: fc.uint8Array({ minLength: 600, maxLength: 5000 }) },
  {
    weight: 1,
    arbitrary: fc
      .integer({ min: 20_000, max: 90_000 })
      .map((n) => Uint8Array.from({ length: n }, (_, i) => (i * 131 + (i >> 9)) & 0xff)),
  },
);

/** Valid responses, each with the wire details that vary. */
export const responseModel: fc.Arbitrary<ResponseModel> = fc
  .record({
    minor: fc.constantFrom(0 as const, 1 as const),
    interims: fc.array(interim, { maxLength: 3 }),
    status: fc.oneof(fc.integer({ min: 200, max: 599 }), fc.integer({ min: 600, max: 999 })),
    reason,
    reasonSpace: fc.boolean(),
    headers: fc.oneof(
      { weight: 4, arbitrary: fields(12) },
      { weight: 1, arbitrary: fc.array(field, { minLength: 30, maxLength: 60 }) },
    ),
    framing: fc.constantFrom<Framing>("length", "chunked", "close"),
    lengthStyle: fc.constantFrom("plain", "zeros", "list"),
    teValue: fc.constantFrom("chunked", "Chunked", "CHUNKED", "gzip, chunked", "gzip,chunked"),
    connection: fc.constantFrom("" as const, "close" as const, "keep-alive" as const),
    framingAt: fc.nat(),
    body,
    cuts: fc.array(fc.nat(), { maxLength: 6 }),
    trailers: fc.oneof(
      { weight: 3, arbitrary: fc.constant([] as Array<[string, string]>) },
      { weight: 2, arbitrary: fields(5) },
    ),
    lf: fc.array(fc.boolean(), { minLength: 1, maxLength: 7 }),
    ows: fc.array(fc.tuple(fc.constantFrom("", "", " ", "\t", "  \t"), fc.constantFrom("", "", " ", "\t ")), {
      minLength: 1,
      maxLength: 5,
    }),
    lastExt: chunkExt,
  })
  .chain((r) => {
    const noBody = r.status === 204 || r.status === 304;
    const framing: Framing = noBody ? "none" : r.framing;
    const b = noBody ? new Uint8Array(0) : r.body;
    const at = [...new Set(r.cuts.map((c) => c % (b.length + 1)))]
      .filter((c) => c > 0 && c < b.length)
      .sort((x, y) => x - y);
    const sizes: number[] = [];
    let prev = 0;
    for (const c of [...at, b.length]) {
      if (c > prev) sizes.push(c - prev);
      prev = c;
    }
    const len = String(b.length);
    const lengthValue = r.lengthStyle === "zeros" ? `00${len}` : r.lengthStyle === "list" ? `${len}, ${len}` : len;
    return fc.tuple(...sizes.map(sizeLine)).map(
      (lines): ResponseModel => ({
        minor: r.minor,
        interims: r.interims,
        status: r.status,
        reason: r.reason,
        reasonSpace: r.reasonSpace,
        headers: r.headers,
        framing,
        lengthValue,
        teValue: r.teValue,
        connection: r.connection,
        framingAt: r.framingAt % (r.headers.length + 1),
        body: b,
        chunks: [...sizes.map((size, i) => ({ size, line: lines[i]! })), { size: 0, line: `0${r.lastExt}` }],
        trailers: framing === "chunked" ? r.trailers : [],
        lf: r.lf,
        ows: r.ows,
      }),
    );
  });

/** The fields as they appear in the head, framing and Connection fields included, values trimmed. */
export function expectedHeaders(m: ResponseModel): Array<[string, string]> {
  const out = [...m.headers];
  const framing: Array<[string, string]> = [];
  if (m.framing === "length") framing.push(["Content-Length", m.lengthValue]);
  if (m.framing === "chunked") framing.push(["Transfer-Encoding", m.teValue]);
  if (m.connection) framing.push(["Connection", m.connection]);
  out.splice(m.framingAt, 0, ...framing);
  return out;
}

/** Whether the connection may carry another request after this response (RFC 9112 §9.3). */
export function expectedKeepAlive(m: ResponseModel): boolean {
  if (m.framing === "close" || m.connection === "close") return false;
  if (m.minor === 0) return m.connection === "keep-alive" && m.framing !== "chunked";
  return true;
}

/** The status text the parser reports. */
export function expectedReason(m: ResponseModel): string {
  return m.reason;
}

/** The response's bytes on the wire. */
export function wire(m: ResponseModel): Uint8Array {
  let line = 0;
  let f = 0;
  const eol = (): string => (m.lf[line++ % m.lf.length] ? "\n" : "\r\n");
  const fieldLines = (list: Array<[string, string]>): string =>
    list
      .map(([k, v]) => {
        const [a, b] = m.ows[f++ % m.ows.length]!;
        return `${k}:${a}${v}${b}${eol()}`;
      })
      .join("");
  const statusLine = (status: number, r: string, sp: boolean): string =>
    `HTTP/1.${m.minor} ${status}${r !== "" || sp ? " " : ""}${r}${eol()}`;
  let s = "";
  for (const i of m.interims) s += statusLine(i.status, i.reason, true) + fieldLines(i.headers) + eol();
  s += statusLine(m.status, m.reason, m.reasonSpace) + fieldLines(expectedHeaders(m)) + eol();
  const head = bytes(s);
  if (m.framing !== "chunked") return concat([head, m.body]);
  const parts: Uint8Array[] = [head];
  let off = 0;
  for (const c of m.chunks) {
    parts.push(bytes(c.line + eol()));
    if (c.size === 0) break;
    parts.push(m.body.subarray(off, off + c.size), bytes(eol()));
    off += c.size;
  }
  parts.push(bytes(fieldLines(m.trailers) + eol()));
  return concat(parts);
}

/** The chunks joined. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let n = 0;
  for (const c of chunks) {
    out.set(c, n);
    n += c.length;
  }
  return out;
}

/** The seed of this run: HOSTILE_SEED when set (to replay a failure), else a fresh one. */
export function runSeed(): number {
  const env = process.env.HOSTILE_SEED;
  return env !== undefined && env !== "" ? Number(env) : (Date.now() ^ (Math.random() * 0x7fffffff)) | 0;
}

/** Runs fc.assert with `seed`; a failure's message leads with the seed and how to replay it. */
export async function check(
  name: string,
  seed: number,
  prop: Parameters<typeof fc.assert>[0],
  numRuns: number,
): Promise<void> {
  try {
    await fc.assert(prop, { seed, numRuns });
  } catch (e) {
    const msg = `${name}: failed with seed ${seed} (replay: HOSTILE_SEED=${seed})\n${(e as Error).message}`;
    console.error(msg);
    throw new Error(msg, { cause: e });
  }
}
