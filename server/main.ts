/**
 * The server's composition root: the only place that reads the environment, opens the
 * database and the listening socket, and wires real implementations together.
 *
 * Start-up: validate configuration (exit 78 with a message naming the variable), open
 * PostgreSQL (`DATABASE_URL`) or the embedded PGlite (`MINIOBSERV_DATA_DIR/pglite`), apply
 * migrations, run partition maintenance (then hourly), load and validate the alert rules and
 * receivers, start alerting (evaluation and delivery run on the replica holding the leader
 * lock), build the web dashboard (its settings validated with the rest; its static files read
 * once), listen. SIGHUP reloads the alert configuration (a bad one is refused and the old one
 * kept). SIGTERM/SIGINT: stop accepting, let requests in flight finish within
 * `SHUTDOWN_TIMEOUT`, stop alerting, close the database.
 */
import { ConfigError } from "../shared/config_env.ts";
import { createLogger, type Logger } from "../shared/log.ts";
import { VERSION } from "../shared/version.ts";
import { type AlertConfig, AlertConfigError, parseAlertConfig } from "./alerts/alert_config.ts";
import { createAlerting } from "./alerts/setup.ts";
import { loadDashboardAssets } from "./dashboard/assets.ts";
import { type DashboardConfig, loadDashboardConfig } from "./dashboard/config.ts";
import { SqlFleetReader } from "./dashboard/fleet_reader.ts";
import { createDashboard } from "./dashboard/setup.ts";
import {
  type AlertSettings,
  loadAlertSettings,
  loadServerConfig,
  type ServerConfig,
} from "./config.ts";
import type { Db } from "./db/db.ts";
import { loadMigrations, migrate } from "./db/migrate.ts";
import { openPglite } from "./db/pglite_driver.ts";
import { openPostgres } from "./db/postgres_driver.ts";
import { createApp } from "./http/app.ts";
import type { LeaderLock } from "./leader/leader_lock.ts";
import { startPeriodic } from "./periodic.ts";
import { PartitionManager } from "./storage/partitions.ts";
import { SqlMetricStore } from "./storage/sql_metric_store.ts";
import { LogBroadcaster } from "./logs/broadcaster.ts";
import { loadLogServerConfig, type LogServerConfig } from "./logs/config.ts";
import { LogPartitionManager } from "./logs/log_partitions.ts";
import { SqlLogStore } from "./logs/sql_log_store.ts";
import { loadServerTelemetryConfig, type ServerTelemetryConfig } from "./telemetry/config.ts";
import { instrumentDb } from "./telemetry/instrument_db.ts";
import { instrumentLogStore, instrumentMetricStore } from "./telemetry/instrument_store.ts";
import {
  alertInstanceCounts,
  createServerTelemetry,
  hostStatusCounts,
} from "./telemetry/telemetry.ts";
import { canReadProcSelfFd } from "../shared/telemetry/process_metrics.ts";
import { createFdReader } from "../shared/telemetry/open_fds.ts";

/** Exit status for an invalid configuration (EX_CONFIG). */
const EXIT_CONFIG = 78;
/** How often partitions are made ahead and expired ones dropped. */
const MAINTENANCE_INTERVAL_MS = 3_600_000;

function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparseable)";
  }
}

async function openDatabase(config: ServerConfig, log: Logger): Promise<Db> {
  if (config.databaseUrl) {
    log.info("database: PostgreSQL", { url: redactUrl(config.databaseUrl) });
    return await openPostgres(config.databaseUrl, { log: log.child({ component: "db" }) });
  }
  const dir = `${config.dataDir.replace(/\/+$/, "")}/pglite`;
  await Deno.mkdir(dir, { recursive: true });
  log.info("database: embedded PGlite (set DATABASE_URL to use PostgreSQL)", { dataDir: dir });
  return await openPglite(dir);
}

/** Reads the rules file (when set) and validates every alerting source. */
async function readAlertConfig(settings: AlertSettings): Promise<AlertConfig> {
  let file: { path: string; text: string } | undefined;
  if (settings.rulesFile !== undefined) {
    try {
      file = { path: settings.rulesFile, text: await Deno.readTextFile(settings.rulesFile) };
    } catch (e) {
      throw new AlertConfigError(
        `ALERT_RULES_FILE ${settings.rulesFile}: cannot be read: ${(e as Error).message}`,
      );
    }
  }
  return parseAlertConfig({
    file,
    rulesEnv: settings.rulesJson,
    receiversEnv: settings.receiversJson,
  });
}

async function main(): Promise<number> {
  let config: ServerConfig;
  let alertSettings: AlertSettings;
  let alertConfig: AlertConfig;
  let telemetryConfig: ServerTelemetryConfig;
  let logsConfig: LogServerConfig;
  let dashboardConfig: DashboardConfig;
  try {
    const env = Deno.env.toObject();
    config = loadServerConfig(env);
    dashboardConfig = loadDashboardConfig(env, config.listen);
    alertSettings = loadAlertSettings(env);
    telemetryConfig = loadServerTelemetryConfig(env);
    logsConfig = loadLogServerConfig(env);
    alertConfig = await readAlertConfig(alertSettings);
  } catch (e) {
    if (e instanceof ConfigError || e instanceof AlertConfigError) {
      console.error(`miniobserv-server: configuration error: ${e.message}`);
      return EXIT_CONFIG;
    }
    throw e;
  }
  const log = createLogger(config.logLevel, (line) => console.error(line), Date.now, {
    program: "miniobserv-server",
  });
  log.info("starting", { version: VERSION });
  const telemetryLog = log.child({ component: "telemetry" });
  const procFdReadable = canReadProcSelfFd();
  const telemetry = createServerTelemetry({
    version: VERSION,
    runtimeVersion: Deno.version.deno,
    procFdReadable,
    // Deno reads /proc/self/fd only with --allow-all; the server runs `ls` and `getconf`
    // instead (--allow-run=ls,getconf; why these: shared/telemetry/open_fds.ts).
    fdReader: procFdReadable ? null : createFdReader({
      pid: Deno.pid,
      onError: (metric, e) =>
        telemetryLog.warn(`${metric}: reading it failed; left out of /metrics while it fails`, {
          error: e.message,
        }),
    }),
    snapshotIntervalMs: telemetryConfig.snapshotIntervalMs,
    now: Date.now,
    log: telemetryLog,
  });
  telemetry.start();

  const db = instrumentDb(await openDatabase(config, log), telemetry.metrics);
  const migrated = await migrate(db, { migrations: await loadMigrations(), log });
  log.info("migrations", { applied: migrated.applied, timescale: db.timescale });

  const partitions = new PartitionManager(db, {
    retentionMs: config.retentionMs,
    compressAfterMs: config.compressAfterMs,
    now: Date.now,
    log: log.child({ component: "partitions" }),
  });
  const logPartitions = new LogPartitionManager(db, {
    retentionMs: logsConfig.retentionMs,
    now: Date.now,
    log: log.child({ component: "log-partitions" }),
  });
  const maintain = async () => {
    const r = await partitions.maintain().catch((e) => {
      telemetry.metrics.partitionMaintenanceFailures.inc();
      throw e;
    });
    telemetry.metrics.recordMaintenance(r);
    log.info("partition maintenance", { ...r });
    const l = await logPartitions.maintain().catch((e) => {
      telemetry.metrics.partitionMaintenanceFailures.inc();
      throw e;
    });
    log.info("log partition maintenance", { ...l });
  };
  // At start on every replica (maintenance is idempotent and tolerates a concurrent run, and
  // a replica must never wait an hour for its partitions ahead or Timescale policies); a
  // failure here is logged, not fatal: ingest still makes today's partition. After that,
  // hourly, by the replica holding the leader lock only (DESIGN.md: work that must happen
  // once), so a fleet of replicas does not repeat retention work.
  try {
    await maintain();
  } catch (e) {
    log.error("partition maintenance failed at start", { error: e });
  }
  // Set once alerting (which owns the leader lock) is built below.
  const leader: { lock?: LeaderLock } = {};
  const maintenance = startPeriodic(
    "partition maintenance",
    MAINTENANCE_INTERVAL_MS,
    async () => {
      if (leader.lock && !(await leader.lock.check())) return;
      await maintain();
    },
    log,
    {
      setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number,
      clearTimeout: (id) => clearTimeout(id),
    },
  );

  const store = new SqlMetricStore(db, {
    retentionMs: config.retentionMs,
    log: log.child({ component: "store" }),
    partitions,
  });
  telemetry.metrics.setHostStatusSource(
    hostStatusCounts(store, {
      staleAfterMs: config.hostStaleAfterMs,
      downAfterMs: config.hostDownAfterMs,
    }, Date.now),
  );
  const timers = {
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms) as unknown as number,
    clearTimeout: (id: number) => clearTimeout(id),
  };
  const alertLog = log.child({ component: "alerts" });
  // The leader lock lives on a connection of its own (a pool of one) on PostgreSQL; with
  // PGlite this process is the only one and always evaluates.
  const lockDb = config.databaseUrl
    ? await openPostgres(config.databaseUrl, {
      log: log.child({ component: "leader-db" }),
      max: 1,
      applicationName: "miniobserv-leader",
    })
    : undefined;
  const alerting = createAlerting({
    db,
    lockDb,
    initial: alertConfig,
    load: () => readAlertConfig(alertSettings),
    evalIntervalMs: alertSettings.evalIntervalMs,
    repeatIntervalMs: alertSettings.repeatIntervalMs,
    hostDownAfterMs: config.hostDownAfterMs,
    retentionMs: config.retentionMs,
    externalUrl: alertSettings.externalUrl,
    replica: `${Deno.hostname()}:${Deno.pid}`,
    fetch,
    now: Date.now,
    random: Math.random,
    newId: () => crypto.randomUUID(),
    log: alertLog,
    timers,
    onCycle: (r) => telemetry.metrics.recordAlertCycle(r),
    onCycleFailed: () => telemetry.metrics.alertEvaluationFailures.inc(),
    onNotification: (receiver, outcome) => telemetry.metrics.recordNotification(receiver, outcome),
  });
  telemetry.metrics.setAlertInstanceSource(alertInstanceCounts(alerting.api.queries));
  leader.lock = alerting.lock;
  log.info("alerting", {
    rules: alertConfig.rules.length,
    receivers: alertConfig.receivers.length,
    evalIntervalMs: alertSettings.evalIntervalMs,
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
    log: log.child({ component: "dashboard" }),
  });
  log.info("dashboard", {
    auth: dashboardConfig.auth,
    password: dashboardConfig.password !== undefined,
    refreshMs: dashboardConfig.refreshMs,
  });

  const logStore = new SqlLogStore(db, {
    retentionMs: logsConfig.retentionMs,
    partitions: logPartitions,
    log: log.child({ component: "logs" }),
  });
  const logBroadcaster = new LogBroadcaster({ maxSubscribers: logsConfig.streamMaxClients });
  const app = createApp({
    store: instrumentMetricStore(store, telemetry.metrics),
    telemetry: {
      metrics: telemetry.metrics,
      registry: telemetry.registry,
      metricsPublic: telemetryConfig.metricsPublic,
      report: (o) => telemetry.report(o),
    },
    secret: config.agentToken,
    now: Date.now,
    log: log.child({ component: "http" }),
    newRequestId: () => crypto.randomUUID(),
    alerting: alerting.api,
    logs: { store: instrumentLogStore(logStore, telemetry.metrics), broadcaster: logBroadcaster },
    dashboard: dashboard.setup,
    config: {
      retentionMs: config.retentionMs,
      hostStaleAfterMs: config.hostStaleAfterMs,
      hostDownAfterMs: config.hostDownAfterMs,
      requestTimeoutMs: config.requestTimeoutMs,
    },
  });

  const server = Deno.serve({
    hostname: config.listen.hostname,
    port: config.listen.port,
    onListen: ({ hostname, port }) => log.info("listening", { hostname, port }),
  }, app.fetch);
  alerting.runtime.start();

  const done = Promise.withResolvers<void>();
  let shuttingDown = false;
  const shutdown = async (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info("shutting down", { signal, timeoutMs: config.shutdownTimeoutMs });
    const timeout = new Promise<"timeout">((r) =>
      setTimeout(() => r("timeout"), config.shutdownTimeoutMs)
    );
    // Live pages hold their event streams open: end them so the shutdown does not wait.
    dashboard.stop();
    const finished = await Promise.race([server.shutdown().then(() => "done" as const), timeout]);
    if (finished === "timeout") {
      log.warn("requests still in flight at the shutdown timeout; closing");
    }
    await maintenance.stop();
    await alerting.runtime.stop();
    await lockDb?.close();
    await db.close();
    telemetry.stop();
    log.info("stopped");
    done.resolve();
  };
  Deno.addSignalListener("SIGTERM", () => shutdown("SIGTERM"));
  Deno.addSignalListener("SIGINT", () => shutdown("SIGINT"));
  Deno.addSignalListener("SIGHUP", () => {
    log.info("SIGHUP: reloading the alert configuration");
    alerting.api.reload().catch((e) => alertLog.error("reload failed", { error: e }));
  });
  await done.promise;
  return 0;
}

try {
  Deno.exit(await main());
} catch (e) {
  // A failure to start (database unreachable, a migration refused) ends in one JSON log
  // line with the cause, not an uncaught stack trace.
  console.error(JSON.stringify({
    time: new Date().toISOString(),
    level: "error",
    msg: "fatal: the server could not start",
    program: "miniobserv-server",
    error: e instanceof Error ? e.message : String(e),
  }));
  Deno.exit(1);
}
