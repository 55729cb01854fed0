/**
 * Parser for `/proc/loadavg`: the 1, 5 and 15 minute load averages.
 *
 * @example
 * ```ts
 * parseLoadavg("0.07 0.14 0.06 1/146 6522\n"); // { load1: 0.07, load5: 0.14, load15: 0.06 }
 * ```
 */
import { ProcParseError } from "./parse_error.ts";

/** The three load averages. */
export interface LoadAverages {
  load1: number;
  load5: number;
  load15: number;
}

/** The three leading numbers, each ending at whitespace or at the end of the text. */
const LEADING = /^(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)(?:\s|$)/;

function parseLoad(token: string | undefined, what: string): number {
  if (token === undefined) throw new ProcParseError(`${what} is missing`);
  if (!/^\d+(\.\d+)?$/.test(token)) {
    throw new ProcParseError(`${what} ${JSON.stringify(token)} is not a number`);
  }
  return Number(token);
}

/** Parses the text of `/proc/loadavg`. */
export function parseLoadavg(text: string): LoadAverages {
  return parseLoadavgFast(text) ?? parseLoadavgByField(text);
}

/**
 * The fast path (see parse_error.ts: the agent runs jitless): one `exec` instead of a split
 * and three regex tests; null unless the text starts with three numbers.
 */
export function parseLoadavgFast(text: string): LoadAverages | null {
  const m = LEADING.exec(text);
  return m === null ? null : { load1: Number(m[1]), load5: Number(m[2]), load15: Number(m[3]) };
}

/** The strict field-by-field parser: any layout the fast path refuses, and the errors. */
export function parseLoadavgByField(text: string): LoadAverages {
  const fields = text.trim().split(/\s+/);
  return {
    load1: parseLoad(fields[0], "load1"),
    load5: parseLoad(fields[1], "load5"),
    load15: parseLoad(fields[2], "load15"),
  };
}
