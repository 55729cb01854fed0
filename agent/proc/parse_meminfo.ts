/**
 * Parser for `/proc/meminfo`: every `Key: value [kB]` line, as bytes.
 *
 * @example
 * ```ts
 * parseMeminfo("MemTotal: 2 kB\n").get("MemTotal"); // 2048
 * ```
 */
import { numberedLines, onLine, parseCounter, ProcParseError } from "./parse_error.ts";

/** The only unit `/proc/meminfo` uses; despite the name it means KiB. */
const KIB = 1024;

/** Parses the text of `/proc/meminfo` into a map from key to bytes (unit-less counts as is). */
export function parseMeminfo(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const [lineNo, line] of numberedLines(text)) {
    onLine(lineNo, line, () => {
      const m = /^([^:\s]+):\s*(\S+)(?:\s+(\S+))?$/.exec(line);
      if (!m) throw new ProcParseError('expected "Key: value [kB]"');
      const value = parseCounter(m[2], m[1]);
      if (m[3] !== undefined && m[3] !== "kB") {
        throw new ProcParseError(`unknown unit ${JSON.stringify(m[3])}`);
      }
      out.set(m[1], m[3] === "kB" ? value * KIB : value);
    });
  }
  return out;
}
