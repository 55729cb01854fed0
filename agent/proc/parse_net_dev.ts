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

/** Parses the text of `/proc/net/dev`, skipping its two header lines. */
export function parseNetDev(text: string): NetDevCounters[] {
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
