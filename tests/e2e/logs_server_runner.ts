/**
 * A server for the log end-to-end tests until `server/main.ts` mounts the log routes: the same
 * wiring the composition root is to do (see the README's logs section): PostgreSQL from
 * `DATABASE_URL`, migrations, `LogPartitionManager.maintain()`, `createApp` with
 * `logsRoutes(…)` mounted, `Deno.serve` on `LISTEN_ADDR`. Logs `listening` with the port;
 * SIGTERM stops it.
 */
import { loadServerConfig } from "../../server/config.ts";
import { loadMigrations, migrate } from "../../server/db/migrate.ts";
import { openPostgres } from "../../server/db/postgres_driver.ts";
import { createApp } from "../../server/http/app.ts";
import { DEFAULT_BODY_LIMIT_BYTES } from "../../server/http/deps.ts";
import { logsRoutes } from "../../server/http/routes/logs.ts";
import { LogBroadcaster } from "../../server/logs/broadcaster.ts";
import { loadLogServerConfig } from "../../server/logs/config.ts";
import { LogPartitionManager } from "../../server/logs/log_partitions.ts";
import { SqlLogStore } from "../../server/logs/sql_log_store.ts";
import { PartitionManager } from "../../server/storage/partitions.ts";
import { SqlMetricStore } from "../../server/storage/sql_metric_store.ts";
import { createLogger } from "../../shared/log.ts";

const env = Deno.env.toObject();
const config = loadServerConfig(env);
const logsConfig = loadLogServerConfig(env);
const log = createLogger(config.logLevel, (l) => console.error(l), Date.now, {
  program: "logs-server-runner",
});
const db = await openPostgres(config.databaseUrl!, { log });
await migrate(db, { migrations: await loadMigrations(), log });
const logPartitions = new LogPartitionManager(db, {
  retentionMs: logsConfig.retentionMs,
  now: Date.now,
  log,
});
log.info("log maintenance", { ...(await logPartitions.maintain()) });
const partitions = new PartitionManager(db, {
  retentionMs: config.retentionMs,
  now: Date.now,
  log,
});
const store = new SqlMetricStore(db, { retentionMs: config.retentionMs, log, partitions });
const app = createApp({
  store,
  secret: config.agentToken,
  now: Date.now,
  log,
  newRequestId: () => crypto.randomUUID(),
  config: {
    retentionMs: config.retentionMs,
    hostStaleAfterMs: config.hostStaleAfterMs,
    hostDownAfterMs: config.hostDownAfterMs,
    requestTimeoutMs: config.requestTimeoutMs,
  },
});
app.route(
  "/",
  logsRoutes({
    store: new SqlLogStore(db, {
      retentionMs: logsConfig.retentionMs,
      partitions: logPartitions,
      log,
    }),
    broadcaster: new LogBroadcaster({ maxSubscribers: logsConfig.streamMaxClients }),
    secret: config.agentToken,
    now: Date.now,
    bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES,
  }),
);
const server = Deno.serve({
  hostname: config.listen.hostname,
  port: config.listen.port,
  onListen: ({ hostname, port }) => log.info("listening", { hostname, port }),
}, app.fetch);
Deno.addSignalListener("SIGTERM", async () => {
  await server.shutdown();
  await db.close();
  Deno.exit(0);
});
