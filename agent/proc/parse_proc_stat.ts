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

/**
 * One cpu line as the kernel prints it, at the start of the file: `cpu` or `cpuN`, then all
 * eight times separated by spaces, then anything after whitespace (guest and guest_nice,
 * which the strict path reads past too). Captures N (empty for the all-CPU line) and the
 * eight times.
 */
const CPU_LINE =
  /cpu(\d*) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+) +(\d+)(?:\n|[^\S\n][^\n]*\n)/y;

/** Parses the text of `/proc/stat`; throws a ProcParseError naming the bad line. */
export function parseProcStat(text: string): ProcStat {
  return parseProcStatFast(text) ?? parseProcStatByLine(text);
}

/**
 * The fast path (see parse_error.ts: the agent runs jitless): one `exec` per line over the cpu
 * lines the file starts with, and one search showing no other line mentions `cpu`; null when
 * anything is not exactly as the kernel prints it.
 */
export function parseProcStatFast(text: string): ProcStat | null {
  let total: CpuTimes | undefined;
  const cores = new Map<number, CpuTimes>();
  const re = CPU_LINE;
  re.lastIndex = 0;
  let end = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const times: CpuTimes = {
      user: Number(m[2]),
      nice: Number(m[3]),
      system: Number(m[4]),
      idle: Number(m[5]),
      iowait: Number(m[6]),
      irq: Number(m[7]),
      softirq: Number(m[8]),
      steal: Number(m[9]),
    };
    if (m[1] === "") total = times;
    else cores.set(Number(m[1]), times);
    end = re.lastIndex;
  }
  if (total === undefined || text.indexOf("cpu", end) >= 0) return null;
  return { total, cores };
}

/** The strict line-by-line parser: any layout the fast path refuses, and the errors. */
export function parseProcStatByLine(text: string): ProcStat {
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
