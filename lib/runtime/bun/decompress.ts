// Bun's decoders from its node:zlib, for the formats its DecompressionStream lacks. Bun 1.4's
// DecompressionStream has gzip, deflate, brotli and zstd, and each waits for its reader, so the
// list is empty there; older Bun versions get br and zstd from node:zlib.
import { missingNativeDecoders } from "../node/decompress.ts";
import type { ZlibDecoderFactory } from "../node/decompress.ts";

/** The zlib decoders Bun needs: those for the formats its DecompressionStream lacks. */
export function zlibDecoders(): Record<string, ZlibDecoderFactory> {
  return missingNativeDecoders();
}
