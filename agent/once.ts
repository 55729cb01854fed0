/** `--once`: one complete round, with rates, for a first look or a smoke test without a server. */
import type { Metric, MetricBatch } from "../shared/metric.ts";
import type { Sleep } from "./sleep.ts";

/** Gap between the seeding sample and the reported one, so rates and CPU usage exist. */
export const ONCE_SAMPLE_GAP_MS = 1000;

/** Collects twice, `ONCE_SAMPLE_GAP_MS` apart, and returns the second round as batches. */
export async function collectOnce(
  registry: { collectAll(): Promise<Metric[]> },
  builder: { build(metrics: readonly Metric[]): MetricBatch[] },
  sleep: Sleep,
): Promise<MetricBatch[]> {
  await registry.collectAll();
  await sleep(ONCE_SAMPLE_GAP_MS);
  return builder.build(await registry.collectAll());
}
