/**
 * Metric batches as spool records, and spooled records back as one request body: alone
 * byte for byte as collected, or several merged into one batch.
 *
 * @example
 * ```ts
 * await spool.append(metricRecord(batch));
 * const body = metricRequestBody(claim); // {"id":…,"host":…,"metrics":[…]}
 * ```
 */
import type { Metric, MetricBatch } from "../shared/metric.ts";
import type { NewRecord } from "./spool/record_frame.ts";
import type { Claim } from "./spool/spool.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A batch as a `metrics` record: its JSON is the payload sent when it travels alone. */
export function metricRecord(batch: MetricBatch): NewRecord {
  return {
    kind: "metrics",
    host: batch.host,
    id: batch.id,
    items: batch.metrics.length,
    payload: encoder.encode(JSON.stringify(batch)),
  };
}

/** The JSON body of a claim: the stored payload when alone, else one batch with the claim's id. */
export function metricRequestBody(claim: Claim): Uint8Array {
  if (!claim.merged) return claim.records[0].payload;
  const metrics: Metric[] = [];
  for (const r of claim.records) {
    const batch = JSON.parse(decoder.decode(r.payload)) as MetricBatch;
    for (const m of batch.metrics) metrics.push(m);
  }
  return encoder.encode(JSON.stringify({ id: claim.id, host: claim.host, metrics }));
}
