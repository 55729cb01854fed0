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

/** Parses the text of `/proc/diskstats`. */
export function parseDiskstats(text: string): DiskCounters[] {
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
