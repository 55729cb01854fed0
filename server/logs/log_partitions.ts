/**
 * Keeps the `logs` table's time partitioning and search index in shape, on either layout:
 *
 * - native partitions: daily partitions `logs_pYYYYMMDD` from yesterday to `daysAhead` days
 *   ahead, made idempotently (safe when replicas race); partitions entirely older than
 *   `LOGS_RETENTION` dropped whole (entries are never DELETEd); rows in `logs_default` counted
 *   and logged, since they mean a day had no partition.
 * - TimescaleDB hypertable: a retention policy scheduled, and `drop_chunks` run directly (the
 *   background jobs may not run, e.g. in the TimescaleDB PGlite build).
 * - the trigram index: made once `pg_trgm` is available (see migrations/010_logs.sql); until
 *   then substring search scans, which is logged.
 *
 * @example
 * ```ts
 * const pm = new LogPartitionManager(db, { retentionMs: 14 * 86_400_000, now: Date.now, log });
 * await pm.maintain(); // at start-up, then hourly, next to the metrics' PartitionManager
 * ```
 */
import type { Logger } from "../../shared/log.ts";
import { type Db, errorMessage, sqlState } from "../db/db.ts";
import { DAY_MS, dayStartLiteral, intervalLiteral, utcDay } from "../storage/days.ts";

/** Prefix of every daily partition of `logs`. */
export const LOG_PARTITION_PREFIX = "logs_p";
/** The DEFAULT partition of `logs`. */
export const LOG_DEFAULT_PARTITION = "logs_default";
/** The trigram index of messages. */
export const LOG_TRGM_INDEX = "logs_message_trgm_idx";
/** Days of partitions made ahead of today by default. */
export const DEFAULT_LOG_DAYS_AHEAD = 3;

/** `partitioned` (native daily partitions) or `hypertable` (TimescaleDB chunks). */
export type LogLayout = "partitioned" | "hypertable";
/** How substring search runs: `trigram` (GIN index) or `scan`. */
export type SearchMode = "trigram" | "scan";

/** The partition name of day `day`: `logs_p20261126`. */
export function logPartitionName(day: number): string {
  return LOG_PARTITION_PREFIX +
    new Date(day * DAY_MS).toISOString().slice(0, 10).replaceAll("-", "");
}

/** The day of a partition name, or null when it is not a daily partition's. */
export function logPartitionDay(name: string): number | null {
  const m = /^logs_p(\d{4})(\d{2})(\d{2})$/.exec(name);
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return logPartitionName(utcDay(ms)) === name ? utcDay(ms) : null;
}

/** Options of `LogPartitionManager`. */
export interface LogPartitionOptions {
  /** `LOGS_RETENTION`. */
  retentionMs: number;
  daysAhead?: number;
  now: () => number;
  log: Logger;
}

/** What one `maintain()` did. */
export interface LogMaintenanceReport {
  layout: LogLayout;
  search: SearchMode;
  created: string[];
  dropped: string[];
  defaultRows: number;
}

const ALREADY_CREATED = new Set(["42P07", "23505"]);

/** Reads how `logs` is stored; throws when the table is missing (migrations not applied). */
export async function detectLogLayout(db: Db): Promise<LogLayout> {
  const rows = await db.query<{ kind: string }>(
    "SELECT c.relkind::text AS kind FROM pg_class c WHERE c.oid = to_regclass('logs')",
  );
  const kind = rows[0]?.kind;
  if (kind === "p") return "partitioned";
  if (kind === "r" && db.timescale) {
    const ht = await db.query(
      "SELECT 1 AS x FROM timescaledb_information.hypertables WHERE hypertable_name = 'logs'",
    );
    if (ht.length > 0) return "hypertable";
  }
  throw new Error(
    kind === undefined
      ? "logs: table logs does not exist (were the migrations applied?)"
      : "logs: table logs is neither partitioned nor a hypertable",
  );
}

/** Makes, drops and watches the partitions of `logs`, and its search index. */
export class LogPartitionManager {
  readonly #db: Db;
  readonly #o: Required<LogPartitionOptions>;
  #layout: LogLayout | undefined;
  readonly #known = new Set<number>();
  readonly #failed = new Set<number>();

  constructor(db: Db, opts: LogPartitionOptions) {
    if (!(opts.retentionMs >= DAY_MS)) {
      throw new Error(`logs: retention must be at least 1 day, got ${opts.retentionMs} ms`);
    }
    this.#db = db;
    this.#o = { daysAhead: DEFAULT_LOG_DAYS_AHEAD, ...opts };
  }

  /** How `logs` is stored (read once). */
  async layout(): Promise<LogLayout> {
    this.#layout ??= await detectLogLayout(this.#db);
    return this.#layout;
  }

  /** Makes sure partitions from yesterday to `daysAhead` days ahead exist; returns those created. */
  async ensurePartitions(): Promise<string[]> {
    for (const day of this.#failed) this.#known.delete(day);
    this.#failed.clear();
    const today = utcDay(this.#o.now());
    const days: number[] = [];
    for (let d = today - 1; d <= today + this.#o.daysAhead; d++) days.push(d);
    return await this.ensureDays(days);
  }

  /** Makes sure the partitions of `days` exist (cheap for days already seen: ingest calls it per batch). */
  async ensureDays(days: Iterable<number>): Promise<string[]> {
    const missing = [...new Set(days)].filter((d) => !this.#known.has(d));
    if (missing.length === 0) return [];
    if (await this.layout() !== "partitioned") {
      for (const d of missing) this.#known.add(d);
      return [];
    }
    const created: string[] = [];
    for (const day of missing.sort((a, b) => a - b)) {
      const name = logPartitionName(day);
      try {
        if (await this.#create(day)) created.push(name);
      } catch (e) {
        this.#failed.add(day);
        this.#o.log.error("logs: creating partition failed", { partition: name, error: e });
      }
      this.#known.add(day);
    }
    if (created.length > 0) this.#o.log.info("log partitions created", { partitions: created });
    return created;
  }

  async #create(day: number): Promise<boolean> {
    const name = logPartitionName(day);
    try {
      return await this.#db.transaction(async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock(hashtext('miniobserv:log_partitions'))");
        const exists = await tx.query("SELECT 1 AS x WHERE to_regclass($1) IS NOT NULL", [name]);
        if (exists.length > 0) return false;
        await tx.exec(
          `CREATE TABLE ${name} PARTITION OF logs FOR VALUES FROM ('${
            dayStartLiteral(day)
          }') TO ('${dayStartLiteral(day + 1)}')`,
        );
        return true;
      });
    } catch (e) {
      if (ALREADY_CREATED.has(sqlState(e) ?? "")) return false;
      throw new Error(`logs: creating partition ${name}: ${errorMessage(e)}`, { cause: e });
    }
  }

  /** Drops every partition (or chunk) entirely before now − retention; returns their names. */
  async dropExpired(): Promise<string[]> {
    const cutoffMs = this.#o.now() - this.#o.retentionMs;
    if (await this.layout() === "hypertable") {
      const rows = await this.#db.query<{ chunk: string }>(
        "SELECT drop_chunks('logs', older_than => $1::text::timestamptz)::text AS chunk",
        [new Date(cutoffMs).toISOString()],
      );
      const dropped = rows.map((r) => r.chunk);
      if (dropped.length > 0) this.#o.log.info("log chunks dropped", { chunks: dropped });
      return dropped;
    }
    const cutoffDay = utcDay(cutoffMs);
    const rows = await this.#db.query<{ name: string }>(
      `SELECT c.relname AS name FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'logs'::regclass AND c.relname LIKE $1`,
      [`${LOG_PARTITION_PREFIX}%`],
    );
    const dropped: string[] = [];
    for (const { name } of rows) {
      const day = logPartitionDay(name);
      if (day === null || day >= cutoffDay) continue;
      try {
        await this.#db.exec(`DROP TABLE IF EXISTS ${name}`);
      } catch (e) {
        throw new Error(`logs: dropping partition ${name}: ${errorMessage(e)}`, { cause: e });
      }
      this.#known.delete(day);
      dropped.push(name);
    }
    dropped.sort();
    if (dropped.length > 0) this.#o.log.info("log partitions dropped", { partitions: dropped });
    return dropped;
  }

  /** Counts the rows of the DEFAULT partition; warns when there are any. */
  async countDefaultRows(): Promise<number> {
    if (await this.layout() !== "partitioned") return 0;
    const rows = await this.#db.query<{ n: unknown }>(
      `SELECT count(*) AS n FROM ${LOG_DEFAULT_PARTITION}`,
    );
    const n = Number(rows[0]?.n ?? 0);
    if (n > 0) {
      this.#o.log.warn(
        "logs: entries in the default partition (their day had no partition; retention never drops them)",
        { partition: LOG_DEFAULT_PARTITION, rows: n },
      );
    }
    return n;
  }

  /** TimescaleDB: schedules the retention policy on `logs` (replaced when the interval changed). */
  async applyPolicies(): Promise<void> {
    if (await this.layout() !== "hypertable") return;
    const retention = intervalLiteral(this.#o.retentionMs);
    await this.#db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(hashtext('miniobserv:log_policies'))");
      const same = await tx.query(
        `SELECT 1 AS x FROM timescaledb_information.jobs
          WHERE hypertable_name = 'logs' AND proc_name = 'policy_retention'
            AND (config->>'drop_after')::interval = $1::interval`,
        [retention],
      );
      if (same.length > 0) return;
      await tx.query("SELECT remove_retention_policy('logs', if_exists => true)");
      await tx.query("SELECT add_retention_policy('logs', $1::interval)", [retention]);
      this.#o.log.info("logs: timescale retention policy scheduled", { retention });
    });
  }

  /**
   * Makes the trigram index when `pg_trgm` is (or can be) installed and the index is missing;
   * returns how substring search runs. A database that cannot have it keeps scanning.
   */
  async ensureSearchIndex(): Promise<SearchMode> {
    const has = async () =>
      (await this.#db.query("SELECT 1 AS x WHERE to_regclass($1) IS NOT NULL", [LOG_TRGM_INDEX]))
        .length > 0;
    if (await has()) return "trigram";
    const available = await this.#db.query(
      "SELECT installed_version IS NOT NULL AS installed FROM pg_available_extensions WHERE name = 'pg_trgm'",
    );
    if (available.length === 0) {
      this.#o.log.warn(
        "logs: pg_trgm is not available; substring search scans the time range (no trigram index)",
      );
      return "scan";
    }
    try {
      await this.#db.transaction(async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock(hashtext('miniobserv:log_search_index'))");
        await tx.exec("CREATE EXTENSION IF NOT EXISTS pg_trgm");
        await tx.exec(
          `CREATE INDEX IF NOT EXISTS ${LOG_TRGM_INDEX} ON logs USING gin (message gin_trgm_ops)`,
        );
      });
    } catch (e) {
      this.#o.log.warn("logs: cannot make the trigram index; substring search scans", {
        error: errorMessage(e),
      });
      return "scan";
    }
    this.#o.log.info("logs: trigram index made for substring search", { index: LOG_TRGM_INDEX });
    return "trigram";
  }

  /** One pass: policies, partitions ahead, retention, search index, default-partition check. */
  async maintain(): Promise<LogMaintenanceReport> {
    try {
      const layout = await this.layout();
      await this.applyPolicies();
      const created = await this.ensurePartitions();
      const dropped = await this.dropExpired();
      const search = await this.ensureSearchIndex();
      const defaultRows = await this.countDefaultRows();
      return { layout, search, created, dropped, defaultRows };
    } catch (e) {
      throw new Error(`logs: partition maintenance: ${errorMessage(e)}`, { cause: e });
    }
  }
}
