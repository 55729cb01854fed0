/**
 * Runs every collector concurrently. One collector's failure is logged and counted and
 * never stops the others.
 */
import type { Metric } from "../../shared/metric.ts";
import type { Logger } from "../../shared/log.ts";
import type { Counters } from "../counters.ts";
import { errorMessage } from "../errors.ts";
import type { Collector } from "./collector.ts";

/** The set of collectors one tick runs. */
export class CollectorRegistry {
  constructor(
    readonly collectors: readonly Collector[],
    private readonly logger: Logger,
    private readonly counters: Counters,
  ) {}

  /** Runs all collectors at once and returns their metrics, in registry order. */
  async collectAll(): Promise<Metric[]> {
    const results = await Promise.allSettled(
      this.collectors.map((c) => Promise.resolve().then(() => c.collect())),
    );
    const out: Metric[] = [];
    results.forEach((r, i) => {
      if (r.status === "fulfilled") {
        for (const m of r.value) out.push(m);
        return;
      }
      const collector = this.collectors[i].name;
      const total = this.counters.inc("collector_errors_total", { collector });
      this.logger.error("collector failed", {
        collector,
        error: errorMessage(r.reason),
        errors_total: total,
      });
    });
    return out;
  }
}
