/**
 * The real `statfs` for main.ts: libc's `statvfs(3)` called through `Deno.dlopen`.
 *
 * Why FFI: Deno has no statfs API, and running `df` per mount per tick would cost a process
 * spawn each time (milliseconds) and parse text. Two entry points to the one function:
 * - `statfs` (`nonblocking: true`) runs each call on Deno's blocking thread pool, so a mount
 *   that hangs (dead NFS) blocks one pool thread, never the event loop; StatfsGuard then stops
 *   calling it until that call returns.
 * - `statfsSync` calls it on the calling thread: for local file systems only, whose statfs the
 *   kernel answers from memory (see `answersFromMemory`). A hand-off to the pool costs a thread
 *   wake-up, and at a 10 s interval a new thread (idle ones exit after 10 s), per mount.
 *
 * Layout read (`struct statvfs`, 64-bit Linux, glibc and musl alike): f_bsize, f_frsize,
 * f_blocks, f_bfree, f_bavail, … each an unsigned 64-bit integer, 112 bytes in all.
 * Permission: `--allow-ffi` limited to the libc directories of `../libc.ts`.
 */
import { openLibc } from "../libc.ts";
import type { Statfs, StatfsResult, StatfsSync } from "./statfs.ts";

/** Size of `struct statvfs` on 64-bit Linux; the buffer is given some slack. */
const STATVFS_SIZE = 112;
const BUFFER_SIZE = 256;

const SYMBOLS = {
  statvfs: { parameters: ["buffer", "buffer"], result: "i32", nonblocking: true },
  statvfsSync: { name: "statvfs", parameters: ["buffer", "buffer"], result: "i32" },
} as const;

/** A loaded statfs and the way to unload it. */
export interface LoadedStatfs {
  statfs: Statfs;
  /** The same call on the calling thread: only for file systems that cannot hang. */
  statfsSync: StatfsSync;
  libraryPath: string;
  close(): void;
}

/** Decodes the first five fields of a filled `struct statvfs`. */
export function decodeStatvfs(buffer: Uint8Array): StatfsResult {
  const view = new DataView(buffer.buffer, buffer.byteOffset, STATVFS_SIZE);
  const field = (i: number) => Number(view.getBigUint64(i * 8, true));
  return { frsize: field(1), blocks: field(2), bfree: field(3), bavail: field(4) };
}

/** Loads libc and returns a Statfs backed by `statvfs(3)`; throws when that is impossible. */
export function openStatfs(): LoadedStatfs {
  let opened;
  try {
    opened = openLibc(SYMBOLS);
  } catch (e) {
    throw new Error(`statfs: ${(e as Error).message}`);
  }
  const { lib, path: libraryPath } = opened;
  const encoder = new TextEncoder();
  const failed = (path: string) => new Error(`statvfs(${JSON.stringify(path)}) failed`);
  const statfs: Statfs = async (path) => {
    const buffer = new Uint8Array(BUFFER_SIZE);
    const rc = await lib.symbols.statvfs(encoder.encode(`${path}\0`), buffer);
    if (rc !== 0) throw failed(path);
    return decodeStatvfs(buffer);
  };
  const statfsSync: StatfsSync = (path) => {
    const buffer = new Uint8Array(BUFFER_SIZE);
    if (lib.symbols.statvfsSync(encoder.encode(`${path}\0`), buffer) !== 0) throw failed(path);
    return decodeStatvfs(buffer);
  };
  return { statfs, statfsSync, libraryPath, close: () => lib.close() };
}
