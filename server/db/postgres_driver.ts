/**
 * The `Db` driver for PostgreSQL (and TimescaleDB) over the `postgres` library: a pool of
 * prepared-statement connections whose sockets have TCP_NODELAY on, and binary COPY for
 * samples.
 */
import postgres from "postgres";
import type { Logger } from "../../shared/log.ts";
import {
  type Db,
  type DbSession,
  errorMessage,
  hasTimescale,
  type Row,
  type SampleColumns,
  type Tx,
} from "./db.ts";
import { COPY_SAMPLES_SQL, encodeSamplesBinary } from "./copy_binary.ts";
import { type ConnectFn, type NoDelaySocket, noDelaySocketFactory } from "./nodelay_socket.ts";

/** Default pool size: enough for concurrent ingest and queries without crowding `max_connections`. */
export const DEFAULT_POOL_SIZE = 10;

/** Options of `openPostgres`. */
export interface PostgresOptions {
  log: Logger;
  /** Pool size; default `DEFAULT_POOL_SIZE`. */
  max?: number;
  /** Replaces `net.connect` (tests spy on it to prove TCP_NODELAY is requested). */
  connect?: ConnectFn<NoDelaySocket>;
  /** `application_name` shown in `pg_stat_activity`; default `miniobserv`. */
  applicationName?: string;
}

type Sql = postgres.Sql;

/**
 * Runs one prepared statement; rows come back as a plain array (not postgres' `Result`).
 *
 * The library's `Result` is emptied once copied. Measured under Deno, the library's query
 * objects, and through them their results, survive young-generation GCs until the next full GC
 * (the retaining path is inside the library or Deno's Node compatibility layer), so every row of
 * every recent query was copied and promoted: 40–54 % of what a query allocated survived each
 * scavenge, and scavenges paused 5–15 ms. Emptied, ~2 % survive and scavenges mostly stay under
 * 2.5 ms (bench/logs.ts: deep log page p99 over HTTP ≈ 6 → ≈ 4 ms).
 */
async function run<T extends Row>(
  sql: Sql,
  text: string,
  params?: readonly unknown[],
): Promise<T[]> {
  const result = await sql.unsafe(text, (params ?? []) as postgres.ParameterOrJSON<never>[], {
    prepare: true,
  });
  const rows = Array.from(result) as unknown as T[];
  result.length = 0;
  return rows;
}

async function execScript(sql: Sql, text: string): Promise<void> {
  await sql.unsafe(text).simple();
}

/**
 * Streams a binary COPY on `sql` and resolves once the server confirmed it.
 * The library drops a server error that arrives after the stream has ended (the COPY then
 * never completes), so the error is caught from the query's own reject hook as well.
 */
async function copyBinary(sql: Sql, payload: Uint8Array): Promise<void> {
  const query = sql.unsafe(COPY_SAMPLES_SQL) as unknown as {
    reject: (e: unknown) => void;
    writable(): Promise<NodeJS.WritableStream>;
  };
  let fail!: (e: unknown) => void;
  const failed = new Promise<never>((_, reject) => (fail = reject));
  failed.catch(() => {});
  const reject = query.reject;
  query.reject = (e) => {
    fail(e);
    reject(e);
  };
  const stream = await Promise.race([query.writable(), failed]);
  stream.on("error", fail);
  const done = new Promise<void>((resolve) => stream.end(payload, () => resolve()));
  await Promise.race([done, failed]);
}

function txOf(sql: Sql): Tx {
  return {
    query: (text, params) => run(sql, text, params),
    exec: (text) => execScript(sql, text),
    copySamples: async (rows: SampleColumns) => {
      if (rows.time.length === 0) return;
      try {
        await copyBinary(sql, encodeSamplesBinary(rows));
      } catch (e) {
        throw new Error(`db: copy of ${rows.time.length} samples failed: ${errorMessage(e)}`, {
          cause: e,
        });
      }
    },
  };
}

/** A transaction on a reserved connection, where `sql.begin` is not available. */
async function reservedTransaction<T>(sql: postgres.ReservedSql, fn: (tx: Tx) => Promise<T>) {
  await sql.unsafe("BEGIN");
  try {
    const result = await fn(txOf(sql));
    await sql.unsafe("COMMIT");
    return result;
  } catch (e) {
    await sql.unsafe("ROLLBACK").catch(() => {});
    throw e;
  }
}

/** Opens a pooled connection to `url` (a `postgres://` URL); checks it answers and whether TimescaleDB is installed. */
export async function openPostgres(url: string, opts: PostgresOptions): Promise<Db> {
  const log = opts.log;
  const sql = postgres(url, {
    max: opts.max ?? DEFAULT_POOL_SIZE,
    prepare: true,
    onnotice: (n) => log.debug("postgres notice", { severity: n.severity, notice: n.message }),
    connection: { application_name: opts.applicationName ?? "miniobserv" },
    // `socket` is supported by postgres 3.4 but missing from its type declarations.
    ...({ socket: noDelaySocketFactory(opts.connect) } as Record<string, unknown>),
  });
  let timescale: boolean;
  try {
    timescale = await hasTimescale({
      query: (text, params) => run(sql, text, params),
      exec: (text) => execScript(sql, text),
    });
  } catch (e) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw new Error(`db: connecting to PostgreSQL failed: ${errorMessage(e)}`, { cause: e });
  }
  const session: DbSession = {
    query: (text, params) => run(sql, text, params),
    exec: (text) => execScript(sql, text),
    transaction: <T>(fn: (tx: Tx) => Promise<T>) =>
      sql.begin((tx) => fn(txOf(tx as unknown as Sql))) as Promise<T>,
  };
  return {
    kind: "postgres",
    timescale,
    ...session,
    session: async (fn) => {
      const reserved = await sql.reserve();
      try {
        return await fn({
          query: (text, params) => run(reserved, text, params),
          exec: (text) => execScript(reserved, text),
          transaction: (inner) => reservedTransaction(reserved, inner),
        });
      } finally {
        reserved.release();
      }
    },
    close: () => sql.end({ timeout: 5 }),
  };
}
