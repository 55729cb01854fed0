/**
 * The real `statfs` for main.ts: libc's `statvfs(3)` called through `Deno.dlopen`.
 *
 * Why FFI: Deno has no statfs API, and running `df` per mount per tick would cost a process
 * spawn each time (milliseconds) and parse text. `nonblocking: true` runs each call on
 * Deno's blocking thread pool, so a mount that hangs (dead NFS) blocks one pool thread,
 * never the event loop; StatfsGuard then stops calling it until that call returns.
 *
 * Layout read (`struct statvfs`, 64-bit Linux, glibc and musl alike): f_bsize, f_frsize,
 * f_blocks, f_bfree, f_bavail, … each an unsigned 64-bit integer, 112 bytes in all.
 * Permission: `--allow-ffi` limited to the libc directories below.
 */
import type { Statfs, StatfsResult } from "./statfs.ts";

/** Where libc lives on common 64-bit distributions (Debian/Ubuntu, Fedora/RHEL, Arch, Alpine). */
export const LIBC_CANDIDATES = [
  "/lib/x86_64-linux-gnu/libc.so.6",
  "/lib/aarch64-linux-gnu/libc.so.6",
  "/usr/lib/x86_64-linux-gnu/libc.so.6",
  "/usr/lib/aarch64-linux-gnu/libc.so.6",
  "/lib64/libc.so.6",
  "/usr/lib64/libc.so.6",
  "/usr/lib/libc.so.6",
  "/lib/ld-musl-x86_64.so.1",
  "/lib/ld-musl-aarch64.so.1",
] as const;

/** Size of `struct statvfs` on 64-bit Linux; the buffer is given some slack. */
const STATVFS_SIZE = 112;
const BUFFER_SIZE = 256;

const SYMBOLS = {
  statvfs: { parameters: ["buffer", "buffer"], result: "i32", nonblocking: true },
} as const;

/** A loaded statfs and the way to unload it. */
export interface LoadedStatfs {
  statfs: Statfs;
  libraryPath: string;
  close(): void;
}

function openLibc(): { lib: Deno.DynamicLibrary<typeof SYMBOLS>; path: string } {
  if (Deno.build.os !== "linux" || !["x86_64", "aarch64"].includes(Deno.build.arch)) {
    throw new Error(`statfs: only 64-bit Linux is supported, not ${Deno.build.target}`);
  }
  const failures: string[] = [];
  for (const path of LIBC_CANDIDATES) {
    try {
      return { lib: Deno.dlopen(path, SYMBOLS), path };
    } catch (e) {
      failures.push(`${path}: ${(e as Error).message}`);
    }
  }
  throw new Error(`statfs: could not load libc (${failures.at(-1)})`);
}

/** Decodes the first five fields of a filled `struct statvfs`. */
export function decodeStatvfs(buffer: Uint8Array): StatfsResult {
  const view = new DataView(buffer.buffer, buffer.byteOffset, STATVFS_SIZE);
  const field = (i: number) => Number(view.getBigUint64(i * 8, true));
  return { frsize: field(1), blocks: field(2), bfree: field(3), bavail: field(4) };
}

/** Loads libc and returns a Statfs backed by `statvfs(3)`; throws when that is impossible. */
export function openStatfs(): LoadedStatfs {
  const { lib, path: libraryPath } = openLibc();
  const encoder = new TextEncoder();
  const statfs: Statfs = async (path) => {
    const buffer = new Uint8Array(BUFFER_SIZE);
    const rc = await lib.symbols.statvfs(encoder.encode(`${path}\0`), buffer);
    if (rc !== 0) throw new Error(`statvfs(${JSON.stringify(path)}) failed`);
    return decodeStatvfs(buffer);
  };
  return { statfs, libraryPath, close: () => lib.close() };
}
