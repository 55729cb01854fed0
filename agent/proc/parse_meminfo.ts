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

/** One line as the kernel prints it: key, colon, spaces, digits, optionally ` kB`. */
const LINE = /([^:\s]+): *(\d+)( kB)?\n/y;

/** The whole text as the kernel prints it: nothing but lines `LINE` matches. */
const WHOLE = /(?:[^:\s]+: *\d+(?: kB)?\n)*/y;

/** Parses the text of `/proc/meminfo` into a map from key to bytes (unit-less counts as is). */
export function parseMeminfo(text: string): Map<string, number> {
  return parseMeminfoFast(text) ?? parseMeminfoByLine(text);
}

/**
 * The fast path (see parse_error.ts: the agent runs jitless): one `exec` per line; null when
 * any line is not exactly as the kernel prints it.
 */
export function parseMeminfoFast(text: string): Map<string, number> | null {
  const out = new Map<string, number>();
  const re = LINE;
  re.lastIndex = 0;
  let end = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    out.set(m[1], m[3] === undefined ? Number(m[2]) : Number(m[2]) * KIB);
    end = re.lastIndex;
  }
  return end === text.length ? out : null;
}

/**
 * What `parseMeminfo(text)` maps `keys` to (the keys it has), throwing what it throws, for
 * callers that need only a few of the fifty-odd keys: a plain text is validated in one regex
 * test and only the lines of `keys` (the last one of each, as in the map) are read, without
 * a map entry per line (see parse_error.ts: the agent runs jitless). Keys are plain names
 * such as `MemTotal`.
 */
export function parseMeminfoKeys(text: string, keys: readonly string[]): Map<string, number> {
  const out = new Map<string, number>();
  WHOLE.lastIndex = 0;
  if (!WHOLE.test(text) || WHOLE.lastIndex !== text.length) {
    const all = parseMeminfoByLine(text);
    for (const key of keys) {
      const value = all.get(key);
      if (value !== undefined) out.set(key, value);
    }
    return out;
  }
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i];
    const at = text.lastIndexOf(`\n${key}:`) + 1;
    if (at === 0 && !text.startsWith(`${key}:`)) continue;
    LINE.lastIndex = at;
    const m = LINE.exec(text)!;
    out.set(key, m[3] === undefined ? Number(m[2]) : Number(m[2]) * KIB);
  }
  return out;
}

/** The strict line-by-line parser: any layout the fast path refuses, and the errors. */
export function parseMeminfoByLine(text: string): Map<string, number> {
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
