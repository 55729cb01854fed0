/**
 * Packs metrics into validated batches with unique ids, so the server stores a retried
 * batch once.
 *
 * @example
 * ```ts
 * const builder = new BatchBuilder("web-1", Date.now());
 * builder.build(metrics); // [{ id: "web-1-1718000000000-1", host: "web-1", metrics }]
 * ```
 */
import { type Metric, type MetricBatch, validateBatch } from "../shared/metric.ts";
import { LIMITS } from "../shared/metric_names.ts";

/** Longest part of an id taken from the host name. */
const ID_HOST_MAX = 64;

/** The host name reduced to the characters a batch id allows. */
export function idSafeHost(host: string): string {
  return host.replace(/[^A-Za-z0-9._:-]/g, "_").slice(0, ID_HOST_MAX);
}

/** Builds batches `${host}-${startEpochMs}-${seq}`: unique per host, process start and batch. */
export class BatchBuilder {
  #seq = 0;
  readonly #prefix: string;

  constructor(readonly host: string, startEpochMs: number) {
    this.#prefix = `${idSafeHost(host)}-${startEpochMs}`;
  }

  /** Splits `metrics` into batches of at most the allowed size, each validated; throws if invalid. */
  build(metrics: readonly Metric[]): MetricBatch[] {
    const out: MetricBatch[] = [];
    for (let i = 0; i < metrics.length; i += LIMITS.batchMaxMetrics) {
      const batch = {
        id: `${this.#prefix}-${++this.#seq}`,
        host: this.host,
        metrics: metrics.slice(i, i + LIMITS.batchMaxMetrics),
      };
      const result = validateBatch(batch);
      if (!result.ok) throw new Error(`batch ${batch.id} is invalid: ${result.error}`);
      out.push(result.value);
    }
    return out;
  }
}
