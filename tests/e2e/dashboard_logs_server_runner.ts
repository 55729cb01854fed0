/**
 * The server with its dashboard and the log API, for the dashboard's log test while
 * `server/main.ts` does not mount the log routes yet (docs/adr/logs-exactly-once.md,
 * "Wiring"): `main.ts`'s wiring of storage, alerting and the dashboard, plus the log store,
 * broadcaster and routes as the ADR describes. Logs `listening` with the port; SIGTERM stops
 * it. The test uses `server/main.ts` itself as soon as that serves `/api/v1/logs/query`.
 */
import { parseAlertConfig } from "../../server/alerts/alert_config.ts";
import { createAlerting } from "../../server/alerts/setup.ts";
import { loadAlertSettings, loadServerConfig } from "../../server/config.ts";
import { loadDashboardAssets } from "../../server/dashboard/assets.ts";
import { loadDashboardConfig } from "../../server/dashboard/config.ts";
import { SqlFleetReader } from "../../server/dashboard/fleet_reader.ts";
import { createDashboard } from "../../server/dashboard/setup.ts";
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
const dashboardConfig = loadDashboardConfig(env, config.listen);
const alertSettings = loadAlertSettings(env);
const logsConfig = loadLogServerConfig(env);
const log = createLogger(config.logLevel, (l) => console.error(l), Date.now, {
  program: "dashboard-logs-server-runner",
});
const db = await openPostgres(config.databaseUrl!, { log });
await migrate(db, { migrations: await loadMigrations(), log });
const partitions = new PartitionManager(db, {
  retentionMs: config.retentionMs,
  now: Date.now,
  log,
});
await partitions.maintain();
const logPartitions = new LogPartitionManager(db, {
  retentionMs: logsConfig.retentionMs,
  now: Date.now,
  log,
});
await logPartitions.maintain();
const store = new SqlMetricStore(db, { retentionMs: config.retentionMs, log, partitions });
const timers = {
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms) as unknown as number,
  clearTimeout: (id: number) => clearTimeout(id),
};
const alertConfig = parseAlertConfig({
  file: undefined,
  rulesEnv: alertSettings.rulesJson,
  receiversEnv: alertSettings.receiversJson,
});
const alerting = createAlerting({
  db,
  initial: alertConfig,
  load: () => Promise.resolve(alertConfig),
  evalIntervalMs: alertSettings.evalIntervalMs,
  repeatIntervalMs: alertSettings.repeatIntervalMs,
  hostDownAfterMs: config.hostDownAfterMs,
  retentionMs: config.retentionMs,
  externalUrl: alertSettings.externalUrl,
  replica: `runner:${Deno.pid}`,
  fetch,
  now: Date.now,
  random: Math.random,
  newId: () => crypto.randomUUID(),
  log,
  timers,
});
const dashboard = createDashboard({
  config: dashboardConfig,
  secret: config.agentToken,
  assets: await loadDashboardAssets((url) => Deno.readFile(url)),
  store,
  reader: new SqlFleetReader(db),
  alerting: alerting.api,
  thresholds: { staleAfterMs: config.hostStaleAfterMs, downAfterMs: config.hostDownAfterMs },
  now: Date.now,
  timers,
  log,
});
const app = createApp({
  store,
  secret: config.agentToken,
  now: Date.now,
  log,
  newRequestId: () => crypto.randomUUID(),
  alerting: alerting.api,
  dashboard: dashboard.setup,
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
alerting.runtime.start();
Deno.addSignalListener("SIGTERM", async () => {
  dashboard.stop();
  await server.shutdown();
  await alerting.runtime.stop();
  await db.close();
  Deno.exit(0);
});
