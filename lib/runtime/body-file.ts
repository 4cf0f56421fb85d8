// A file streamed as a request body (FileHandle): the checks every adapter makes before opening
// it, the file_error every failure becomes, and a file's ReadableStream cut into body chunks.
import { HansomError } from "../errors.ts";

/** A body file that cannot be read: code `file_error`, phase input. */
export function fileError(path: string, err: unknown): HansomError {
  return new HansomError("file_error", `Cannot read body file ${path}: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
    phase: "input",
  });
}

/**
 * The size of the regular file at `path`, by the runtime's `stat`; a failure or anything but a regular file is
 * file_error.
 */
export async function regularFileSize(
  path: string,
  stat: () => Promise<{ isFile: boolean; size: number }>,
): Promise<number> {
  try {
    const st = await stat();
    if (!st.isFile) throw new Error("not a regular file");
    return st.size;
  } catch (err) {
    throw fileError(path, err);
  }
}

/**
 * The file's bytes from `open()` (called on the first read) in views of at most `max` bytes.
 * A read error is file_error; a consumer that stops early cancels the stream, closing the file.
 */
export async function* streamChunks(
  path: string,
  open: () => ReadableStream<Uint8Array>,
  max: number,
): AsyncGenerator<Uint8Array> {
  const reader = open().getReader();
  let done = false;
  try {
    while (!done) {
      let r: ReadableStreamReadResult<Uint8Array>;
      try {
        r = await reader.read();
      } catch (err) {
        done = true;
        throw fileError(path, err);
      }
      done = r.done;
      if (r.done) return;
      const c = r.value;
      for (let at = 0; at < c.byteLength; at += max) {
        yield new Uint8Array(c.buffer, c.byteOffset + at, Math.min(max, c.byteLength - at));
      }
    }
  } finally {
    if (!done) await reader.cancel().catch(() => {});
  }
}
