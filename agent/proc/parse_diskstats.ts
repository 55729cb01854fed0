/**
 * Parser for `/proc/diskstats`: sectors read and written per block device.
 *
 * @example
 * ```ts
 * parseDiskstats(" 254 0 vda 1 2 300 4 5 6 700 8 0 9 10\n")[0].sectorsRead; // 300
 * ```
 */
import { numberedLines, onLine, parseCounter, ProcParseError } from "./parse_error.ts";

/** One device's cumulative sector counters (always 512-byte units, whatever the device). */
export interface DiskCounters {
  device: string;
  sectorsRead: number;
  sectorsWritten: number;
}

/** Field positions: major minor name reads merged sectors_read ms writes merged sectors_written … */
const NAME = 2;
const SECTORS_READ = 5;
const SECTORS_WRITTEN = 9;

/**
 * One line as the kernel prints it, the ten fields up to sectors written separated by spaces,
 * then anything after whitespace (the strict path reads nothing further either). Captures the
 * name, sectors read and sectors written.
 */
const LINE = / *\S+ +\S+ +(\S+) +\S+ +\S+ +(\d+) +\S+ +\S+ +\S+ +(\d+)(?:\n|[^\S\n][^\n]*\n)/y;

/** Parses the text of `/proc/diskstats`. */
export function parseDiskstats(text: string): DiskCounters[] {
  return parseDiskstatsFast(text) ?? parseDiskstatsByLine(text);
}

/**
 * The fast path (see parse_error.ts: the agent runs jitless): one `exec` per line; null when
 * any line is not exactly as the kernel prints it.
 */
export function parseDiskstatsFast(text: string): DiskCounters[] | null {
  const out: DiskCounters[] = [];
  const re = LINE;
  re.lastIndex = 0;
  let end = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.push({ device: m[1], sectorsRead: Number(m[2]), sectorsWritten: Number(m[3]) });
    end = re.lastIndex;
  }
  return end === text.length ? out : null;
}

/** The strict line-by-line parser: any layout the fast path refuses, and the errors. */
export function parseDiskstatsByLine(text: string): DiskCounters[] {
  const out: DiskCounters[] = [];
  for (const [lineNo, line] of numberedLines(text)) {
    out.push(onLine(lineNo, line, () => {
      const fields = line.split(/\s+/);
      if (fields.length <= SECTORS_WRITTEN) {
        throw new ProcParseError(
          `expected at least ${SECTORS_WRITTEN + 1} fields, got ${fields.length}`,
        );
      }
      return {
        device: fields[NAME],
        sectorsRead: parseCounter(fields[SECTORS_READ], "sectors read"),
        sectorsWritten: parseCounter(fields[SECTORS_WRITTEN], "sectors written"),
      };
    }));
  }
  return out;
}
