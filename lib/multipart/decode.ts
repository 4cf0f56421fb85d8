// Incremental multipart decoder (RFC 2046 §5.1), hackney's stream_multipart events:
//   headers -> body* -> end_of_part, per part; mp_mixed ... mp_mixed_eof around a nested
//   multipart/* part (its own parts walked in between, no end_of_part of its own); eof last.
// A synchronous state machine over the buffered bytes (#step) and an async loop that feeds it
// chunks (events); body chunks are views of the source's chunks, never copies, and at most a
// delimiter's length is held back when a chunk ends in what may be the start of one.
import { HansomError, limitError } from "../errors.ts";

/** One event of a received multipart body, hackney's stream_multipart results. */
export type ReceivePartEvent =
  | { type: "headers"; headers: Array<[string, string]> }
  | { type: "body"; chunk: Uint8Array<ArrayBuffer> }
  | { type: "end_of_part" }
  | { type: "mp_mixed"; boundary: string }
  | { type: "mp_mixed_eof" }
  | { type: "eof" };

/** The boundary parameter of a multipart/* Content-Type (quoted or not, any case), else null. */
export function boundaryFromContentType(contentType: string | null): string | null {
  if (!contentType) return null;
  const semi = contentType.indexOf(";");
  if (semi < 0 || !/^\s*multipart\/[!#$%&'*+\-.^_`|~0-9a-z]+\s*$/i.test(contentType.slice(0, semi))) return null;
  // RFC 9110 §5.6.6 parameters: token "=" ( token / quoted-string )
  const param = /;\s*([!#$%&'*+\-.^_`|~0-9A-Za-z]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s"]*))\s*/gy;
  param.lastIndex = semi;
  for (let m = param.exec(contentType); m; m = param.exec(contentType)) {
    if (m[1]!.toLowerCase() !== "boundary") continue;
    const b = m[2] !== undefined ? m[2].replace(/\\(.)/g, "$1") : m[3]!;
    return b.length > 0 && !/[\r\n]/.test(b) ? b : null;
  }
  return null;
}

/** A boundary being searched for: "\r\n--B" and its Boyer-Moore-Horspool shift table. */
interface Level {
  needle: Uint8Array;
  shift: Int32Array;
}

function level(boundary: string): Level {
  if (typeof boundary !== "string" || boundary.length === 0 || /[\r\n]/.test(boundary)) {
    throw new HansomError("bad_response", `Invalid multipart boundary ${JSON.stringify(boundary)}`, { phase: "body" });
  }
  const needle = new TextEncoder().encode(`\r\n--${boundary}`);
  const m = needle.length;
  const shift = new Int32Array(256).fill(m);
  for (let k = 0; k < m - 1; k++) shift[needle[k]!] = m - 1 - k;
  return { needle, shift };
}

/** First index of the needle in buf at or after `from`, or -1 (Horspool: skips up to its length). */
function search(buf: Uint8Array, from: number, lv: Level): number {
  const n = lv.needle;
  const shift = lv.shift;
  const last = n.length - 1;
  const lastByte = n[last]!;
  const len = buf.length;
  for (let i = from + last; i < len; i += shift[buf[i]!]!) {
    if (buf[i] !== lastByte) continue;
    let k = last - 1;
    let p = i - 1;
    while (k >= 0 && buf[p] === n[k]) {
      k--;
      p--;
    }
    if (k < 0) return p + 1;
  }
  return -1;
}

/** Where the tail of buf may begin a needle cut by the chunk's end (else buf.length). The needle's
 *  only CR is its first byte (a boundary holds no CR), so only a CR can start a candidate. */
function holdFrom(buf: Uint8Array, from: number, needle: Uint8Array): number {
  const len = buf.length;
  for (let i = Math.max(from, len - needle.length + 1); i < len; i++) {
    if (buf[i] !== 13) continue;
    let k = 1;
    while (i + k < len && buf[i + k] === needle[k]) k++;
    if (i + k === len) return i;
  }
  return len;
}

const PREAMBLE = 0; // before a level's first delimiter: discarded
const TAIL = 1; // just after "--B": "--" closes the level, else LWSP and CRLF start a part
const HEADERS = 2; // a part's header block
const BODY = 3; // a part's content
const EPILOGUE = 4; // after a nested level's close: discarded up to the enclosing delimiter
const DONE = 5;
const STATE_NAMES = ["preamble", "boundary line", "part headers", "part body", "nested epilogue", "end"];

const MORE = 0; // #step: needs more bytes
const CLOSED = 1; // #step: the outermost close delimiter was read
type Step = ReceivePartEvent | typeof MORE | typeof CLOSED;

const EMPTY = new Uint8Array(0);
// %AsyncIteratorPrototype%: gives events() its [Symbol.asyncIterator] (and asyncDispose where the runtime has it).
const ASYNC_ITERATOR_PROTOTYPE: object = Object.getPrototypeOf(Object.getPrototypeOf(async function* () {}.prototype));
const LWSP_MAX = 256; // transport padding (RFC 2046 §5.1.1) allowed after a delimiter

/** Parses a multipart body from a chunk iterator into ReceivePartEvents. */
export class MultipartDecoder {
  #src: AsyncIterator<Uint8Array>;
  #maxHeader: number;
  #levels: Level[];
  #buf: Uint8Array<ArrayBuffer> = EMPTY;
  #pos = 0;
  #state = PREAMBLE;
  #lineStart = true; // the level's first delimiter may come without its CRLF
  #queued: ReceivePartEvent | null = null;
  #skipping = false;
  #reading = false;
  #finished = false;
  #contentType: string | null = null; // of the part whose headers were just parsed
  #pending: Promise<IteratorResult<ReceivePartEvent>> | null = null;
  #utf8 = new TextDecoder();

  constructor(source: AsyncIterator<Uint8Array>, boundary: string, opts: { maxHeaderSize?: number } = {}) {
    this.#src = source;
    this.#levels = [level(boundary)];
    this.#maxHeader = opts.maxHeaderSize ?? 16 * 1024;
  }

  /** Events in order; nested multipart/mixed parts are walked (mp_mixed / ... / mp_mixed_eof). */
  events(): AsyncGenerator<ReceivePartEvent> {
    // Hand-rolled rather than `async *`: an event already in the buffer costs one resolved
    // promise instead of a generator's several ticks, which is most of the cost of small parts.
    const it = Object.create(ASYNC_ITERATOR_PROTOTYPE) as AsyncGenerator<ReceivePartEvent>;
    it.next = () => this.#next();
    it.return = async (value?: unknown) => {
      await this.#release();
      return { done: true, value };
    };
    it.throw = async (e?: unknown) => {
      await this.#release();
      throw e;
    };
    return it;
  }

  #next(): Promise<IteratorResult<ReceivePartEvent>> {
    if (this.#pending)
      return this.#pending.then(
        () => this.#next(),
        () => this.#next(),
      ); // overlapping calls run in turn
    if (this.#finished) return Promise.resolve({ done: true, value: undefined });
    let ev: Step;
    try {
      ev = this.#step();
    } catch (e) {
      return this.#release().then(() => Promise.reject(e));
    }
    if (ev === MORE || ev === CLOSED) {
      const p = this.#slowNext(ev);
      this.#pending = p;
      return p;
    }
    return Promise.resolve({ done: false, value: ev });
  }

  async #slowNext(first: Step): Promise<IteratorResult<ReceivePartEvent>> {
    try {
      for (let ev = first; ; ev = this.#step()) {
        if (ev === MORE) await this.#fill();
        else if (ev === CLOSED) {
          // The epilogue is ignored but read, so the connection under the body is reusable.
          this.#reading = true;
          while (!(await this.#src.next()).done);
          this.#reading = false;
          this.#finished = true;
          return { done: false, value: { type: "eof" } };
        } else return { done: false, value: ev };
      }
    } catch (e) {
      await this.#release();
      throw e;
    } finally {
      this.#pending = null;
    }
  }

  /** Ends the events; a source not read to its end is told to release what it holds (its connection). */
  async #release(): Promise<void> {
    if (this.#finished) return;
    this.#finished = true;
    this.#reading = false;
    await Promise.resolve(this.#src.return?.()).catch(() => {});
  }

  /** Discards the rest of the current part's body (hackney skip_multipart); the next event is end_of_part. */
  async skipPart(): Promise<void> {
    if (this.#reading || this.#pending)
      throw new TypeError("hansom: skipPart() called while events() is waiting for bytes");
    if (this.#state !== BODY || this.#queued) return; // no part body open: nothing to skip
    this.#skipping = true;
    try {
      for (;;) {
        const ev = this.#step();
        if (ev === MORE) await this.#fill();
        else {
          this.#queued = ev as ReceivePartEvent; // end_of_part: the generator yields it next
          return;
        }
      }
    } finally {
      this.#skipping = false;
    }
  }

  /** Appends the source's next non-empty chunk after the unparsed tail; truncation is bad_response. */
  async #fill(): Promise<void> {
    this.#reading = true;
    try {
      for (;;) {
        const r = await this.#src.next();
        if (r.done) {
          throw new HansomError(
            "bad_response",
            `Multipart body ended before its closing boundary (in the ${STATE_NAMES[this.#state]})`,
            { phase: "body" },
          );
        }
        const c = r.value;
        if (!(c instanceof Uint8Array)) throw new TypeError("hansom: a multipart source must yield Uint8Array chunks");
        if (c.length === 0) continue;
        const rest = this.#buf.length - this.#pos;
        // Response body chunks are ArrayBuffer memory; body events are views of them.
        if (rest === 0) this.#buf = c as Uint8Array<ArrayBuffer>;
        else {
          // Only a held-back delimiter prefix or a partial header block is ever joined.
          const joined = new Uint8Array(rest + c.length);
          joined.set(this.#buf.subarray(this.#pos));
          joined.set(c, rest);
          this.#buf = joined;
        }
        this.#pos = 0;
        return;
      }
    } finally {
      this.#reading = false;
    }
  }

  #bad(msg: string): HansomError {
    return new HansomError("bad_response", `Malformed multipart body: ${msg}`, { phase: "body" });
  }

  /** Advances over buffered bytes to the next event, or says it needs more (MORE) or is done (CLOSED). */
  #step(): Step {
    if (this.#queued) {
      const q = this.#queued;
      this.#queued = null;
      return q;
    }
    const buf = this.#buf;
    for (;;) {
      const pos = this.#pos;
      const lv = this.#levels[this.#levels.length - 1]!;
      const m = lv.needle.length;
      switch (this.#state) {
        case BODY: {
          const j = search(buf, pos, lv);
          if (j >= 0) {
            this.#pos = j + m;
            this.#state = TAIL;
            if (j === pos || this.#skipping) return { type: "end_of_part" };
            this.#queued = { type: "end_of_part" };
            return { type: "body", chunk: buf.subarray(pos, j) };
          }
          const h = holdFrom(buf, pos, lv.needle);
          this.#pos = h;
          if (h > pos && !this.#skipping) return { type: "body", chunk: buf.subarray(pos, h) };
          return MORE;
        }
        case PREAMBLE:
        case EPILOGUE: {
          if (this.#lineStart) {
            // "--B" at the very start of a level (the body or a nested part's content).
            let k = 2;
            while (k < m && pos + k - 2 < buf.length && buf[pos + k - 2] === lv.needle[k]) k++;
            if (k < m && pos + k - 2 === buf.length) return MORE; // a prefix so far: undecided
            this.#lineStart = false;
            if (k === m) {
              this.#pos = pos + m - 2;
              this.#state = TAIL;
              continue;
            }
          }
          const j = search(buf, pos, lv);
          if (j >= 0) {
            this.#pos = j + m;
            this.#state = TAIL;
            continue;
          }
          this.#pos = holdFrom(buf, pos, lv.needle);
          return MORE;
        }
        case TAIL: {
          if (buf.length - pos < 2) return MORE;
          if (buf[pos] === 45 && buf[pos + 1] === 45) {
            this.#pos = pos + 2;
            if (this.#levels.length === 1) {
              this.#state = DONE;
              return CLOSED;
            }
            this.#levels.pop();
            this.#state = EPILOGUE;
            return { type: "mp_mixed_eof" };
          }
          let i = pos;
          while (i < buf.length && (buf[i] === 32 || buf[i] === 9)) i++;
          if (i - pos > LWSP_MAX) throw this.#bad("too much padding after a boundary");
          if (buf.length - i < 2) return MORE;
          if (buf[i] !== 13 || buf[i + 1] !== 10) throw this.#bad('a boundary is followed by neither "--" nor CRLF');
          this.#pos = i + 2;
          this.#state = HEADERS;
          continue;
        }
        case HEADERS: {
          let end = -1; // index of the CRLF CRLF that ends the block
          const none = buf.length - pos >= 2 && buf[pos] === 13 && buf[pos + 1] === 10; // no headers
          if (none) end = pos - 2;
          else {
            // Horspool over "\r\n\r\n": a byte that is neither CR nor LF moves the window by 4.
            for (let i = pos + 3; i < buf.length; ) {
              const c = buf[i]!;
              if (c === 10) {
                if (buf[i - 1] === 13 && buf[i - 2] === 10 && buf[i - 3] === 13) {
                  end = i - 3;
                  break;
                }
                i += 2;
              } else i += c === 13 ? 1 : 4;
            }
          }
          if (!none && (end < 0 ? buf.length - pos > this.#maxHeader : end - pos > this.#maxHeader)) {
            // As for a response head: an oversized header section is a malformed response.
            throw limitError("bad_response", "multipart part headers", this.#maxHeader, "maxHeaderSize", "body");
          }
          if (!none && end < 0) return MORE;
          this.#contentType = null;
          const headers = none ? [] : this.#parseHeaders(buf.subarray(pos, end));
          this.#pos = end + 4;
          const ct = this.#contentType;
          const inner = ct !== null && /^\s*multipart\//i.test(ct) ? boundaryFromContentType(ct) : null;
          if (inner !== null) {
            this.#levels.push(level(inner));
            this.#state = PREAMBLE;
            this.#lineStart = true;
            return { type: "mp_mixed", boundary: inner };
          }
          this.#state = BODY;
          return { type: "headers", headers };
        }
        default:
          throw new HansomError("bad_response", "Multipart body read after its end", { phase: "body" });
      }
    }
  }

  /** Header lines "Name: value" in wire order and case; obs-fold lines join the previous value. */
  #parseHeaders(block: Uint8Array): Array<[string, string]> {
    const out: Array<[string, string]> = [];
    const text = this.#utf8.decode(block);
    let ct: [string, string] | null = null;
    for (let start = 0; start <= text.length; ) {
      let end = text.indexOf("\r\n", start);
      if (end < 0) end = text.length;
      const first = text.charCodeAt(start);
      if (first === 32 || first === 9) {
        const prev = out[out.length - 1];
        if (!prev) throw this.#bad("the header block starts with a continuation line");
        prev[1] = `${prev[1]} ${text.slice(start, end).trim()}`;
      } else {
        const c = text.indexOf(":", start);
        let ok = c > start && c < end;
        for (let i = start; ok && i < c; i++) {
          const ch = text.charCodeAt(i);
          ok = ch > 32 && ch !== 127; // RFC 9110 field-name: visible characters, no spaces
        }
        if (!ok) throw this.#bad(`part header line ${JSON.stringify(text.slice(start, Math.min(end, start + 64)))}`);
        const pair: [string, string] = [text.slice(start, c), text.slice(c + 1, end).trim()];
        if (c - start === 12 && pair[0].toLowerCase() === "content-type") ct = pair;
        out.push(pair);
      }
      start = end + 2;
    }
    this.#contentType = ct?.[1] ?? null; // read after the loop: a folded value is complete
    return out;
  }
}
