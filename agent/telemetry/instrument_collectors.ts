/**
 * Times every collector run (`miniobserv_agent_collector_duration_seconds{collector}`),
 * failed runs included. Their failures are counted by the registry (`collector_errors_total`
 * in `Counters`, bridged), not here.
 *
 * @example
 * ```ts
 * new CollectorRegistry(instrumentCollectors(collectors, agentMetrics), logger, counters);
 * ```
 */
import type { Metric } from "../../shared/metric.ts";
import type { Collector } from "../collectors/collector.ts";
import type { AgentMetrics } from "./agent_metrics.ts";

/** The collectors, each wrapped to time its `collect()`; `elapsed` is a monotonic clock in ms. */
export function instrumentCollectors(
  collectors: readonly Collector[],
  m: Pick<AgentMetrics, "collectorDuration">,
  elapsed: () => number = () => performance.now(),
): Collector[] {
  return collectors.map((c) => ({
    name: c.name,
    async collect(): Promise<Metric[]> {
      const started = elapsed();
      try {
        return await c.collect();
      } finally {
        m.collectorDuration.observe({ collector: c.name }, (elapsed() - started) / 1000);
      }
    },
  }));
}
