/** `system.load1`, `system.load5` and `system.load15` from `/proc/loadavg`. */
import type { Metric } from "../../shared/metric.ts";
import { type LoadAverages, parseLoadavg } from "../proc/parse_loadavg.ts";
import { type Collector, type CollectorDeps, metricStamper, readParsed } from "./collector.ts";

/** Where the kernel publishes load averages. */
export const PROC_LOADAVG = "/proc/loadavg";

/** Reports the load averages on every call. */
export class LoadCollector implements Collector {
  readonly name = "load";

  constructor(private readonly deps: CollectorDeps) {}

  /** Reads `/proc/loadavg` and returns the three load metrics. */
  async collect(): Promise<Metric[]> {
    const load: LoadAverages = await readParsed(
      this.deps.readFile,
      "load",
      PROC_LOADAVG,
      parseLoadavg,
    );
    const metric = metricStamper(this.deps.host, this.deps.now());
    return [
      metric("system.load1", load.load1),
      metric("system.load5", load.load5),
      metric("system.load15", load.load15),
    ];
  }
}
