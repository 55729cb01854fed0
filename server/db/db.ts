/**
 * The one small database interface the server's storage speaks, with two drivers:
 * `postgres` (PostgreSQL / TimescaleDB, `postgres_driver.ts`) and PGlite (embedded,
 * `pglite_driver.ts`). The same SQL, with `$1` parameters, runs on both.
 *
 * @example
 * ```ts
 * const rows = await db.query<{ id: number }>("SELECT id FROM series WHERE host = $1", [host]);
 * await db.transaction(async (tx) => {
 *   await tx.query("INSERT INTO hosts (host, first_seen, last_seen) VALUES ($1, $2, $2)", [h, now]);
 *   await tx.copySamples({ time: [Date.now()], seriesId: [1], value: [42] });
 * });
 * ```
 */

/** Which driver is behind a `Db`. */
export type DbKind = "postgres" | "pglite";

/** One result row, keyed by column name. Drivers differ on int8/count (string vs number): cast in SQL or convert with `Number()`. */
export type Row = Record<string, unknown>;

/** Samples in columns (parallel arrays of equal length): the shape both bulk paths want. */
export interface SampleColumns {
  /** Epoch milliseconds. */
  time: number[];
  seriesId: number[];
  value: number[];
}

/**
 * Something that runs SQL: the pool, a pinned session or a transaction.
 * Pass JSON as text and cast it (`$1::text::jsonb`): `postgres` would encode a string
 * parameter of type jsonb a second time.
 */
export interface Queryable {
  /** Runs one statement with `$1`-style parameters and returns its rows. */
  query<T extends Row = Row>(sql: string, params?: readonly unknown[]): Promise<T[]>;
  /** Runs a script of several statements without parameters (migrations). */
  exec(sql: string): Promise<void>;
}

/** An open transaction: everything on it commits or rolls back together. */
export interface Tx extends Queryable {
  /** Bulk-inserts samples into `metric_samples`: binary COPY on PostgreSQL, one unnest INSERT on PGlite. */
  copySamples(rows: SampleColumns): Promise<void>;
}

/** A connection-like scope that can open transactions. */
export interface DbSession extends Queryable {
  /** Runs `fn` in one transaction; commits when it resolves, rolls back when it throws. */
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}

/**
 * A database handle shared by the whole server. Inside `transaction` and `session`, use
 * only the handle passed to `fn`: on PGlite the outer handle waits for `fn` to finish.
 */
export interface Db extends DbSession {
  readonly kind: DbKind;
  /** True when the `timescaledb` extension is installed in the database. */
  readonly timescale: boolean;
  /**
   * Runs `fn` on one pinned connection, for session state such as `pg_advisory_lock`.
   * On PGlite (one connection) nothing else runs meanwhile: keep it short.
   */
  session<T>(fn: (s: DbSession) => Promise<T>): Promise<T>;
  /** Closes every connection; the handle is unusable afterwards. */
  close(): Promise<void>;
}

/** The SQLSTATE of a database error from either driver, or undefined. */
export function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}

/** The message of any thrown value, for error context. */
export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** True when the extension list of the connected database contains `timescaledb`. */
export async function hasTimescale(q: Queryable): Promise<boolean> {
  const rows = await q.query("SELECT 1 AS x FROM pg_extension WHERE extname = 'timescaledb'");
  return rows.length > 0;
}
