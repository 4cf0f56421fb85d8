// Deno's decoders: its DecompressionStream for gzip, its node:zlib for the rest. Two flaws of
// Deno's DecompressionStream, both seen in specs, decide this. Its "brotli" format decodes each
// written chunk in one go, whatever the reader wants: 1.7 KB of brotli became one 1 GiB chunk,
// so maxBody could not stop it. Its "deflate" and "deflate-raw" formats end without an error
// when the data is cut short. Its gzip stream decodes a whole chunk at once too, but deflate
// inflates at most 1032:1 and lib/decompress.ts feeds 8 KiB slices, so that stays bounded.
import { missingNativeDecoders, zlibFactories } from "../node/decompress.ts";
import type { ZlibDecoderFactory } from "../node/decompress.ts";

/** The zlib decoders Deno uses: br and deflate always, the others where DecompressionStream lacks them. */
export function zlibDecoders(): Record<string, ZlibDecoderFactory> {
  const all = zlibFactories();
  const out = missingNativeDecoders();
  for (const format of ["br", "deflate", "deflate-raw"]) out[format] = all[format]!;
  return out;
}
