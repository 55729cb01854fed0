/**
 * Keeps the samples table's time partitioning in shape, on either layout:
 *
 * - native partitions: daily partitions from yesterday to `daysAhead` days ahead, made
 *   idempotently (safe when replicas race); partitions entirely older than the retention
 *   dropped whole (samples are never DELETEd); rows in the DEFAULT partition counted and
 *   logged, since they mean a day had no partition.
 * - TimescaleDB hypertable: no partitions to make; compression and retention policies
 *   scheduled, and `drop_chunks` run directly, because background jobs may not run.
 *
 * Either way, remembered batch ids older than the retention are deleted with the data.
 *
 * @example
 * ```ts
 * const pm = new PartitionManager(db, { retentionMs, now: Date.now, log });
 * const report = await pm.maintain(); // at start-up, then hourly by the leader
 * ```
 */
import type { Logger } from "../../shared/log.ts";
import { type Db, errorMessage, sqlState } from "../db/db.ts";
import {
  DAY_MS,
  dayStartLiteral,
  intervalLiteral,
  PARTITION_PREFIX,
  partitionDay,
  partitionName,
  utcDay,
} from "./days.ts";
import { detectSampleLayout, type SampleLayout } from "./sample_layout.ts";
import { applyTimescalePolicies, DEFAULT_COMPRESS_AFTER_MS } from "./timescale_policies.ts";

/** Days of partitions made ahead of today by default. */
export const DEFAULT_DAYS_AHEAD = 3;

/** The DEFAULT partition of `metric_samples`. */
export const DEFAULT_PARTITION = "metric_samples_default";

/** Options of `PartitionManager`. */
export interface PartitionManagerOptions {
  /** How long samples and batch ids are kept (`METRICS_RETENTION`). */
  retentionMs: number;
  /** Partitions made ahead of today; default `DEFAULT_DAYS_AHEAD`. */
  daysAhead?: number;
  /** TimescaleDB: compress chunks older than this (`METRICS_COMPRESS_AFTER`); default 7 d. */
  compressAfterMs?: number;
  /** The clock, in epoch milliseconds. */
  now: () => number;
  log: Logger;
}

/** What one `maintain()` run did. */
export interface MaintenanceReport {
  layout: SampleLayout;
  /** Partitions created (native layout). */
  created: string[];
  /** Partitions or chunks dropped for retention. */
  dropped: string[];
  /** Batch ids forgotten for retention. */
  expiredBatches: number;
  /** Rows in the DEFAULT partition (always 0 on a hypertable). */
  defaultRows: number;
}

/** SQLSTATEs of a CREATE racing one made outside the lock: duplicate_table, unique_violation. */
const ALREADY_CREATED = new Set(["42P07", "23505"]);

/** Makes, drops and watches the time partitions of `metric_samples`. */
export class PartitionManager {
  readonly #db: Db;
  readonly #opts: Required<PartitionManagerOptions>;
  #layout: SampleLayout | undefined;
  /** Days whose partition is known to exist, or failed to be made (native layout). */
  readonly #known = new Set<number>();
  /** Days whose partition could not be made; retried after the next `ensurePartitions`, not per batch. */
  readonly #failed = new Set<number>();

  constructor(db: Db, opts: PartitionManagerOptions) {
    if (!(opts.retentionMs >= DAY_MS)) {
      throw new Error(`storage: retention must be at least 1 day, got ${opts.retentionMs} ms`);
    }
    this.#db = db;
    this.#opts = {
      daysAhead: DEFAULT_DAYS_AHEAD,
      compressAfterMs: DEFAULT_COMPRESS_AFTER_MS,
      ...opts,
    };
  }

  /** How samples are stored (read from the catalog once). */
  async layout(): Promise<SampleLayout> {
    this.#layout ??= await detectSampleLayout(this.#db);
    return this.#layout;
  }

  /** Makes sure partitions from yesterday to `daysAhead` days ahead exist; returns those created. */
  async ensurePartitions(): Promise<string[]> {
    for (const day of this.#failed) this.#known.delete(day);
    this.#failed.clear();
    const today = utcDay(this.#opts.now());
    const days: number[] = [];
    for (let d = today - 1; d <= today + this.#opts.daysAhead; d++) days.push(d);
    return await this.ensureDays(days);
  }

  /**
   * Makes sure the partitions of `days` exist; a cheap in-memory check for days already
   * seen, so ingest can call it for every batch. Returns the partitions created. A day
   * whose partition cannot be made (the DEFAULT partition already holds its rows) is
   * logged once, and its samples keep landing in the DEFAULT partition; the next
   * `ensurePartitions` (the periodic pass) lets it be tried again.
   */
  async ensureDays(days: Iterable<number>): Promise<string[]> {
    const missing = [...new Set(days)].filter((d) => !this.#known.has(d));
    if (missing.length === 0) return [];
    if (await this.layout() !== "partitioned") {
      for (const d of missing) this.#known.add(d); // chunks are made by TimescaleDB itself
      return [];
    }
    const created: string[] = [];
    for (const day of missing.sort((a, b) => a - b)) {
      const name = partitionName(day);
      try {
        if (await this.#createPartition(day)) created.push(name);
      } catch (e) {
        this.#failed.add(day);
        this.#opts.log.error("storage: creating partition failed", { partition: name, error: e });
      }
      this.#known.add(day);
    }
    if (created.length > 0) this.#opts.log.info("partitions created", { partitions: created });
    return created;
  }

  async #createPartition(day: number): Promise<boolean> {
    const name = partitionName(day);
    try {
      // Replicas take turns, so each partition is made by exactly one of them.
      return await this.#db.transaction(async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock(hashtext('miniobserv:partitions'))");
        const exists = await tx.query("SELECT 1 AS x WHERE to_regclass($1) IS NOT NULL", [name]);
        if (exists.length > 0) return false;
        await tx.exec(
          `CREATE TABLE ${name} PARTITION OF metric_samples FOR VALUES FROM ('${
            dayStartLiteral(day)
          }') TO ('${dayStartLiteral(day + 1)}')`,
        );
        return true;
      });
    } catch (e) {
      if (ALREADY_CREATED.has(sqlState(e) ?? "")) return false;
      throw new Error(`storage: creating partition ${name}: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** Drops every partition (or chunk) that lies entirely before now − retention; returns their names. */
  async dropExpired(): Promise<string[]> {
    const cutoffMs = this.#opts.now() - this.#opts.retentionMs;
    if (await this.layout() === "hypertable") {
      const rows = await this.#db.query<{ chunk: string }>(
        "SELECT drop_chunks('metric_samples', older_than => $1::timestamptz)::text AS chunk",
        [new Date(cutoffMs)],
      );
      const dropped = rows.map((r) => r.chunk);
      if (dropped.length > 0) this.#opts.log.info("chunks dropped", { chunks: dropped });
      return dropped;
    }
    const cutoffDay = utcDay(cutoffMs); // partitions of days before it end at or before the cutoff
    const rows = await this.#db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'metric_samples'::regclass AND c.relname LIKE $1`,
      [`${PARTITION_PREFIX}%`],
    );
    const dropped: string[] = [];
    for (const { name } of rows) {
      const day = partitionDay(name);
      if (day === null || day >= cutoffDay) continue;
      try {
        await this.#db.exec(`DROP TABLE IF EXISTS ${name}`);
      } catch (e) {
        throw new Error(`storage: dropping partition ${name}: ${errorMessage(e)}`, { cause: e });
      }
      this.#known.delete(day);
      dropped.push(name);
    }
    dropped.sort();
    if (dropped.length > 0) this.#opts.log.info("partitions dropped", { partitions: dropped });
    return dropped;
  }

  /** Forgets batch ids received before now − retention; returns how many. */
  async expireBatches(): Promise<number> {
    const rows = await this.#db.query<{ n: unknown }>(
      `WITH gone AS (DELETE FROM ingested_batches WHERE received_at < $1 RETURNING 1)
       SELECT count(*) AS n FROM gone`,
      [new Date(this.#opts.now() - this.#opts.retentionMs)],
    );
    return Number(rows[0]?.n ?? 0);
  }

  /** Counts the rows in the DEFAULT partition and logs a warning when there are any. */
  async countDefaultRows(): Promise<number> {
    if (await this.layout() !== "partitioned") return 0;
    const rows = await this.#db.query<{ n: unknown }>(
      `SELECT count(*) AS n FROM ${DEFAULT_PARTITION}`,
    );
    const n = Number(rows[0]?.n ?? 0);
    if (n > 0) {
      this.#opts.log.warn(
        "storage: samples in the default partition (their day had no partition; they are never dropped by retention)",
        { partition: DEFAULT_PARTITION, rows: n },
      );
    }
    return n;
  }

  /** TimescaleDB: schedules compression and retention policies; a no-op on native partitions. */
  async applyPolicies(): Promise<void> {
    if (await this.layout() !== "hypertable") return;
    const changes = await this.#db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext('miniobserv:policies'))");
      return await applyTimescalePolicies(tx, this.#opts);
    });
    if (changes.compression || changes.retention) {
      this.#opts.log.info("timescale policies scheduled", {
        compressAfter: intervalLiteral(this.#opts.compressAfterMs),
        retention: intervalLiteral(this.#opts.retentionMs),
      });
    }
  }

  /** One maintenance pass: policies, partitions ahead, retention, batch-id expiry, default-partition check. */
  async maintain(): Promise<MaintenanceReport> {
    try {
      const layout = await this.layout();
      await this.applyPolicies();
      const created = await this.ensurePartitions();
      const dropped = await this.dropExpired();
      const expiredBatches = await this.expireBatches();
      const defaultRows = await this.countDefaultRows();
      return { layout, created, dropped, expiredBatches, defaultRows };
    } catch (e) {
      throw new Error(`storage: partition maintenance: ${errorMessage(e)}`, { cause: e });
    }
  }
}
