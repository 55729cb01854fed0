/** `system.load1`, `system.load5` and `system.load15` from `/proc/loadavg`. */
import type { Metric } from "../../shared/metric.ts";
import { type LoadAverages, parseLoadavg } from "../proc/parse_loadavg.ts";
import { type Collector, type CollectorDeps, inContext, metricStamper } from "./collector.ts";

/** Where the kernel publishes load averages. */
export const PROC_LOADAVG = "/proc/loadavg";

const READING = `load: reading ${PROC_LOADAVG}`;
const PARSING = `load: parsing ${PROC_LOADAVG}`;

/** Reports the load averages on every call. */
export class LoadCollector implements Collector {
  readonly name = "load";

  constructor(private readonly deps: CollectorDeps) {}

  /** Reads `/proc/loadavg` and returns the three load metrics. */
  async collect(): Promise<Metric[]> {
    let text: string;
    try {
      text = await this.deps.readFile(PROC_LOADAVG);
    } catch (e) {
      throw inContext(READING, e);
    }
    let load: LoadAverages;
    try {
      load = parseLoadavg(text);
    } catch (e) {
      throw inContext(PARSING, e);
    }
    const metric = metricStamper(this.deps.host, this.deps.now());
    return [
      metric("system.load1", load.load1),
      metric("system.load5", load.load5),
      metric("system.load15", load.load15),
    ];
  }
}
