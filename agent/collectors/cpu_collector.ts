/** `cpu.usage_pct` for all CPUs (`core=total`) and each logical core, from `/proc/stat`. */
import type { Metric } from "../../shared/metric.ts";
import { withContext } from "../errors.ts";
import { parseProcStat, type ProcStat } from "../proc/parse_proc_stat.ts";
import { type Collector, type CollectorDeps, metricStamper } from "./collector.ts";
import { cpuUsagePct } from "./cpu_usage.ts";

/** Where the kernel publishes CPU times. */
export const PROC_STAT = "/proc/stat";

/** Reports CPU usage since the previous call; the first call only records a baseline. */
export class CpuCollector implements Collector {
  readonly name = "cpu";
  #previous: ProcStat | null = null;

  constructor(private readonly deps: CollectorDeps) {}

  /** Reads `/proc/stat` and returns usage for every core present in both samples. */
  async collect(): Promise<Metric[]> {
    const text = await withContext(
      `cpu: reading ${PROC_STAT}`,
      () => this.deps.readFile(PROC_STAT),
    );
    const stat = await withContext(`cpu: parsing ${PROC_STAT}`, () => parseProcStat(text));
    const prev = this.#previous;
    this.#previous = stat;
    if (!prev) return [];
    const metric = metricStamper(this.deps.host, this.deps.now());
    const out: Metric[] = [];
    const total = cpuUsagePct(prev.total, stat.total);
    if (total !== null) out.push(metric("cpu.usage_pct", total, { core: "total" }));
    for (const core of [...stat.cores.keys()].sort((a, b) => a - b)) {
      const before = prev.cores.get(core);
      const pct = before ? cpuUsagePct(before, stat.cores.get(core)!) : null;
      if (pct !== null) out.push(metric("cpu.usage_pct", pct, { core: String(core) }));
    }
    return out;
  }
}
