/**
 * A `Db` decorator that times every statement by operation, and counts failures, around
 * the real driver in `main.ts`. Operations are the statement's verb (a bounded set, see
 * `DB_OPERATIONS`); a whole transaction is also timed as `transaction`. The overhead is
 * two clock reads and one histogram update per statement.
 *
 * @example
 * ```ts
 * const db = instrumentDb(await openPostgres(url, opts), serverMetrics);
 * ```
 */
import type { Db, DbSession, Queryable, Row, SampleColumns, Tx } from "../db/db.ts";
import type { DbOperation, ServerMetrics } from "./server_metrics.ts";

type DbMetrics = Pick<ServerMetrics, "dbQueryDuration" | "dbQueryErrors">;

const VERBS: Readonly<Record<string, DbOperation>> = {
  select: "select",
  insert: "insert",
  update: "update",
  delete: "delete",
  copy: "copy",
  create: "ddl",
  alter: "ddl",
  drop: "ddl",
  truncate: "ddl",
  comment: "ddl",
};

/** The operation of a statement: its first verb (the main verb after a `WITH`), bounded. */
export function sqlOperation(sql: string): DbOperation {
  const text = sql.replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, " ").trimStart();
  const first = /^\(*\s*([a-zA-Z]+)/.exec(text)?.[1]?.toLowerCase() ?? "";
  if (first === "with") {
    // The statement after the CTEs decides; a data-modifying CTE counts as that verb.
    const verb = /\b(insert|update|delete)\b/i.exec(text)?.[1]?.toLowerCase();
    return verb ? VERBS[verb] : "select";
  }
  return VERBS[first] ?? "other";
}

type Clock = () => number;

async function timed<T>(
  m: DbMetrics,
  elapsed: Clock,
  operation: DbOperation,
  run: () => Promise<T>,
): Promise<T> {
  const started = elapsed();
  try {
    return await run();
  } catch (e) {
    m.dbQueryErrors.inc({ operation });
    throw e;
  } finally {
    m.dbQueryDuration.observe({ operation }, (elapsed() - started) / 1000);
  }
}

function queryable(q: Queryable, m: DbMetrics, elapsed: Clock): Queryable {
  return {
    query: <T extends Row = Row>(sql: string, params?: readonly unknown[]) =>
      timed(m, elapsed, sqlOperation(sql), () => q.query<T>(sql, params)),
    exec: (sql: string) => timed(m, elapsed, sqlOperation(sql), () => q.exec(sql)),
  };
}

function tx(t: Tx, m: DbMetrics, elapsed: Clock): Tx {
  return {
    ...queryable(t, m, elapsed),
    copySamples: (rows: SampleColumns) => timed(m, elapsed, "copy", () => t.copySamples(rows)),
  };
}

function session(s: DbSession, m: DbMetrics, elapsed: Clock): DbSession {
  return {
    ...queryable(s, m, elapsed),
    transaction: <T>(fn: (t: Tx) => Promise<T>) =>
      timed(m, elapsed, "transaction", () => s.transaction((t) => fn(tx(t, m, elapsed)))),
  };
}

/** Wraps `db` so every statement is timed; `elapsed` is a monotonic clock in ms. */
export function instrumentDb(
  db: Db,
  m: DbMetrics,
  elapsed: Clock = () => performance.now(),
): Db {
  return {
    ...session(db, m, elapsed),
    get kind() {
      return db.kind;
    },
    get timescale() {
      return db.timescale;
    },
    session: <T>(fn: (s: DbSession) => Promise<T>) => db.session((s) => fn(session(s, m, elapsed))),
    close: () => db.close(),
  };
}
