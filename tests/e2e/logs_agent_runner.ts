/**
 * An agent that ships log files, for the log end-to-end tests until `agent/main.ts` wires the
 * log source: the same wiring the composition root is to do (see the README's logs section):
 * the real spool, `DeliveryLoop` and `Sender`, a `LogTailer` and `LogSource` from `LOG_*`, and
 * log records acknowledged to the source when the spool completes them. Only logs: no metrics
 * are collected. Logs `agent started`; SIGTERM stops it (what is unsent stays spooled).
 */
import { Backoff } from "../../shared/backoff.ts";
import { createLogger } from "../../shared/log.ts";
import { LOG_LIMITS } from "../../shared/log_entry.ts";
import { loadAgentConfig } from "../../agent/config.ts";
import { Counters } from "../../agent/counters.ts";
import { DeliveryLoop, type DeliverySpool } from "../../agent/delivery_loop.ts";
import { acknowledgingSpool } from "../../agent/logs/acknowledging_spool.ts";
import { loadLogTailConfig } from "../../agent/logs/config.ts";
import { denoLogFs } from "../../agent/logs/log_fs.ts";
import { logRecord, logRequestBody, LOGS_INGEST_PATH } from "../../agent/logs/log_records.ts";
import { LogSource } from "../../agent/logs/log_source.ts";
import { LogTailer } from "../../agent/logs/tailer.ts";
import { INGEST_PATH, Sender } from "../../agent/sender.ts";
import { sleep } from "../../agent/sleep.ts";
import { denoSpoolFs } from "../../agent/spool/deno_spool_fs.ts";
import { RejectedStore } from "../../agent/spool/rejected_store.ts";
import { Spool } from "../../agent/spool/spool.ts";
import { TokenSources } from "../../agent/token_source.ts";

const env = Deno.env.toObject();
const config = loadAgentConfig(env, { hostname: Deno.hostname(), once: false, cwd: Deno.cwd() });
const logs = loadLogTailConfig(env);
const logger = createLogger(config.logLevel, (l) => console.error(l));
const counters = new Counters();
const fs = denoSpoolFs();
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
  maxBytes: 16 * 1024 * 1024,
  now: Date.now,
  logger,
  counters,
});
const tailer = await LogTailer.open({
  patterns: logs.patterns,
  fs: denoLogFs(),
  checkpointDir: `${config.stateDir}/logs`,
  startAt: logs.startAt,
  maxLineBytes: logs.maxLineBytes,
  partialFlushMs: logs.partialFlushMs,
  host: config.host,
  now: Date.now,
  logger,
  counters,
});
const source = new LogSource({
  tailer,
  sink: { push: async (b) => void await spool.append(logRecord(b)) },
  host: config.host,
  startMs: Date.now(),
  now: Date.now,
  sleep,
  logger,
  counters,
});
// The one addition the delivery path needs: log records completed (2xx, or refused for good)
// are acknowledged to the source, which then advances the checkpoint.
const deliverySpool: DeliverySpool = acknowledgingSpool(spool, (ids) => source.acknowledge(ids));
const server = config.server!;
const sender = new Sender({
  serverUrl: server.url,
  tokens: new TokenSources({ secret: server.token, now: Date.now }).forHost,
  // Only log records travel here: the metrics path becomes the logs path.
  fetch: (input, init) => fetch(String(input).replace(INGEST_PATH, LOGS_INGEST_PATH), init),
  timeoutMs: config.sendTimeoutMs,
  now: Date.now,
});
const delivery = new DeliveryLoop({
  spool: deliverySpool,
  sender,
  requestBody: (claim) => logRequestBody(claim),
  rejected,
  limits: { maxItems: LOG_LIMITS.batchMaxEntries, maxBytes: 4 * 1024 * 1024 },
  backoff: new Backoff({ random: Math.random, maxMs: 5000 }),
  sleep,
  now: Date.now,
  logger,
  counters,
});
const stop = new AbortController();
const abort = new AbortController();
Deno.addSignalListener("SIGTERM", () => {
  stop.abort();
  setTimeout(() => abort.abort(), 2000);
});
logger.info("agent started", { host: config.host, logs: logs.patterns.map((p) => p.text) });
await Promise.all([
  source.run(stop.signal),
  delivery.run({ stop: stop.signal, abort: abort.signal }),
]);
await spool.close();
logger.info("agent stopped", { counters: counters.snapshot() });
Deno.exit(0);
