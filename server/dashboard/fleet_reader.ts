/**
 * What the overview shows of every host, read in a few queries for the whole fleet rather
 * than one per host: the newest value of the summary series (CPU total, memory, each mount's
 * usage, each interface's traffic) within a look-back window, and one-minute CPU averages
 * over the last hour for the sparklines.
 *
 * The newest value is the sample with the greatest time (`ORDER BY time DESC LIMIT 1` on the
 * samples index), never the first row of a range: the seed's cards showed the oldest value
 * as the newest.
 */
import type { MetricName } from "../../shared/metric_names.ts";
import type { Queryable } from "../db/db.ts";
import { errorMessage } from "../db/db.ts";
import { BUCKET_ORIGIN } from "../storage/bucket_sql.ts";

/** The series the overview summarises. */
export const SUMMARY_METRICS: readonly MetricName[] = [
  "cpu.usage_pct",
  "mem.used_pct",
  "mem.used_bytes",
  "mem.total_bytes",
  "disk.used_pct",
  "net.bytes_in",
  "net.bytes_out",
];

/** The newest value of one series. */
export interface LatestSample {
  host: string;
  name: MetricName;
  labels: Record<string, string>;
  time: number;
  value: number;
}

/** One sparkline point: bucket start (ms) and the average in it. */
export type SparkPoint = [number, number];

/** Reads the fleet's summary data. */
export interface FleetReader {
  /** The newest value of each summary series (CPU: `core=total` only) newer than `sinceMs`; of one host when given. */
  latest(sinceMs: number, host?: string): Promise<LatestSample[]>;
  /** Average CPU (`core=total`) per host in buckets of `bucketMs` over [fromMs, toMs). */
  sparklines(fromMs: number, toMs: number, bucketMs: number): Promise<Map<string, SparkPoint[]>>;
}

const LATEST_SQL = `SELECT s.host, s.name, s.labels, l.time, l.value
  FROM series s
  CROSS JOIN LATERAL (
    SELECT m.time, m.value FROM metric_samples m
    WHERE m.series_id = s.id AND m.time >= $1::timestamptz
    ORDER BY m.time DESC LIMIT 1
  ) l
  WHERE s.name = ANY($2::text[])
    AND (s.name <> 'cpu.usage_pct' OR s.labels @> '{"core":"total"}'::jsonb)
    AND ($3::text IS NULL OR s.host = $3::text)`;

/**
 * Per series (a LATERAL subquery), so each series' hour is read from the samples index and
 * aggregated on its own: joining first and grouping the fleet's 180 k rows at once needed a
 * sort that spilled to disk (200 ms for 500 hosts; this takes about 55 ms). Ordered in code.
 */
function sparkSql(timescale: boolean): string {
  const bucket = timescale
    ? "time_bucket($3::interval, m.time)"
    : `date_bin($3::interval, m.time, TIMESTAMPTZ '${BUCKET_ORIGIN}')`;
  return `SELECT s.host, b.bucket, b.value
    FROM series s
    CROSS JOIN LATERAL (
      SELECT ${bucket} AS bucket, avg(m.value) AS value FROM metric_samples m
      WHERE m.series_id = s.id AND m.time >= $1::timestamptz AND m.time < $2::timestamptz
      GROUP BY 1
    ) b
    WHERE s.name = 'cpu.usage_pct' AND s.labels @> '{"core":"total"}'::jsonb`;
}

const ms = (v: unknown): number => v instanceof Date ? v.getTime() : Date.parse(String(v));

/** `FleetReader` over the metric tables (PostgreSQL, TimescaleDB, PGlite). */
export class SqlFleetReader implements FleetReader {
  constructor(private readonly db: Queryable & { readonly timescale: boolean }) {}

  async latest(sinceMs: number, host?: string): Promise<LatestSample[]> {
    try {
      const rows = await this.db.query(LATEST_SQL, [
        new Date(sinceMs),
        SUMMARY_METRICS,
        host ?? null,
      ]);
      return rows.map((r) => ({
        host: r.host as string,
        name: r.name as MetricName,
        labels: (r.labels ?? {}) as Record<string, string>,
        time: ms(r.time),
        value: Number(r.value),
      }));
    } catch (e) {
      throw new Error(`dashboard: reading the fleet's latest values: ${errorMessage(e)}`, {
        cause: e,
      });
    }
  }

  async sparklines(
    fromMs: number,
    toMs: number,
    bucketMs: number,
  ): Promise<Map<string, SparkPoint[]>> {
    try {
      const rows = await this.db.query(sparkSql(this.db.timescale), [
        new Date(fromMs),
        new Date(toMs),
        `${Math.round(bucketMs / 1000)} seconds`,
      ]);
      const byHost = new Map<string, SparkPoint[]>();
      for (const r of rows) {
        const host = r.host as string;
        let list = byHost.get(host);
        if (!list) byHost.set(host, list = []);
        list.push([ms(r.bucket), Number(r.value)]);
      }
      const out = new Map<string, SparkPoint[]>();
      for (const host of [...byHost.keys()].sort()) {
        out.set(host, byHost.get(host)!.sort((a, b) => a[0] - b[0]));
      }
      return out;
    } catch (e) {
      throw new Error(`dashboard: reading sparklines: ${errorMessage(e)}`, { cause: e });
    }
  }
}
