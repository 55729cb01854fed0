/**
 * The storage backends every storage test runs on, and that other tests (HTTP handlers)
 * reuse to run on real storage: PGlite in memory, real PostgreSQL (`TEST_DATABASE_URL`,
 * one fresh database per `open()`, dropped on `close()`), and TimescaleDB (the PGlite
 * build with the extension).
 *
 * @example
 * ```ts
 * for (const backend of BACKENDS) {
 *   Deno.test({ name: `${backend.name}: ingest`, ignore: !!backend.skip, fn: async () => {
 *     const s = await backend.open();
 *     try { await s.store.ingest(batch, "0.1.0", new Date()); } finally { await s.close(); }
 *   } });
 * }
 * ```
 */
import { type Logger, silentLogger } from "../../../shared/log.ts";
import type { Db } from "../../../server/db/db.ts";
import { loadMigrations, migrate } from "../../../server/db/migrate.ts";
import { openPglite, openTimescalePglite } from "../../../server/db/pglite_driver.ts";
import { openPostgres } from "../../../server/db/postgres_driver.ts";
import { PartitionManager } from "../../../server/storage/partitions.ts";
import { SqlMetricStore } from "../../../server/storage/sql_metric_store.ts";

/** Retention used when a test does not choose one: 30 days. */
export const TEST_RETENTION_MS = 30 * 86_400_000;

/** The PostgreSQL server tests use, from `TEST_DATABASE_URL`; undefined when unset. */
export const TEST_DATABASE_URL: string | undefined = Deno.env.get("TEST_DATABASE_URL") ||
  undefined;

/** Why PostgreSQL tests are skipped, or undefined when they run. */
export const POSTGRES_SKIP: string | undefined = TEST_DATABASE_URL
  ? undefined
  : "TEST_DATABASE_URL is not set (e.g. postgres://postgres@127.0.0.1:5432/test); PostgreSQL tests skipped";

/** Options of `Backend.open`. */
export interface OpenOptions {
  /** Default `TEST_RETENTION_MS`. */
  retentionMs?: number;
  /** The store's and partition manager's clock; default `Date.now`. */
  now?: () => number;
  /** Default `silentLogger`. */
  log?: Logger;
}

/** An empty database of one backend, migrations not applied. */
export interface OpenedDb {
  db: Db;
  /** Another connection (pool) to the same database; PGlite has only the one. */
  connectAgain(): Promise<Db>;
  close(): Promise<void>;
}

/** A migrated database with a store and a partition manager on it. */
export interface OpenedStore {
  db: Db;
  /** Another connection (pool) to the same database; PGlite has only the one. */
  connectAgain(): Promise<Db>;
  store: SqlMetricStore;
  partitions: PartitionManager;
  close(): Promise<void>;
}

/** One storage backend. */
export interface Backend {
  name: "pglite" | "postgres" | "timescaledb";
  /** Set when this backend cannot run here, with the reason; use as `ignore: !!skip`. */
  skip?: string;
  /** A fresh, empty database. */
  openDb(): Promise<OpenedDb>;
  /** A fresh database, migrated, with a `SqlMetricStore` and a `PartitionManager`. */
  open(opts?: OpenOptions): Promise<OpenedStore>;
}

async function openFreshPostgres(): Promise<OpenedDb> {
  if (!TEST_DATABASE_URL) throw new Error(POSTGRES_SKIP);
  const admin = await openPostgres(TEST_DATABASE_URL, { log: silentLogger, max: 1 });
  const name = `miniobserv_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  await admin.exec(`CREATE DATABASE ${name}`);
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  const extra: Db[] = [];
  const connectAgain = async () => {
    const db = await openPostgres(url.href, { log: silentLogger, max: 4 });
    extra.push(db);
    return db;
  };
  const db = await openPostgres(url.href, { log: silentLogger });
  return {
    db,
    connectAgain,
    close: async () => {
      for (const d of [db, ...extra]) await d.close();
      try {
        await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await admin.close();
      }
    },
  };
}

function singleConnection(open: () => Promise<Db>): () => Promise<OpenedDb> {
  return async () => {
    const db = await open();
    return {
      db,
      connectAgain: () => Promise.resolve(db),
      close: () => db.close(),
    };
  };
}

function withStore(openDb: () => Promise<OpenedDb>) {
  return async (opts: OpenOptions = {}): Promise<OpenedStore> => {
    const opened = await openDb();
    try {
      const log = opts.log ?? silentLogger;
      const retentionMs = opts.retentionMs ?? TEST_RETENTION_MS;
      const now = opts.now ?? Date.now;
      await migrate(opened.db, { migrations: await loadMigrations(), log });
      const partitions = new PartitionManager(opened.db, { retentionMs, now, log });
      const store = new SqlMetricStore(opened.db, { retentionMs, now, log, partitions });
      return {
        db: opened.db,
        connectAgain: opened.connectAgain,
        store,
        partitions,
        close: opened.close,
      };
    } catch (e) {
      await opened.close();
      throw e;
    }
  };
}

function backend(name: Backend["name"], openDb: () => Promise<OpenedDb>, skip?: string): Backend {
  return { name, skip, openDb, open: withStore(openDb) };
}

/** PGlite in memory, real PostgreSQL and TimescaleDB PGlite, in that order. */
export const BACKENDS: readonly Backend[] = [
  backend("pglite", singleConnection(() => openPglite())),
  backend("postgres", openFreshPostgres, POSTGRES_SKIP),
  backend("timescaledb", singleConnection(() => openTimescalePglite())),
];

/** The backend named `name`. */
export function backendNamed(name: Backend["name"]): Backend {
  return BACKENDS.find((b) => b.name === name)!;
}
