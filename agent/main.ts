/**
 * The agent's composition root: the only place that reads the environment, the real
 * `/proc` files, the real clock, libc's statfs and the network, and wires them together.
 *
 * Permissions: the deno.json `agent` task runs with `--allow-all`, because nothing less works.
 * Deno 2 refuses to read `/proc` (all but `/proc/pressure/*`) unless *every* permission is
 * granted unscoped ("Requires all access to /proc/stat, run again with the --allow-all
 * flag"; checked on Deno 2.9.6: dropping any single flag fails), and the agent's whole job
 * is reading `/proc`. Disk usage also needs FFI (libc's `statvfs`; Deno has no statfs API,
 * see agent/statfs/statfs_ffi.ts), which escapes Deno's sandbox anyway. What the agent
 * really touches: reads under `/proc`, its own environment variables only
 * (AGENT_ENV_VARIABLES), `Deno.hostname()`, libc, reads and writes under AGENT_STATE_DIR
 * (the spool and rejected/), and outbound HTTP to SERVER_URL.
 * Least privilege is therefore enforced by the OS instead: run it as an unprivileged user
 * (it needs no root: /proc/stat, meminfo, diskstats, net/dev and statvfs are world-readable;
 * deploy/miniobserv-agent.service does exactly that).
 *
 * V8 flags (the `agent` task; DENO_V8_FLAGS in the systemd unit): `--jitless`, because an
 * agent that works a few milliseconds every 10 s gains nothing from optimizing compilers,
 * whose code alone adds about 5 MB of resident memory (measured: same CPU, 59 → 53 MB);
 * `--no-memory-reducer`, because V8's idle-time full collections, run between every two
 * ticks, cost more CPU than the ticks' own work (measured: 2.5 → 1.7 s of CPU per hour);
 * `--single-threaded-gc`, because a heap of a few MB needs no helper threads. See
 * `deno task bench:agent`.
 */
import { Backoff } from "../shared/backoff.ts";
import { ConfigError, type Env } from "../shared/config_env.ts";
import { createLogger, type Logger } from "../shared/log.ts";
import { LIMITS } from "../shared/metric_names.ts";
import { parseAgentArgs, USAGE } from "./args.ts";
import { BatchBuilder } from "./batch_builder.ts";
import { CollectLoop } from "./collect_loop.ts";
import { createCollectors } from "./collectors/default_collectors.ts";
import { CollectorRegistry } from "./collectors/registry.ts";
import {
  AGENT_ENV_VARIABLES,
  type AgentConfig,
  loadAgentConfig,
  type ServerConfig,
} from "./config.ts";
import { Counters } from "./counters.ts";
import { DeliveryLoop } from "./delivery_loop.ts";
import { errorMessage } from "./errors.ts";
import { metricRecord, metricRequestBody } from "./metric_records.ts";
import { collectOnce } from "./once.ts";
import { AlarmClock, webOneShot } from "./alarm_clock.ts";
import { openPosixOneShot } from "./posix_timer.ts";
import { createHttp1Fetch, type Http1Fetch } from "./http1_client.ts";
import { openLibcMadvise, releaseExecutablePages } from "./executable_pages.ts";
import { ProcReader } from "./proc/proc_reader.ts";
import { openGzipSync } from "./gzip.ts";
import { Sender } from "./sender.ts";
import { type Sleep, sleep } from "./sleep.ts";
import { denoSpoolFs } from "./spool/deno_spool_fs.ts";
import { RejectedStore } from "./spool/rejected_store.ts";
import { Spool } from "./spool/spool.ts";
import { type LoadedStatfs, openStatfs } from "./statfs/statfs_ffi.ts";
import { TokenSources } from "./token_source.ts";
import { type AgentTelemetryConfig, loadAgentTelemetryConfig } from "./telemetry/config.ts";
import { instrumentCollectors } from "./telemetry/instrument_collectors.ts";
import { instrumentFetch } from "./telemetry/instrument_fetch.ts";
import { agentMetricsHandler, startAgentMetricsListener } from "./telemetry/listener.ts";
import {
  type AgentTelemetry,
  createAgentTelemetry,
  shutdownReport,
} from "./telemetry/telemetry.ts";
import { canReadProcSelfFd } from "../shared/telemetry/process_metrics.ts";
import { VERSION } from "../shared/version.ts";
import { lagRecordingSleep, TimerLagRecorder } from "../shared/telemetry/timer_lag.ts";
import { LOG_LIMITS } from "../shared/log_entry.ts";
import { acknowledgingSpool } from "./logs/acknowledging_spool.ts";
import { loadLogTailConfig, type LogTailConfig } from "./logs/config.ts";
import { denoLogFs } from "./logs/log_fs.ts";
import { logRecord, logRequestBody } from "./logs/log_records.ts";
import { LogSource } from "./logs/log_source.ts";
import { LogTailer } from "./logs/tailer.ts";

/**
 * Largest merged request, in bytes of JSON before compression: the server refuses bodies
 * over 5 MiB (also once decompressed), so merges stop well short of it.
 */
export const MERGED_REQUEST_MAX_BYTES = 4 * 1024 * 1024;
/** The rejected/ folder may take this share of AGENT_SPOOL_MAX_BYTES. */
const REJECTED_SHARE = 1 / 16;

/** Exit status for a bad command line (EX_USAGE) and a bad configuration (EX_CONFIG). */
const EXIT_USAGE = 64;
const EXIT_CONFIG = 78;
/** Exit status when the state directory cannot be used (EX_CANTCREAT). */
const EXIT_STATE_DIR = 73;

const writeStderr = (line: string) => console.error(line);

function readEnv(): Env {
  return Object.fromEntries(AGENT_ENV_VARIABLES.map((name) => [name, Deno.env.get(name)]));
}

/**
 * The agent's timers, on one POSIX timer (see alarm_clock.ts: a 10 s sleep on Deno's timers
 * wakes the process three times, and a cleared request timeout once more); on web timers
 * where libc's timer_create is unavailable.
 */
function loadAlarmClock(logger: Logger): AlarmClock {
  const now = () => performance.now();
  try {
    const posix = openPosixOneShot();
    const clock = new AlarmClock(posix.oneShot, now);
    logger.debug("timers on a POSIX timer", { library: posix.libraryPath });
    return clock;
  } catch (e) {
    logger.info("timers on web timers: POSIX timer unavailable", { error: errorMessage(e) });
    return new AlarmClock(webOneShot, now);
  }
}

/** The proxy variables Deno's `fetch` honours; with one set, the agent sends through `fetch`. */
export const PROXY_ENV_VARIABLES = [
  "HTTP_PROXY",
  "HTTPS_PROXY",
  "ALL_PROXY",
  "http_proxy",
  "https_proxy",
  "all_proxy",
] as const;

/**
 * What the agent sends its requests with: its own HTTP/1.1 client (http1_client.ts: less
 * than half of `fetch`'s CPU per request, interpreted), or Deno's `fetch` when a proxy is
 * configured, since only `fetch` speaks to proxies.
 */
function requestClient(logger: Logger): { fetch: typeof fetch; close(): void } {
  const proxy = PROXY_ENV_VARIABLES.find((name) => (Deno.env.get(name) ?? "") !== "");
  if (proxy) {
    logger.info("sending through fetch, which honours the proxy settings", { variable: proxy });
    return { fetch, close: () => {} };
  }
  const client: Http1Fetch = createHttp1Fetch();
  return { fetch: client, close: () => client.close() };
}

/** The first release of the executable's start-up pages: a few ticks in, then hourly. */
const RELEASE_PAGES_AFTER_MS = 30_000;
const RELEASE_PAGES_EVERY_MS = 3_600_000;

/**
 * Releases the pages of the deno executable that only start-up touched (see
 * executable_pages.ts: RSS 62 -> 41 MB measured), once after start and then hourly, for
 * code paths that ran once since (a token renewal, a spool compaction).
 */
function scheduleExecutablePageRelease(clock: AlarmClock, logger: Logger): void {
  let madvise: ReturnType<typeof openLibcMadvise>;
  try {
    madvise = openLibcMadvise();
  } catch (e) {
    logger.debug("executable pages not released: madvise unavailable", {
      error: errorMessage(e),
    });
    return;
  }
  const release = () => {
    try {
      const r = releaseExecutablePages(madvise);
      logger.debug("released the executable's clean pages", {
        released_kb: r.releasedKb,
        kept_kb: r.keptKb,
        ranges: r.ranges,
        failed: r.failed,
      });
    } catch (e) {
      logger.warn("releasing the executable's pages failed", { error: errorMessage(e) });
    }
  };
  // Coalesced with the ticks' wake-ups: no wake-up of their own.
  clock.setTimeout(release, RELEASE_PAGES_AFTER_MS, { slackMs: RELEASE_PAGES_AFTER_MS / 2 });
  clock.setInterval(release, RELEASE_PAGES_EVERY_MS, { slackMs: RELEASE_PAGES_EVERY_MS / 2 });
}

function loadStatfs(logger: Logger): LoadedStatfs | null {
  try {
    const loaded = openStatfs();
    logger.debug("statfs loaded", { library: loaded.libraryPath });
    return loaded;
  } catch (e) {
    logger.error("disk usage disabled: statfs unavailable", { error: errorMessage(e) });
    return null;
  }
}

/**
 * Reads a /proc file synchronously, through a descriptor kept open (proc/proc_reader.ts).
 * /proc text is made by the kernel on the spot and never waits on a disk, so nothing is
 * gained by a worker thread; an asynchronous read costs a hand-off to one each time (and at
 * a 10 s interval a new thread, the idle ones having exited), which was most of the agent's
 * CPU per tick.
 */
const procReader = new ProcReader();
function readProcFile(path: string): Promise<string> {
  try {
    return Promise.resolve(procReader.read(path));
  } catch (e) {
    return Promise.reject(e);
  }
}

function buildRegistry(
  config: AgentConfig,
  logger: Logger,
  counters: Counters,
  statfs: LoadedStatfs | null,
  telemetry: AgentTelemetry | null,
) {
  const collectors = createCollectors(config, {
    host: config.host,
    readFile: readProcFile,
    now: Date.now,
    statfs: statfs?.statfs ?? null,
    statfsSync: statfs?.statfsSync,
    logger,
    counters,
  });
  const timed = telemetry ? instrumentCollectors(collectors, telemetry.metrics) : collectors;
  return new CollectorRegistry(timed, logger, counters);
}

/** Calls `stop` on the first SIGTERM/SIGINT and `hurry` on a second one. */
function onStopSignal(stop: () => void, hurry: () => void): void {
  let seen = 0;
  for (const sig of ["SIGTERM", "SIGINT"] as const) {
    Deno.addSignalListener(sig, () => (++seen === 1 ? stop : hurry)());
  }
}

/** Opens the spool and rejected/ in the state directory; null (logged) when it cannot. */
async function openState(config: AgentConfig, logger: Logger, counters: Counters) {
  const fs = denoSpoolFs();
  try {
    const spool = await Spool.open({
      dir: `${config.stateDir}/spool`,
      fs,
      maxBytes: config.spoolMaxBytes,
      now: Date.now,
      logger,
      counters,
    });
    const rejected = await RejectedStore.open({
      dir: `${config.stateDir}/rejected`,
      fs,
      maxBytes: Math.max(1024 * 1024, Math.floor(config.spoolMaxBytes * REJECTED_SHARE)),
      now: Date.now,
      logger,
      counters,
    });
    return { spool, rejected };
  } catch (e) {
    logger.error("cannot use the state directory (AGENT_STATE_DIR)", {
      dir: config.stateDir,
      error: errorMessage(e),
    });
    return null;
  }
}

async function runAgent(
  config: AgentConfig,
  server: ServerConfig,
  registry: CollectorRegistry,
  logger: Logger,
  counters: Counters,
  telemetry: AgentTelemetry,
  telemetryConfig: AgentTelemetryConfig,
  printReport: boolean,
  logsConfig: LogTailConfig,
  sleep: Sleep,
  clock: AlarmClock,
): Promise<number> {
  const state = await openState(config, logger, counters);
  if (!state) return EXIT_STATE_DIR;
  const { spool, rejected } = state;
  telemetry.metrics.setSpoolSource(() => spool.stats());
  const metricsListener = telemetryConfig.metricsAddr
    ? startAgentMetricsListener(
      telemetryConfig.metricsAddr,
      agentMetricsHandler({ registry: telemetry.registry, report: (o) => telemetry.report(o) }),
      logger,
    )
    : null;
  telemetry.start();
  scheduleExecutablePageRelease(clock, logger);
  const collectLoop = new CollectLoop({
    registry,
    builder: new BatchBuilder(config.host, Date.now()),
    sink: {
      push: async (batch) => {
        await spool.append(metricRecord(batch));
      },
    },
    intervalMs: config.collectIntervalMs,
    now: Date.now,
    sleep,
    logger,
    counters,
  });
  const requests = requestClient(logger);
  const sender = new Sender({
    serverUrl: server.url,
    tokens: new TokenSources({
      secret: server.token,
      now: Date.now,
      onMint: () => telemetry.metrics.tokenRenewals.inc(),
    }).forHost,
    fetch: instrumentFetch(requests.fetch, telemetry.metrics),
    timeoutMs: config.sendTimeoutMs,
    now: Date.now,
    timers: clock,
    gzipSync: openGzipSync(logger).gzipSync,
  });
  // Log files (LOG_PATHS): entries travel through the same spool and sender as metrics; a
  // file's checkpoint advances only when the spool completes its records (after the 2xx).
  const logSource = logsConfig.enabled
    ? new LogSource({
      tailer: await LogTailer.open({
        patterns: logsConfig.patterns,
        fs: denoLogFs(),
        checkpointDir: `${config.stateDir}/logs`,
        startAt: logsConfig.startAt,
        maxLineBytes: logsConfig.maxLineBytes,
        partialFlushMs: logsConfig.partialFlushMs,
        host: config.host,
        now: Date.now,
        logger,
        counters,
      }),
      sink: { push: async (b) => void await spool.append(logRecord(b)) },
      host: config.host,
      startMs: Date.now(),
      now: Date.now,
      sleep,
      logger,
      counters,
    })
    : null;
  const deliveryLoop = new DeliveryLoop({
    spool: logSource ? acknowledgingSpool(spool, (ids) => logSource.acknowledge(ids)) : spool,
    sender,
    requestBody: (claim) =>
      claim.kind === "logs" ? logRequestBody(claim) : metricRequestBody(claim),
    rejected,
    limits: {
      maxItems: Math.min(LIMITS.batchMaxMetrics, LOG_LIMITS.batchMaxEntries),
      maxBytes: MERGED_REQUEST_MAX_BYTES,
    },
    backoff: new Backoff({ random: Math.random }),
    sleep,
    now: Date.now,
    logger,
    counters,
  });
  const stop = new AbortController();
  const abort = new AbortController();
  onStopSignal(() => {
    logger.info("stopping; sending what is queued", {
      pending: spool.stats().pendingRecords,
      shutdown_timeout_ms: config.shutdownTimeoutMs,
    });
    stop.abort();
    setTimeout(() => abort.abort(), config.shutdownTimeoutMs);
  }, () => abort.abort());
  const spooled = spool.stats();
  logger.info("agent started", {
    host: config.host,
    server: server.url.origin,
    interval_ms: config.collectIntervalMs,
    state_dir: config.stateDir,
    spooled_batches: spooled.pendingRecords,
  });
  await Promise.all([
    collectLoop.run(stop.signal),
    logSource?.run(stop.signal),
    deliveryLoop.run({ stop: stop.signal, abort: abort.signal }),
  ]);
  // A tick under way at the signal may still be storing its batch: let it, within the
  // shutdown budget, so the spool is complete and the count below exact.
  const deadline = new Promise<void>((resolve) => {
    if (abort.signal.aborted) resolve();
    else abort.signal.addEventListener("abort", () => resolve(), { once: true });
  });
  await Promise.race([collectLoop.idle(), deadline]);
  // …and send it too while the budget lasts.
  if (spool.hasPending && !abort.signal.aborted) {
    await deliveryLoop.run({ stop: stop.signal, abort: abort.signal });
  }
  const left = spool.stats().pendingRecords;
  await spool.close();
  if (left > 0) {
    logger.warn("stopped with unsent batches; they stay in the spool for the next start", {
      unsent: left,
    });
  }
  const self = await shutdownReport(telemetry);
  logger.info("self report", self.summary);
  if (printReport) console.log(self.json);
  await metricsListener?.shutdown();
  telemetry.stop();
  clock.close();
  requests.close();
  logger.info("agent stopped", { counters: counters.snapshot() });
  return 0;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseAgentArgs(Deno.args);
  } catch (e) {
    console.error(errorMessage(e));
    return EXIT_USAGE;
  }
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  let config: AgentConfig;
  let telemetryConfig: AgentTelemetryConfig;
  let logsConfig: LogTailConfig;
  try {
    const env = readEnv();
    telemetryConfig = loadAgentTelemetryConfig(env);
    logsConfig = loadLogTailConfig(env);
    config = loadAgentConfig(env, {
      hostname: Deno.hostname(),
      once: args.once,
      cwd: Deno.cwd(),
    });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    createLogger("error", writeStderr).error(`invalid configuration: ${e.message}`);
    return EXIT_CONFIG;
  }
  const logger = createLogger(config.logLevel, writeStderr);
  const counters = new Counters();
  const statfs = loadStatfs(logger);
  // Event-loop lag from how late the agent's own sleeps end: sampling timers would cost more
  // CPU than the agent's work (shared/telemetry/timer_lag.ts).
  const timerLag = new TimerLagRecorder();
  const clock = args.once ? null : loadAlarmClock(logger);
  const timedSleep = lagRecordingSleep(clock?.sleep ?? sleep, timerLag, () => performance.now());
  const telemetry = args.once ? null : createAgentTelemetry({
    version: VERSION,
    runtimeVersion: Deno.version.deno,
    procFdReadable: canReadProcSelfFd(),
    snapshotIntervalMs: telemetryConfig.snapshotIntervalMs,
    now: Date.now,
    counters,
    spoolMaxBytes: config.spoolMaxBytes,
    logger,
    timerLag,
    // Snapshots may come up to half an interval early, so they ride on a tick's wake-up.
    timers: clock
      ? {
        setInterval: (fn, ms) => clock.setInterval(fn, ms, { slackMs: ms / 2 }),
        clearInterval: (id) => clock.clearInterval(id),
      }
      : undefined,
  });
  const registry = buildRegistry(config, logger, counters, statfs, telemetry);
  if (args.once) {
    const batches = await collectOnce(registry, new BatchBuilder(config.host, Date.now()), sleep);
    for (const batch of batches) console.log(JSON.stringify(batch));
    return 0;
  }
  // config.server is always set outside --once: loadAgentConfig requires it.
  return await runAgent(
    config,
    config.server!,
    registry,
    logger,
    counters,
    telemetry!,
    telemetryConfig,
    args.report,
    logsConfig,
    timedSleep,
    clock!,
  );
}

// Deno.exit, not a return: a statfs blocked on a dead mount would otherwise keep the process alive.
Deno.exit(await main());
