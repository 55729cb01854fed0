/** `cpu.usage_pct` for all CPUs (`core=total`) and each logical core, from `/proc/stat`. */
import type { Metric } from "../../shared/metric.ts";
import { type CpuTimes, parseProcStat, type ProcStat } from "../proc/parse_proc_stat.ts";
import { type Collector, type CollectorDeps, metricStamper, readParsed } from "./collector.ts";
import { cpuUsagePct } from "./cpu_usage.ts";

/** Where the kernel publishes CPU times. */
export const PROC_STAT = "/proc/stat";

/** The core numbers in ascending order; `/proc/stat` lists them so, and then nothing is sorted. */
function coresInOrder(cores: ReadonlyMap<number, CpuTimes>): number[] {
  const keys = [...cores.keys()];
  for (let i = 1; i < keys.length; i++) {
    if (keys[i] < keys[i - 1]) return keys.sort((a, b) => a - b);
  }
  return keys;
}

/** Reports CPU usage since the previous call; the first call only records a baseline. */
export class CpuCollector implements Collector {
  readonly name = "cpu";
  #previous: ProcStat | null = null;

  constructor(private readonly deps: CollectorDeps) {}

  /** Reads `/proc/stat` and returns usage for every core present in both samples. */
  async collect(): Promise<Metric[]> {
    const stat: ProcStat = await readParsed(this.deps.readFile, "cpu", PROC_STAT, parseProcStat);
    const prev = this.#previous;
    this.#previous = stat;
    if (!prev) return [];
    const metric = metricStamper(this.deps.host, this.deps.now());
    const out: Metric[] = [];
    const total = cpuUsagePct(prev.total, stat.total);
    if (total !== null) out.push(metric("cpu.usage_pct", total, { core: "total" }));
    const cores = coresInOrder(stat.cores);
    for (let i = 0; i < cores.length; i++) {
      const core = cores[i];
      const before = prev.cores.get(core);
      const pct = before ? cpuUsagePct(before, stat.cores.get(core)!) : null;
      if (pct !== null) out.push(metric("cpu.usage_pct", pct, { core: String(core) }));
    }
    return out;
  }
}
