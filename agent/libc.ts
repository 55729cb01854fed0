/** Loads the C library through FFI, wherever common 64-bit Linux distributions keep it. */

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

/** Opens the first libc found with `symbols`; throws naming the last failure when none opens. */
export function openLibc<S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): { lib: Deno.DynamicLibrary<S>; path: string } {
  if (Deno.build.os !== "linux" || !["x86_64", "aarch64"].includes(Deno.build.arch)) {
    throw new Error(`libc: only 64-bit Linux is supported, not ${Deno.build.target}`);
  }
  const failures: string[] = [];
  for (const path of LIBC_CANDIDATES) {
    try {
      return { lib: Deno.dlopen(path, symbols), path };
    } catch (e) {
      failures.push(`${path}: ${(e as Error).message}`);
    }
  }
  throw new Error(`libc: could not load libc (${failures.at(-1)})`);
}
