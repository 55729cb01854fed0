/**
 * gzip through the system's zlib over FFI, on one deflate stream opened once and reset
 * after each body.
 *
 * Why: Deno's `node:zlib` `gzipSync` builds a new zlib engine for every call (about a
 * quarter of a megabyte allocated, zeroed in part, and freed again, plus the JavaScript of
 * a stream object around it); for the agent's live batch of a few KiB that set-up costs
 * about twice what compressing does (V8 profile of a 10 s tick, docs/adr/agent-footprint.md).
 * `deflateReset` keeps the engine's memory, warm, from one body to the next. The output is
 * the same format (RFC 1952, zlib's default level), so the server sees no difference.
 *
 * Layout: zlib's `z_stream` on 64-bit Linux (LP64, x86_64 and aarch64), 112 bytes; this
 * module writes `next_in`/`avail_in`/`next_out`/`avail_out` and reads `avail_out` back.
 * `deflateInit2_` checks the size and the version's major number against the library, so a
 * mismatched zlib refuses at open instead of corrupting memory.
 *
 * @example
 * ```ts
 * const z = LibzGzip.open(); // throws when libz cannot be loaded (the caller falls back)
 * const body = z.gzip(new TextEncoder().encode(json));
 * ```
 */
import { LIBZ_CANDIDATES, openLibrary } from "./libc.ts";

const SYMBOLS = {
  zlibVersion: { parameters: [], result: "pointer" },
  deflateInit2_: {
    parameters: ["buffer", "i32", "i32", "i32", "i32", "i32", "pointer", "i32"],
    result: "i32",
  },
  deflate: { parameters: ["buffer", "i32"], result: "i32" },
  deflateReset: { parameters: ["buffer"], result: "i32" },
  deflateEnd: { parameters: ["buffer"], result: "i32" },
  deflateBound: { parameters: ["buffer", "u64"], result: "u64" },
} as const;

/** sizeof(z_stream) on LP64. */
const Z_STREAM_SIZE = 112;
const OFF_NEXT_IN = 0;
const OFF_AVAIL_IN = 8;
const OFF_NEXT_OUT = 24;
const OFF_AVAIL_OUT = 32;

const Z_OK = 0;
const Z_STREAM_END = 1;
const Z_FINISH = 4;
const Z_DEFLATED = 8;
const Z_DEFAULT_COMPRESSION = -1;
const Z_DEFAULT_STRATEGY = 0;
/** 15 (a 32 KiB window) + 16: write a gzip header and trailer instead of zlib's. */
const GZIP_WINDOW_BITS = 31;
const DEFAULT_MEM_LEVEL = 8;
/** Smallest input/output buffer, so small bodies do not regrow them one by one. */
const MIN_BUFFER = 16 * 1024;

/** What opening libz may be given (tests point it at missing paths). */
export interface LibzGzipOptions {
  candidates?: readonly string[];
  /** zlib's level, -1 (its default, 6) or 0–9. */
  level?: number;
}

/** One deflate stream, reused; not for concurrent use (every call is synchronous). */
export class LibzGzip {
  readonly #lib: Deno.DynamicLibrary<typeof SYMBOLS>;
  /** The z_stream: its own ArrayBuffer, outside V8's heap, so its address never moves. */
  readonly #strm = new Uint8Array(new ArrayBuffer(Z_STREAM_SIZE));
  readonly #view = new DataView(this.#strm.buffer);
  #in = new Uint8Array(0);
  #inAddress = 0n;
  #out = new Uint8Array(0);
  #outAddress = 0n;
  #closed = false;

  private constructor(lib: Deno.DynamicLibrary<typeof SYMBOLS>, level: number) {
    this.#lib = lib;
    const rc = lib.symbols.deflateInit2_(
      this.#strm,
      level,
      Z_DEFLATED,
      GZIP_WINDOW_BITS,
      DEFAULT_MEM_LEVEL,
      Z_DEFAULT_STRATEGY,
      lib.symbols.zlibVersion(),
      Z_STREAM_SIZE,
    );
    if (rc !== Z_OK) {
      lib.close();
      throw new Error(`libz: deflateInit2_ failed with code ${rc}`);
    }
  }

  /** Loads libz and opens a stream; throws when libz is missing or refuses. */
  static open(opts: LibzGzipOptions = {}): LibzGzip {
    const level = opts.level ?? Z_DEFAULT_COMPRESSION;
    if (!Number.isInteger(level) || level < -1 || level > 9) {
      throw new RangeError(`libz: level must be an integer from -1 to 9, not ${level}`);
    }
    const { lib } = openLibrary("libz", opts.candidates ?? LIBZ_CANDIDATES, SYMBOLS);
    return new LibzGzip(lib, level);
  }

  /** `data` as one gzip member. */
  gzip(data: Uint8Array): Uint8Array {
    if (this.#closed) throw new Error("libz: gzip after close");
    const { symbols } = this.#lib;
    if (data.length > this.#in.length) {
      this.#in = new Uint8Array(grown(data.length));
      this.#inAddress = address(this.#in);
    }
    this.#in.set(data);
    const bound = Number(symbols.deflateBound(this.#strm, BigInt(data.length)));
    if (bound > this.#out.length) {
      this.#out = new Uint8Array(grown(bound));
      this.#outAddress = address(this.#out);
    }
    const v = this.#view;
    v.setBigUint64(OFF_NEXT_IN, this.#inAddress, true);
    v.setUint32(OFF_AVAIL_IN, data.length, true);
    v.setBigUint64(OFF_NEXT_OUT, this.#outAddress, true);
    v.setUint32(OFF_AVAIL_OUT, this.#out.length, true);
    const rc = symbols.deflate(this.#strm, Z_FINISH);
    const written = this.#out.length - v.getUint32(OFF_AVAIL_OUT, true);
    // Reset before anything else: the next body starts on a clean stream, even after an error.
    const reset = symbols.deflateReset(this.#strm);
    if (rc !== Z_STREAM_END) throw new Error(`libz: deflate ended with code ${rc}`);
    if (reset !== Z_OK) throw new Error(`libz: deflateReset failed with code ${reset}`);
    return this.#out.slice(0, written);
  }

  /** Frees the stream and unloads the library. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#lib.symbols.deflateEnd(this.#strm);
    this.#lib.close();
  }
}

/** A buffer size for `n` bytes: at least MIN_BUFFER, rounded up to a power of two. */
function grown(n: number): number {
  let size = MIN_BUFFER;
  while (size < n) size *= 2;
  return size;
}

/**
 * The address of a buffer's first byte, for a pointer field of the z_stream. Buffers of
 * MIN_BUFFER bytes and more live outside V8's heap, so the address holds for their life.
 */
function address(buf: Uint8Array): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buf as Uint8Array<ArrayBuffer>)));
}
