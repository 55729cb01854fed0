/**
 * What the HTTP layer needs from metric storage. Implemented over the `Db` interface
 * (PostgreSQL, TimescaleDB or PGlite) by `SqlMetricStore`; the routes see only this.
 */
import type { MetricBatch } from "../../shared/metric.ts";
import type { MetricName } from "../../shared/metric_names.ts";

/** Bucket widths the query API accepts (besides `auto`). */
export const BUCKETS = ["10s", "1m", "5m", "15m", "1h", "1d"] as const;
/** One bucket width. */
export type Bucket = typeof BUCKETS[number];
/** Bucket widths in milliseconds. */
export const BUCKET_MS: Record<Bucket, number> = {
  "10s": 10_000,
  "1m": 60_000,
  "5m": 300_000,
  "15m": 900_000,
  "1h": 3_600_000,
  "1d": 86_400_000,
};
/** Aggregations the query API accepts. */
export const AGGS = ["avg", "min", "max", "sum", "last"] as const;
/** One aggregation. */
export type Agg = typeof AGGS[number];

/** Outcome of storing one batch. */
export interface IngestResult {
  ingested: number;
  duplicate: boolean;
}

/** A validated time-bucketed query. `from` inclusive, `to` exclusive. */
export interface MetricQuery {
  host: string;
  name: MetricName;
  from: Date;
  to: Date;
  bucket: Bucket;
  agg: Agg;
  /** Exact label matchers; a series must carry every one. */
  labels: Record<string, string>;
}

/** One point: the bucket's start and the aggregated value. */
export interface Point {
  time: string;
  value: number;
}

/** One series of a query result: its label set and its points, oldest first. */
export interface SeriesResult {
  labels: Record<string, string>;
  points: Point[];
}

/** The newest value of one series. */
export interface LatestValue {
  name: MetricName;
  labels: Record<string, string>;
  time: string;
  value: number;
}

/** What the database knows of a host. Status is derived by the caller from `lastSeen`. */
export interface HostRecord {
  host: string;
  lastSeen: Date;
  agentVersion: string | null;
}

/** Metric storage as the routes use it. */
export interface MetricStore {
  /** Stores a batch once; a batch whose id is already stored stores nothing and reports `duplicate`. Resolves only after commit. */
  ingest(batch: MetricBatch, agentVersion: string | null, receivedAt: Date): Promise<IngestResult>;
  /** Runs a bucketed query; one entry per distinct label set, points oldest first. */
  query(q: MetricQuery): Promise<SeriesResult[]>;
  /** The newest value of every series of a host, in one query. */
  latest(host: string): Promise<LatestValue[]>;
  /** Every known host with when it was last seen and the agent version it reported. */
  hosts(): Promise<HostRecord[]>;
  /** Resolves when the database answers a trivial query. */
  ping(): Promise<void>;
}
