/**
 * Lets go of the pages of the executable the agent touched only while starting.
 *
 * Why: a process's RSS counts every page of its executable it has touched since it began
 * and that the kernel has not reclaimed yet. Starting Deno (deserializing its snapshot,
 * loading and transpiling modules, the node compatibility layer prom-client needs) touches
 * about 40 MB of the deno executable; a tick afterwards runs a small part of it (measured:
 * a few page faults per tick after the release). Those pages are clean copies of the file:
 * `madvise(MADV_DONTNEED)` removes them from the agent's page tables, the kernel keeps them
 * in the page cache (shared with every other process of that file, and reclaimable like
 * any cache), and a page needed again comes back through a minor fault, without disk I/O
 * while it is cached.
 *
 * Safety: only mappings of the executable that are not writable and hold no anonymous
 * (copy-on-write) page are released: for those, MADV_DONTNEED loses nothing. A mapping
 * whose pages were written (relocations made read-only afterwards, `.data`, `.bss`) has
 * anonymous pages and is left alone; the executable's text is never written (the agent runs
 * V8 with `--jitless`, and Deno does not patch its own code).
 *
 * @example
 * ```ts
 * const released = releaseExecutablePages(openLibcMadvise()); // { releasedKb: 37972, keptKb: 2704, ranges: 5 }
 * ```
 */
import { openLibc } from "./libc.ts";

/** One mapping of the executable that may be released. */
export interface PageRange {
  start: bigint;
  end: bigint;
  /** Resident kB before the release. */
  rssKb: number;
}

/** What `/proc/self/smaps` says about the executable's mappings. */
export interface ExecutableMappings {
  releasable: PageRange[];
  /** Resident kB of the executable's mappings that must stay (writable or copy-on-written). */
  keptKb: number;
}

const MAPPING_HEAD = /^([0-9a-f]+)-([0-9a-f]+) ([r-][w-][x-][ps]) \S+ \S+ \S+ +(.*)$/;

function field(block: string, name: string): number | null {
  const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, "m").exec(block);
  return m ? Number(m[1]) : null;
}

/**
 * Splits the text of `/proc/self/smaps` into the mappings of `executable` that can be
 * released and the resident size of those that cannot. A mapping whose `Anonymous` line is
 * missing counts as not releasable.
 */
export function executableMappings(smaps: string, executable: string): ExecutableMappings {
  const releasable: PageRange[] = [];
  let keptKb = 0;
  for (const block of smaps.split(/\n(?=[0-9a-f]+-[0-9a-f]+ )/)) {
    const head = MAPPING_HEAD.exec(block.slice(0, block.indexOf("\n") >>> 0));
    if (!head || head[4] !== executable) continue;
    const rssKb = field(block, "Rss") ?? 0;
    const anonymousKb = field(block, "Anonymous");
    if (head[3][1] === "w" || anonymousKb !== 0) {
      keptKb += rssKb;
      continue;
    }
    if (rssKb > 0) {
      releasable.push({ start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), rssKb });
    }
  }
  return { releasable, keptKb };
}

/** `madvise(2)`, as the release needs it. */
export type Madvise = (start: bigint, length: bigint, advice: number) => number;

const MADV_DONTNEED = 4;

/** libc's madvise through FFI; throws when libc cannot be loaded. */
export function openLibcMadvise(): Madvise {
  const { lib } = openLibc({
    madvise: { parameters: ["usize", "usize", "i32"], result: "i32" },
  });
  return (start, length, advice) => lib.symbols.madvise(start, length, advice);
}

/** What a release did. */
export interface ReleaseResult {
  releasedKb: number;
  keptKb: number;
  ranges: number;
  /** Ranges madvise refused (it then changed nothing there). */
  failed: number;
}

/**
 * Releases the clean pages of the running executable (see the module comment). `read`
 * reads a file as text; both it and `madvise` are injected for tests.
 */
export function releaseExecutablePages(
  madvise: Madvise,
  read: (path: string) => string = Deno.readTextFileSync,
  executable: string = Deno.readLinkSync("/proc/self/exe"),
): ReleaseResult {
  const { releasable, keptKb } = executableMappings(read("/proc/self/smaps"), executable);
  let releasedKb = 0;
  let failed = 0;
  for (const r of releasable) {
    if (madvise(r.start, r.end - r.start, MADV_DONTNEED) === 0) releasedKb += r.rssKb;
    else failed++;
  }
  return { releasedKb, keptKb, ranges: releasable.length, failed };
}
