/**
 * The MiniObserv HTTP server as the benchmarks run it, in its own process: `createApp`
 * over `SqlMetricStore` and `SqlLogStore` (the metric and log routes, wired as `server/main.ts`
 * wires them, without alerting, dashboard and self-metrics) on PostgreSQL (`--database-url URL`)
 * or on in-memory PGlite (`--pglite`), migrated at start, listening on 127.0.0.1 on a free port.
 *
 * Prints one line `{"port":N}` on stdout once listening; shuts down when its stdin closes
 * (so it never outlives the benchmark that started it). The agent secret comes from
 * `MINIOBSERV_BENCH_SECRET`. Logs (level `LOG_LEVEL`, default warn) go to stderr.
 */
import { parseArgs } from "node:util";
import type { Db } from "../../server/db/db.ts";
import { loadMigrations, migrate } from "../../server/db/migrate.ts";
import { openPglite } from "../../server/db/pglite_driver.ts";
import { openPostgres } from "../../server/db/postgres_driver.ts";
import { createApp } from "../../server/http/app.ts";
import { LogBroadcaster } from "../../server/logs/broadcaster.ts";
import { LOG_SERVER_DEFAULTS } from "../../server/logs/config.ts";
import { LogPartitionManager } from "../../server/logs/log_partitions.ts";
import { SqlLogStore } from "../../server/logs/sql_log_store.ts";
import { SqlMetricStore } from "../../server/storage/sql_metric_store.ts";
import { createLogger, isLogLevel } from "../../shared/log.ts";

/** The retention the benchmark server runs with (the server's default). */
export const BENCH_RETENTION_MS = 30 * 86_400_000;
/** The log retention the benchmark server runs with (the server's default `LOGS_RETENTION`). */
export const BENCH_LOG_RETENTION_MS = LOG_SERVER_DEFAULTS.retentionMs;

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: { "database-url": { type: "string" }, pglite: { type: "boolean", default: false } },
  });
  const secret = Deno.env.get("MINIOBSERV_BENCH_SECRET");
  if (!secret) throw new Error("bench server: MINIOBSERV_BENCH_SECRET is not set");
  const level = Deno.env.get("LOG_LEVEL") ?? "warn";
  const log = createLogger(isLogLevel(level) ? level : "warn", (line) => console.error(line));
  let db: Db;
  if (values.pglite) db = await openPglite();
  else if (values["database-url"]) db = await openPostgres(values["database-url"], { log });
  else throw new Error("bench server: give --database-url URL or --pglite");

  await migrate(db, { migrations: await loadMigrations(), log });
  const store = new SqlMetricStore(db, { retentionMs: BENCH_RETENTION_MS, log });
  // Partitions of the days ingested are made on demand by `ingest`; no periodic maintenance.
  const logPartitions = new LogPartitionManager(db, {
    retentionMs: BENCH_LOG_RETENTION_MS,
    now: Date.now,
    log,
  });
  const logStore = new SqlLogStore(db, {
    retentionMs: BENCH_LOG_RETENTION_MS,
    partitions: logPartitions,
    log,
  });
  const app = createApp({
    store,
    secret,
    now: Date.now,
    log,
    config: {
      retentionMs: BENCH_RETENTION_MS,
      hostStaleAfterMs: 30_000,
      hostDownAfterMs: 60_000,
      requestTimeoutMs: 30_000,
    },
    newRequestId: () => crypto.randomUUID(),
    logs: {
      store: logStore,
      broadcaster: new LogBroadcaster({ maxSubscribers: LOG_SERVER_DEFAULTS.streamMaxClients }),
    },
  });
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: ({ port }) => console.log(JSON.stringify({ port })),
  }, app.fetch);

  // Stdin closing (the benchmark finished or died) is the signal to stop.
  for await (const _ of Deno.stdin.readable) { /* drain until EOF */ }
  await server.shutdown();
  await db.close();
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    console.error(`bench server: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    Deno.exit(1);
  }
}
