// The raw clients' response reader: just enough HTTP/1.1 to know where a response ends and
// how many body bytes it carried. It checks the status is 200 and reads the framing
// (Content-Length or chunked, RFC 9112 §6.3); every other field is skipped unparsed. Bytes are
// fed as they arrive, in any split, and never copied, so the caller may reuse its read buffer.

const H_STATUS = 0,
  H_LINE = 1,
  H_NAME = 2,
  H_SKIP = 3,
  H_LEN = 4,
  H_TE = 5,
  H_END = 6;
const B_LENGTH = 7,
  B_SIZE = 8,
  B_EXT = 9,
  B_DATA = 10,
  B_DATA_CR = 11,
  B_DATA_LF = 12,
  B_TRAILER = 13;
const DONE = 14;

const CL = "content-length:";
const TE = "transfer-encoding:";
const CHUNKED = "chunked";

/** Counts one response at a time; `onDone(bodyBytes)` fires when one ends. */
export class RawResponseCounter {
  #st = DONE;
  #pos = 0; // bytes of the status line seen, to find the status code
  #status = 0;
  #name = ""; // the framing field being matched
  #match = 0;
  #length = -1;
  #chunked = false;
  #left = 0;
  #size = 0;
  #body = 0;
  #line = 0;
  #text: string | null = null;
  /** Called as each response ends, with its body byte count. */
  onDone: (bodyBytes: number) => void = () => {};

  /** Expects a new response; `keepText` keeps its body as Latin-1 text (small answers only). */
  start(keepText = false): void {
    this.#text = keepText ? "" : null;
    this.#st = H_STATUS;
    this.#pos = 0;
    this.#status = 0;
    this.#length = -1;
    this.#chunked = false;
    this.#body = 0;
  }

  /** The body of the last response started with `keepText`. */
  get text(): string {
    return this.#text ?? "";
  }

  /** True while a response is expected or being read. */
  get busy(): boolean {
    return this.#st !== DONE;
  }

  /** Feeds b[i, end). Throws on a status other than 200 or bytes after the response. */
  feed(b: Uint8Array, i: number, end: number): void {
    while (i < end) {
      const st = this.#st;
      if (st === B_LENGTH || st === B_DATA) {
        const k = Math.min(this.#left, end - i);
        if (this.#text !== null) this.#text += String.fromCharCode(...b.subarray(i, i + k));
        this.#left -= k;
        this.#body += k;
        i += k;
        if (this.#left === 0) {
          if (st === B_DATA) this.#st = B_DATA_CR;
          else this.#finish();
        }
        continue;
      }
      if (st === H_SKIP) {
        const lf = b.indexOf(10, i);
        if (lf < 0 || lf >= end) return;
        i = lf + 1;
        this.#st = H_LINE;
        continue;
      }
      if (st === DONE) throw new Error(`raw client: ${end - i} bytes after the response`);
      const c = b[i++]!;
      switch (st) {
        case H_STATUS:
          // "HTTP/1.1 200 ": the code is bytes 9-11 of the status line.
          if (this.#pos >= 9 && this.#pos <= 11) this.#status = this.#status * 10 + (c - 48);
          this.#pos++;
          if (c === 10) {
            if (this.#status !== 200) throw new Error(`raw client: status ${this.#status}, expected 200`);
            this.#st = H_LINE;
          }
          break;
        case H_LINE: {
          const l = c | 0x20;
          if (c === 13) this.#st = H_END;
          else if (l === 0x63 || l === 0x74) {
            this.#name = l === 0x63 ? CL : TE;
            this.#match = 1;
            this.#st = H_NAME;
          } else this.#st = H_SKIP;
          break;
        }
        case H_NAME: {
          const name = this.#name;
          const want = name.charCodeAt(this.#match);
          if (c === want || (c | 0x20) === want) {
            if (++this.#match === name.length) {
              this.#st = name === CL ? H_LEN : H_TE;
              if (name === CL) this.#length = 0;
              this.#match = 0;
            }
          } else this.#st = c === 10 ? H_LINE : H_SKIP;
          break;
        }
        case H_LEN:
          if (c >= 48 && c <= 57) this.#length = this.#length * 10 + (c - 48);
          else if (c === 10) this.#st = H_LINE;
          break;
        case H_TE:
          // The value ends with "chunked" (RFC 9112 §6.1); a match of the letters in order will do.
          if ((c | 0x20) === CHUNKED.charCodeAt(this.#match)) {
            if (++this.#match === CHUNKED.length) this.#chunked = true;
          } else if (c === 10) this.#st = H_LINE;
          break;
        case H_END:
          if (c !== 10) throw new Error("raw client: CR without LF ending the head");
          if (this.#chunked) {
            this.#st = B_SIZE;
            this.#size = 0;
          } else if (this.#length > 0) {
            this.#st = B_LENGTH;
            this.#left = this.#length;
          } else if (this.#length === 0) this.#finish();
          else throw new Error("raw client: neither Content-Length nor chunked");
          break;
        case B_SIZE: {
          const h = c | 0x20;
          const d = c >= 48 && c <= 57 ? c - 48 : h >= 97 && h <= 102 ? h - 87 : -1;
          if (d >= 0) this.#size = this.#size * 16 + d;
          else if (c === 10) this.#sizeDone();
          else this.#st = B_EXT;
          break;
        }
        case B_EXT:
          if (c === 10) this.#sizeDone();
          break;
        case B_DATA_CR:
          this.#st = B_DATA_LF;
          break;
        case B_DATA_LF:
          this.#st = B_SIZE;
          this.#size = 0;
          break;
        case B_TRAILER:
          if (c === 10) {
            if (this.#line === 0) this.#finish();
            this.#line = 0;
          } else if (c !== 13) this.#line++;
          break;
      }
    }
  }

  #sizeDone(): void {
    if (this.#size === 0) {
      this.#st = B_TRAILER;
      this.#line = 0;
    } else {
      this.#st = B_DATA;
      this.#left = this.#size;
    }
  }

  #finish(): void {
    this.#st = DONE;
    this.onDone(this.#body);
  }
}
