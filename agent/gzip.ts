/**
 * gzip for request bodies: which engine compresses, and the split between bodies
 * compressed at once and large ones streamed.
 *
 * @example
 * ```ts
 * const { gzipSync, engine } = openGzipSync(logger); // libz over FFI, else node:zlib
 * const body = await gzip(json, gzipSync);
 * ```
 */
import { gzipSync as nodeGzip } from "node:zlib";
import type { Logger } from "../shared/log.ts";
import { errorMessage } from "./errors.ts";
import { LibzGzip, type LibzGzipOptions } from "./libz_gzip.ts";

/** Compresses a whole body at once. */
export type GzipSync = (data: Uint8Array) => Uint8Array;

/** Deno's node:zlib: a new engine per call. */
export const nodeGzipSync: GzipSync = (data) => new Uint8Array(nodeGzip(data));

/** Bodies up to this size are compressed in one synchronous call. */
export const GZIP_SYNC_MAX_BYTES = 256 * 1024;

/**
 * gzip. A live batch (a few KiB) is compressed at once by `sync`: measured at about 0.15
 * ms of CPU through node:zlib against 0.7 ms through a CompressionStream, whose stream
 * machinery costs more than the compression. Larger bodies (merged backlog requests, up to
 * 4 MiB) go through a CompressionStream, which does not hold the event loop while it works.
 */
export async function gzip(data: Uint8Array, sync: GzipSync = nodeGzipSync): Promise<Uint8Array> {
  if (data.length <= GZIP_SYNC_MAX_BYTES) return sync(data);
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/**
 * The agent's synchronous gzip: the system's libz over FFI with one reused stream
 * (libz_gzip.ts), or node:zlib when libz cannot be loaded (no libz.so.1, no FFI
 * permission), which is logged once at info.
 */
export function openGzipSync(
  logger?: Logger,
  opts?: LibzGzipOptions,
): { gzipSync: GzipSync; engine: "libz" | "node:zlib" } {
  try {
    const z = LibzGzip.open(opts);
    return { gzipSync: (data) => z.gzip(data), engine: "libz" };
  } catch (e) {
    logger?.info("gzip: libz not available, using node:zlib", { error: errorMessage(e) });
    return { gzipSync: nodeGzipSync, engine: "node:zlib" };
  }
}
