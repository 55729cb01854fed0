/** Loads C libraries through FFI, wherever common 64-bit Linux distributions keep them. */

/** The library directories of common 64-bit distributions (Debian/Ubuntu, Fedora/RHEL, Arch, Alpine). */
const LIB_DIRS = [
  "/lib/x86_64-linux-gnu",
  "/lib/aarch64-linux-gnu",
  "/usr/lib/x86_64-linux-gnu",
  "/usr/lib/aarch64-linux-gnu",
  "/lib64",
  "/usr/lib64",
  "/usr/lib",
  "/lib",
] as const;

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

/** Where zlib's shared library lives on the same distributions. */
export const LIBZ_CANDIDATES: readonly string[] = LIB_DIRS.map((d) => `${d}/libz.so.1`);

/**
 * Opens the first of `candidates` that loads with `symbols`; throws naming `name` and the
 * last failure when none does.
 */
export function openLibrary<S extends Deno.ForeignLibraryInterface>(
  name: string,
  candidates: readonly string[],
  symbols: S,
): { lib: Deno.DynamicLibrary<S>; path: string } {
  if (Deno.build.os !== "linux" || !["x86_64", "aarch64"].includes(Deno.build.arch)) {
    throw new Error(`${name}: only 64-bit Linux is supported, not ${Deno.build.target}`);
  }
  const failures: string[] = [];
  for (const path of candidates) {
    try {
      return { lib: Deno.dlopen(path, symbols), path };
    } catch (e) {
      failures.push(`${path}: ${(e as Error).message}`);
    }
  }
  throw new Error(`${name}: could not load ${name} (${failures.at(-1)})`);
}

/** Opens the first libc found with `symbols`; throws naming the last failure when none opens. */
export function openLibc<S extends Deno.ForeignLibraryInterface>(
  symbols: S,
): { lib: Deno.DynamicLibrary<S>; path: string } {
  return openLibrary("libc", LIBC_CANDIDATES, symbols);
}
