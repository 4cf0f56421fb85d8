// Files as request bodies on Deno ({ file: path }): stat first, then read in 64 KiB chunks,
// never the whole file at once. deno.ts passes in Deno.stat and Deno.open.
import type { FileHandle } from "../socket.ts";
import { fileError, regularFileSize } from "../body-file.ts";
import type { DenoFile } from "./api.ts";

const CHUNK = 64 * 1024;

/** The FileHandle of `path`; rejects with code file_error. */
export async function openDenoFile(
  path: string,
  stat: (path: string) => Promise<{ isFile: boolean; size: number }>,
  open: (path: string) => Promise<DenoFile>,
): Promise<FileHandle> {
  const size = await regularFileSize(path, () => stat(path));
  return {
    size,
    async *chunks() {
      let f: DenoFile;
      try {
        f = await open(path);
      } catch (err) {
        throw fileError(path, err);
      }
      try {
        for (;;) {
          const buf = new Uint8Array(CHUNK);
          let n: number | null;
          try {
            n = await f.read(buf);
          } catch (err) {
            throw fileError(path, err);
          }
          if (n === null) return;
          yield n === CHUNK ? buf : buf.subarray(0, n);
        }
      } finally {
        try {
          f.close();
        } catch {
          // already closed
        }
      }
    },
  };
}
