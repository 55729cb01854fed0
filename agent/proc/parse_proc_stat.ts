/**
 * Parser for `/proc/stat`: the cumulative CPU times of the `cpu` line and of each `cpuN` line.
 *
 * @example
 * ```ts
 * const stat = parseProcStat("cpu  10 0 5 100 1 0 0 0 0 0\ncpu0 10 0 5 100 1 0 0 0 0 0\n");
 * stat.total.user; // 10
 * ```
 */
import { numberedLines, onLine, parseCounter, ProcParseError } from "./parse_error.ts";

/** The CPU time fields MiniObserv reads, in `/proc/stat` order (guest and guest_nice are ignored). */
export const CPU_TIME_FIELDS = [
  "user",
  "nice",
  "system",
  "idle",
  "iowait",
  "irq",
  "softirq",
  "steal",
] as const;

/** Cumulative time spent in each state, in clock ticks (USER_HZ). */
export type CpuTimes = Record<typeof CPU_TIME_FIELDS[number], number>;

/** The parsed file: the all-CPU line and one entry per logical core number. */
export interface ProcStat {
  total: CpuTimes;
  cores: Map<number, CpuTimes>;
}

/** Fewest fields accepted on a cpu line (user nice system idle); older kernels lack the rest. */
const MIN_CPU_FIELDS = 4;

/** Parses the numbers after a `cpu` label; trailing fields older kernels lack count as 0. */
function parseCpuTimes(fields: string[]): CpuTimes {
  if (fields.length < MIN_CPU_FIELDS) {
    throw new ProcParseError(
      `expected at least ${MIN_CPU_FIELDS} numbers (user nice system idle), got ${fields.length}`,
    );
  }
  const times = {} as CpuTimes;
  CPU_TIME_FIELDS.forEach((name, i) => {
    times[name] = i < fields.length ? parseCounter(fields[i], name) : 0;
  });
  return times;
}

/** Parses the text of `/proc/stat`; throws a ProcParseError naming the bad line. */
export function parseProcStat(text: string): ProcStat {
  let total: CpuTimes | undefined;
  const cores = new Map<number, CpuTimes>();
  for (const [lineNo, line] of numberedLines(text)) {
    if (!line.startsWith("cpu")) continue;
    onLine(lineNo, line, () => {
      const [label, ...fields] = line.split(/\s+/);
      const times = parseCpuTimes(fields);
      if (label === "cpu") total = times;
      else {
        const core = /^cpu(\d+)$/.exec(label);
        if (!core) throw new ProcParseError(`unknown label ${JSON.stringify(label)}`);
        cores.set(Number(core[1]), times);
      }
    });
  }
  if (!total) throw new ProcParseError('no "cpu" line');
  return { total, cores };
}
