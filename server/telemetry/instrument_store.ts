/**
 * Decorators that count what ingest stores, wrapped around the real stores in `main.ts`:
 * samples, log lines, batches and duplicate batches.
 *
 * @example
 * ```ts
 * const store = instrumentMetricStore(new SqlMetricStore(db, opts), serverMetrics);
 * ```
 */
import type { LogBatch } from "../../shared/log_entry.ts";
import type { MetricBatch } from "../../shared/metric.ts";
import type { LogIngestResult, LogSearch, LogSearchPage, LogStore } from "../logs/log_store.ts";
import type {
  HostRecord,
  IngestResult,
  LatestValue,
  MetricQuery,
  MetricStore,
  SeriesResult,
} from "../storage/metric_store.ts";
import type { ServerMetrics } from "./server_metrics.ts";

type IngestMetrics = Pick<
  ServerMetrics,
  "samplesIngested" | "logLinesIngested" | "batchesIngested" | "duplicateBatches"
>;

/** A `MetricStore` that counts every stored batch, its samples, and duplicates. */
export function instrumentMetricStore(store: MetricStore, m: IngestMetrics): MetricStore {
  return {
    async ingest(batch: MetricBatch, agentVersion: string | null, receivedAt: Date) {
      const r: IngestResult = await store.ingest(batch, agentVersion, receivedAt);
      if (r.duplicate) m.duplicateBatches.inc({ kind: "metrics" });
      else {
        m.batchesIngested.inc({ kind: "metrics" });
        m.samplesIngested.inc(r.ingested);
      }
      return r;
    },
    query: (q: MetricQuery): Promise<SeriesResult[]> => store.query(q),
    latest: (host: string): Promise<LatestValue[]> => store.latest(host),
    hosts: (): Promise<HostRecord[]> => store.hosts(),
    ping: (): Promise<void> => store.ping(),
  };
}

/**
 * A `LogStore` that counts stored log lines and batches; a batch whose every entry was
 * already stored is a duplicate batch (a retry).
 */
export function instrumentLogStore(store: LogStore, m: IngestMetrics): LogStore {
  return {
    async ingest(batch: LogBatch, receivedAt: Date): Promise<LogIngestResult> {
      const r = await store.ingest(batch, receivedAt);
      if (r.stored.length === 0 && r.duplicates > 0) m.duplicateBatches.inc({ kind: "logs" });
      else m.batchesIngested.inc({ kind: "logs" });
      m.logLinesIngested.inc(r.stored.length);
      return r;
    },
    search: (s: LogSearch): Promise<LogSearchPage> => store.search(s),
  };
}
