/**
 * `LogStore` over the `Db` interface, the same SQL on PostgreSQL, TimescaleDB and PGlite.
 *
 * Ingest: one `INSERT … SELECT FROM unnest(…) ON CONFLICT DO NOTHING` per batch (arrays as
 * parameters: one round trip, and no COPY, which cannot skip duplicates). The unique index
 * `(host, time, file_id, file_offset)` drops lines already stored, whichever request or replica
 * stored them. Entries older than the retention or too far in the future are not stored and
 * counted instead.
 *
 * @example
 * ```ts
 * const store = new SqlLogStore(db, { retentionMs, partitions, log });
 * const { stored, duplicates } = await store.ingest(batch, new Date());
 * const page = await store.search({ q: "timeout", host: null, minLevel: "warn", …, limit: 100, after: null });
 * ```
 */
import type { Logger } from "../../shared/log.ts";
import type { LogBatch } from "../../shared/log_entry.ts";
import { levelOfRank, levelRank } from "../../shared/log_levels.ts";
import { type Db, errorMessage } from "../db/db.ts";
import { utcDay } from "../storage/days.ts";
import type { LogPartitionManager } from "./log_partitions.ts";
import type {
  LogIngestResult,
  LogSearch,
  LogSearchPage,
  LogStore,
  StoredLogEntry,
} from "./log_store.ts";
import { buildSearchSql } from "./search_sql.ts";
import { isoToMicros, microsToIso } from "./time.ts";

/** How far ahead of the server's clock an entry may be stamped. */
export const LOG_MAX_FUTURE_MS = 10 * 60 * 1000;

/** Options of `SqlLogStore`. */
export interface SqlLogStoreOptions {
  retentionMs: number;
  partitions: LogPartitionManager;
  log: Logger;
}

/** The one ingest statement; the RETURNING columns map stored rows back to the batch. */
export const INSERT_LOGS_SQL = `INSERT INTO logs
    (time, host, source, level, file_id, file_offset, truncated, received_at, message)
  SELECT u.t::timestamptz, $1, u.s, u.l, u.f, u.o, u.tr::bool, $2::text::timestamptz, u.m
  FROM unnest($3::text[], $4::text[], $5::int2[], $6::text[], $7::int8[], $8::text[], $9::text[])
    AS u(t, s, l, f, o, tr, m)
  ON CONFLICT DO NOTHING
  RETURNING id::text AS id, floor(extract(epoch FROM time) * 1000000)::int8::text AS time_us,
    file_id, file_offset::text AS file_offset`;

/** A row of `ENTRY_COLUMNS`. */
interface EntryRow {
  id: string;
  time_us: string;
  host: string;
  source: string;
  level: number | string;
  message: string;
  file_id: string;
  file_offset: string;
  truncated: boolean;
  [k: string]: unknown;
}

/** A stored row as an entry. */
export function entryOfRow(r: EntryRow): StoredLogEntry {
  return {
    id: BigInt(r.id),
    timeUs: BigInt(r.time_us),
    host: r.host,
    source: r.source,
    level: levelOfRank(Number(r.level)),
    message: r.message,
    file: r.file_id,
    offset: Number(r.file_offset),
    truncated: r.truncated === true,
  };
}

/** Log storage on PostgreSQL, TimescaleDB or PGlite. */
export class SqlLogStore implements LogStore {
  readonly #db: Db;
  readonly #o: SqlLogStoreOptions;

  constructor(db: Db, opts: SqlLogStoreOptions) {
    this.#db = db;
    this.#o = opts;
  }

  async ingest(batch: LogBatch, receivedAt: Date): Promise<LogIngestResult> {
    try {
      return await this.#ingest(batch, receivedAt);
    } catch (e) {
      throw new Error(`logs: ingest of batch ${batch.id} from ${batch.host}: ${errorMessage(e)}`, {
        cause: e,
      });
    }
  }

  async #ingest(batch: LogBatch, receivedAt: Date): Promise<LogIngestResult> {
    const nowMs = receivedAt.getTime();
    const oldestUs = BigInt(nowMs - this.#o.retentionMs) * 1000n;
    const latestUs = BigInt(nowMs + LOG_MAX_FUTURE_MS) * 1000n;
    const t: string[] = [], s: string[] = [], l: number[] = [], f: string[] = [];
    const o: string[] = [], tr: string[] = [], m: string[] = [];
    const byKey = new Map<string, StoredLogEntry>();
    const days = new Set<number>();
    let tooOld = 0;
    let future = 0;
    for (const e of batch.entries) {
      const us = isoToMicros(e.time);
      if (us < oldestUs) {
        tooOld++;
        continue;
      }
      if (us > latestUs) {
        future++;
        continue;
      }
      const key = `${us}|${e.file}|${e.offset}`;
      if (byKey.has(key)) continue; // the same line twice in one request
      const iso = microsToIso(us);
      byKey.set(key, {
        id: 0n,
        timeUs: us,
        host: batch.host,
        source: e.source,
        level: e.level,
        message: e.message,
        file: e.file,
        offset: e.offset,
        truncated: e.truncated === true,
      });
      days.add(utcDay(Number(us / 1000n)));
      t.push(iso);
      s.push(e.source);
      l.push(levelRank(e.level));
      f.push(e.file);
      o.push(String(e.offset));
      tr.push(e.truncated ? "t" : "f");
      m.push(e.message);
    }
    if (tooOld > 0 || future > 0) {
      this.#o.log.warn("logs: entries outside the accepted time window were not stored", {
        host: batch.host,
        batch: batch.id,
        older_than_retention: tooOld,
        too_far_in_future: future,
      });
    }
    if (t.length === 0) return { stored: [], duplicates: 0, tooOld, future };
    await this.#o.partitions.ensureDays(days);
    const rows = await this.#db.query<
      { id: string; time_us: string; file_id: string; file_offset: string }
    >(
      INSERT_LOGS_SQL,
      [batch.host, receivedAt.toISOString(), t, s, l, f, o, tr, m],
    );
    const stored: StoredLogEntry[] = [];
    for (const r of rows) {
      const e = byKey.get(`${r.time_us}|${r.file_id}|${r.file_offset}`);
      if (!e) continue;
      e.id = BigInt(r.id);
      stored.push(e);
    }
    stored.sort((
      a,
      b,
    ) => (a.timeUs < b.timeUs ? -1 : a.timeUs > b.timeUs ? 1 : Number(a.id - b.id)));
    return {
      stored,
      duplicates: batch.entries.length - tooOld - future - rows.length,
      tooOld,
      future,
    };
  }

  async search(search: LogSearch): Promise<LogSearchPage> {
    const { sql, params } = buildSearchSql(search);
    let rows: EntryRow[];
    try {
      rows = await this.#db.query<EntryRow>(sql, params);
    } catch (e) {
      throw new Error(`logs: search: ${errorMessage(e)}`, { cause: e });
    }
    const more = rows.length > search.limit;
    const entries = (more ? rows.slice(0, search.limit) : rows).map(entryOfRow);
    const last = entries.at(-1);
    return { entries, next: more && last ? { timeUs: last.timeUs, id: last.id } : null };
  }
}
