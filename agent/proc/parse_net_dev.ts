/**
 * Parser for `/proc/net/dev`: received and transmitted byte counters per interface.
 *
 * @example
 * ```ts
 * parseNetDev(text).find((i) => i.iface === "eth0")?.rxBytes;
 * ```
 */
import { numberedLines, onLine, parseCounter, ProcParseError } from "./parse_error.ts";

/** One interface's cumulative byte counters. */
export interface NetDevCounters {
  iface: string;
  rxBytes: number;
  txBytes: number;
}

/** Receive fields come first (8 of them), then transmit; bytes lead each group. */
const RX_BYTES = 0;
const TX_BYTES = 8;

/**
 * One line as the kernel prints it: a header line (it has a `|`), or a name, a colon and the
 * counters up to transmit bytes separated by spaces, then anything but `|` after whitespace
 * (the strict path reads nothing further either). Captures the name, receive bytes and
 * transmit bytes; a header line captures nothing.
 */
const LINE =
  /(?: *([^\s:|]+): *(\d+)(?: +[^\s|]+){7} +(\d+)(?:\n|[^\S\n|][^\n|]*\n)|[^\n|]*\|[^\n]*\n)/y;

/** Parses the text of `/proc/net/dev`, skipping its two header lines. */
export function parseNetDev(text: string): NetDevCounters[] {
  return parseNetDevFast(text) ?? parseNetDevByLine(text);
}

/**
 * The fast path (see parse_error.ts: the agent runs jitless): one `exec` per line; null when
 * any line is not exactly as the kernel prints it.
 */
export function parseNetDevFast(text: string): NetDevCounters[] | null {
  const out: NetDevCounters[] = [];
  const re = LINE;
  re.lastIndex = 0;
  let end = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    if (m[1] !== undefined) {
      out.push({ iface: m[1], rxBytes: Number(m[2]), txBytes: Number(m[3]) });
    }
    end = re.lastIndex;
  }
  return end === text.length ? out : null;
}

/** The strict line-by-line parser: any layout the fast path refuses, and the errors. */
export function parseNetDevByLine(text: string): NetDevCounters[] {
  const out: NetDevCounters[] = [];
  for (const [lineNo, line] of numberedLines(text)) {
    if (line.includes("|")) continue; // the two header lines
    out.push(onLine(lineNo, line, () => {
      const colon = line.indexOf(":");
      if (colon <= 0) throw new ProcParseError('expected "iface: counters"');
      const fields = line.slice(colon + 1).trim().split(/\s+/);
      return {
        iface: line.slice(0, colon).trim(),
        rxBytes: parseCounter(fields[RX_BYTES], "receive bytes"),
        txBytes: parseCounter(fields[TX_BYTES], "transmit bytes"),
      };
    }));
  }
  return out;
}
