/**
 * `MetricStore` over the `Db` interface: narrow samples `(time, series_id, value)` with
 * cached series ids, one bulk insert per batch, idempotent by batch id, and bucketed
 * queries that give identical results on PostgreSQL, PGlite and TimescaleDB.
 *
 * @example
 * ```ts
 * const store = new SqlMetricStore(db, { retentionMs: 30 * 86_400_000, log });
 * await store.ingest(batch, "0.1.0", new Date());
 * const series = await store.query({ host, name: "cpu.usage_pct", from, to, bucket: "5m", agg: "avg", labels: { core: "total" } });
 * ```
 */
import type { MetricBatch } from "../../shared/metric.ts";
import type { MetricName } from "../../shared/metric_names.ts";
import type { Logger } from "../../shared/log.ts";
import { type Db, errorMessage, type SampleColumns } from "../db/db.ts";
import { bucketInterval, bucketQuerySql } from "./bucket_sql.ts";
import { utcDay } from "./days.ts";
import { canonicalLabels, compareText, type Labels, seriesKey } from "./labels.ts";
import type {
  HostRecord,
  IngestResult,
  LatestValue,
  MetricQuery,
  MetricStore,
  Point,
  SeriesResult,
} from "./metric_store.ts";
import { PartitionManager } from "./partitions.ts";
import { type SeriesRef, SeriesResolver } from "./series_resolver.ts";

/** Samples further ahead of `receivedAt` than this many days get no partition made for them (they land in the DEFAULT partition, which is watched). */
export const MAX_PARTITION_DAYS_AHEAD = 7;

/** Options of `SqlMetricStore`. */
export interface SqlMetricStoreOptions {
  /** How long samples are kept; older samples in a batch are not stored. */
  retentionMs: number;
  log: Logger;
  /** The clock for `latest`'s look-back window; default `Date.now`. */
  now?: () => number;
  /** Makes partitions for the days of each batch; default one built from these options. */
  partitions?: PartitionManager;
  /** Bound on cached series ids. */
  maxCachedSeries?: number;
}

/**
 * Records the batch id and, only when it is new, upserts the host (last_seen never goes
 * back; the version follows the newest batch): one round trip for both.
 */
const RECORD_BATCH_SQL = `WITH batch AS (
    INSERT INTO ingested_batches (host, batch_id, received_at) VALUES ($1, $2, $3)
    ON CONFLICT DO NOTHING
    RETURNING host
  ), seen AS (
    INSERT INTO hosts AS h (host, first_seen, last_seen, agent_version)
    SELECT host, $3, $3, $4 FROM batch
    ON CONFLICT (host) DO UPDATE SET
      last_seen = greatest(h.last_seen, excluded.last_seen),
      agent_version = CASE WHEN excluded.last_seen >= h.last_seen
        THEN coalesce(excluded.agent_version, h.agent_version) ELSE h.agent_version END
    RETURNING 1
  )
  SELECT count(*) AS fresh FROM batch`;

const SERIES_SQL = `SELECT id, labels FROM series
  WHERE host = $1 AND name = $2 AND labels @> $3::text::jsonb`;

const LATEST_SQL = `SELECT s.name, s.labels, l.time, l.value
  FROM series s
  CROSS JOIN LATERAL (
    SELECT m.time, m.value FROM metric_samples m
    WHERE m.series_id = s.id AND m.time >= $2::timestamptz
    ORDER BY m.time DESC LIMIT 1
  ) l
  WHERE s.host = $1`;

const toDate = (v: unknown): Date => v instanceof Date ? v : new Date(String(v));

/** A metric store on PostgreSQL, TimescaleDB or PGlite. */
export class SqlMetricStore implements MetricStore {
  readonly #db: Db;
  readonly #retentionMs: number;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #partitions: PartitionManager;
  readonly #series: SeriesResolver;

  constructor(db: Db, opts: SqlMetricStoreOptions) {
    this.#db = db;
    this.#retentionMs = opts.retentionMs;
    this.#log = opts.log;
    this.#now = opts.now ?? Date.now;
    this.#partitions = opts.partitions ??
      new PartitionManager(db, { retentionMs: opts.retentionMs, now: this.#now, log: opts.log });
    this.#series = new SeriesResolver(db, { maxCached: opts.maxCachedSeries });
  }

  /** Stores a batch once, in one transaction; samples older than `receivedAt` − retention are left out (logged). */
  async ingest(
    batch: MetricBatch,
    agentVersion: string | null,
    receivedAt: Date,
  ): Promise<IngestResult> {
    try {
      return await this.#ingest(batch, agentVersion, receivedAt);
    } catch (e) {
      const context = `storage: ingest of batch ${batch.id} from ${batch.host}`;
      throw new Error(`${context}: ${errorMessage(e)}`, { cause: e });
    }
  }

  async #ingest(batch: MetricBatch, agentVersion: string | null, receivedAt: Date) {
    const receivedMs = receivedAt.getTime();
    const oldestMs = receivedMs - this.#retentionMs;
    const lastDay = utcDay(receivedMs) + MAX_PARTITION_DAYS_AHEAD;
    const rows: SampleColumns = { time: [], seriesId: [], value: [] };
    const pendingRows: number[] = [];
    const pendingKeys: string[] = [];
    const missing = new Map<string, SeriesRef>();
    const days = new Set<number>();
    let tooOld = 0;
    let tooFarAhead = 0;
    let lastText = "";
    let ms = NaN;
    for (const m of batch.metrics) {
      if (m.time !== lastText) {
        lastText = m.time;
        ms = Date.parse(m.time);
      }
      if (!(ms >= oldestMs)) {
        tooOld++;
        continue;
      }
      const day = utcDay(ms);
      if (day <= lastDay) days.add(day);
      else tooFarAhead++;
      const labels = canonicalLabels(m.labels);
      const key = seriesKey(m.host, m.name, labels);
      const id = this.#series.cached(key);
      if (id === undefined) {
        if (!missing.has(key)) missing.set(key, { host: m.host, name: m.name, labels });
        pendingRows.push(rows.time.length);
        pendingKeys.push(key);
      }
      rows.time.push(ms);
      rows.seriesId.push(id ?? 0);
      rows.value.push(m.value);
    }
    if (tooOld > 0) {
      this.#log.warn("storage: ingest: samples older than the retention were not stored", {
        host: batch.host,
        batch: batch.id,
        samples: tooOld,
      });
    }
    if (tooFarAhead > 0) {
      this.#log.warn("storage: ingest: samples far in the future go to the default partition", {
        host: batch.host,
        batch: batch.id,
        samples: tooFarAhead,
        maxDaysAhead: MAX_PARTITION_DAYS_AHEAD,
      });
    }
    await this.#partitions.ensureDays(days);
    if (missing.size > 0) {
      const ids = await this.#series.resolve([...missing.values()]);
      for (let i = 0; i < pendingRows.length; i++) {
        rows.seriesId[pendingRows[i]] = ids.get(pendingKeys[i])!;
      }
    }
    return await this.#db.transaction(async (tx) => {
      const recorded = await tx.query<{ fresh: unknown }>(RECORD_BATCH_SQL, [
        batch.host,
        batch.id,
        receivedAt,
        agentVersion,
      ]);
      if (Number(recorded[0].fresh) === 0) return { ingested: 0, duplicate: true };
      await tx.copySamples(rows);
      return { ingested: rows.time.length, duplicate: false };
    });
  }

  /** Bucketed query: one entry per series (label set) with points in range, ordered by labels; points oldest first. */
  async query(q: MetricQuery): Promise<SeriesResult[]> {
    if (q.from.getTime() >= q.to.getTime()) return [];
    try {
      const series = await this.#db.query<{ id: unknown; labels: Labels }>(SERIES_SQL, [
        q.host,
        q.name,
        JSON.stringify(q.labels),
      ]);
      if (series.length === 0) return [];
      const rows = await this.#db.query<{ series_id: unknown; bucket: unknown; value: unknown }>(
        bucketQuerySql(this.#db.timescale, q.agg),
        [series.map((s) => Number(s.id)), q.from, q.to, bucketInterval(q.bucket)],
      );
      const points = new Map<number, Point[]>();
      for (const r of rows) {
        const id = Number(r.series_id);
        let list = points.get(id);
        if (!list) points.set(id, list = []);
        list.push({ time: toDate(r.bucket).toISOString(), value: Number(r.value) });
      }
      return series
        .filter((s) => points.has(Number(s.id)))
        .map((s) => ({ key: canonicalLabels(s.labels), labels: s.labels, id: Number(s.id) }))
        .sort((a, b) => compareText(a.key, b.key))
        .map((s) => ({ labels: s.labels, points: points.get(s.id)! }));
    } catch (e) {
      throw new Error(`storage: query ${q.name} of ${q.host}: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** The newest value of each series of `host` within the retention window, ordered by name and labels. */
  async latest(host: string): Promise<LatestValue[]> {
    try {
      const rows = await this.#db.query<
        { name: MetricName; labels: Labels; time: unknown; value: unknown }
      >(LATEST_SQL, [host, new Date(this.#now() - this.#retentionMs)]);
      return rows
        .map((r) => ({
          key: `${r.name}\u0000${canonicalLabels(r.labels)}`,
          value: {
            name: r.name,
            labels: r.labels,
            time: toDate(r.time).toISOString(),
            value: Number(r.value),
          },
        }))
        .sort((a, b) => compareText(a.key, b.key))
        .map((r) => r.value);
    } catch (e) {
      throw new Error(`storage: latest of ${host}: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** Every known host, ordered by name. */
  async hosts(): Promise<HostRecord[]> {
    try {
      const rows = await this.#db.query<
        { host: string; last_seen: unknown; agent_version: string | null }
      >("SELECT host, last_seen, agent_version FROM hosts ORDER BY host");
      return rows.map((r) => ({
        host: r.host,
        lastSeen: toDate(r.last_seen),
        agentVersion: r.agent_version,
      }));
    } catch (e) {
      throw new Error(`storage: listing hosts: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** Resolves when the database answers `SELECT 1`. */
  async ping(): Promise<void> {
    try {
      await this.#db.query("SELECT 1 AS ok");
    } catch (e) {
      throw new Error(`storage: ping: ${errorMessage(e)}`, { cause: e });
    }
  }
}
