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
 * (AGENT_ENV_VARIABLES), `Deno.hostname()`, libc, and outbound HTTP to SERVER_URL.
 * Least privilege is therefore enforced by the OS instead: run it as an unprivileged user
 * (it needs no root: /proc/stat, meminfo, diskstats, net/dev and statvfs are world-readable).
 */
import { Backoff } from "../shared/backoff.ts";
import { ConfigError, type Env } from "../shared/config_env.ts";
import { createLogger, type Logger } from "../shared/log.ts";
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
import { errorMessage } from "./errors.ts";
import { MemoryBatchQueue } from "./memory_batch_queue.ts";
import { collectOnce } from "./once.ts";
import { Sender } from "./sender.ts";
import { SendLoop } from "./send_loop.ts";
import { sleep } from "./sleep.ts";
import { type LoadedStatfs, openStatfs } from "./statfs/statfs_ffi.ts";
import { TokenSource } from "./token_source.ts";

/** Exit status for a bad command line (EX_USAGE) and a bad configuration (EX_CONFIG). */
const EXIT_USAGE = 64;
const EXIT_CONFIG = 78;

const writeStderr = (line: string) => console.error(line);

function readEnv(): Env {
  return Object.fromEntries(AGENT_ENV_VARIABLES.map((name) => [name, Deno.env.get(name)]));
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

function buildRegistry(
  config: AgentConfig,
  logger: Logger,
  counters: Counters,
  statfs: LoadedStatfs | null,
) {
  const collectors = createCollectors(config, {
    host: config.host,
    readFile: (path) => Deno.readTextFile(path),
    now: Date.now,
    statfs: statfs?.statfs ?? null,
    logger,
    counters,
  });
  return new CollectorRegistry(collectors, logger, counters);
}

function onStopSignal(stop: () => void): void {
  for (const sig of ["SIGTERM", "SIGINT"] as const) Deno.addSignalListener(sig, stop);
}

async function runAgent(
  config: AgentConfig,
  server: ServerConfig,
  registry: CollectorRegistry,
  logger: Logger,
  counters: Counters,
): Promise<void> {
  const queue = new MemoryBatchQueue(undefined, (dropped) => {
    const total = counters.inc("batches_dropped_total", { reason: "queue_full" });
    logger.warn("queue full; oldest batch dropped", { batch: dropped.id, dropped_total: total });
  });
  const collectLoop = new CollectLoop({
    registry,
    builder: new BatchBuilder(config.host, Date.now()),
    queue,
    intervalMs: config.collectIntervalMs,
    now: Date.now,
    sleep,
    logger,
    counters,
  });
  const sender = new Sender({
    serverUrl: server.url,
    tokens: new TokenSource({ secret: server.token, subject: config.host, now: Date.now }),
    fetch,
    timeoutMs: config.sendTimeoutMs,
  });
  const sendLoop = new SendLoop({
    queue,
    sender,
    backoff: new Backoff({ random: Math.random }),
    sleep,
    now: Date.now,
    logger,
    counters,
  });
  const stop = new AbortController();
  onStopSignal(() => stop.abort());
  logger.info("agent started", {
    host: config.host,
    server: server.url.origin,
    interval_ms: config.collectIntervalMs,
  });
  await Promise.all([collectLoop.run(stop.signal), sendLoop.run(stop.signal)]);
  logger.info("stopping; sending what is queued", { pending: await queue.size() });
  const left = await sendLoop.drain(Date.now() + config.shutdownTimeoutMs);
  if (left > 0) {
    counters.inc("batches_dropped_total", { reason: "shutdown" }, left);
    logger.warn("stopped with unsent batches; they are lost", { unsent: left });
  }
  logger.info("agent stopped", { counters: counters.snapshot() });
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
  try {
    config = loadAgentConfig(readEnv(), { hostname: Deno.hostname(), once: args.once });
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    createLogger("error", writeStderr).error(`invalid configuration: ${e.message}`);
    return EXIT_CONFIG;
  }
  const logger = createLogger(config.logLevel, writeStderr);
  const counters = new Counters();
  const statfs = loadStatfs(logger);
  const registry = buildRegistry(config, logger, counters, statfs);
  if (args.once) {
    const batches = await collectOnce(registry, new BatchBuilder(config.host, Date.now()), sleep);
    for (const batch of batches) console.log(JSON.stringify(batch));
  } else if (config.server) { // always set outside --once: loadAgentConfig requires it
    await runAgent(config, config.server, registry, logger, counters);
  }
  return 0;
}

// Deno.exit, not a return: a statfs blocked on a dead mount would otherwise keep the process alive.
Deno.exit(await main());
