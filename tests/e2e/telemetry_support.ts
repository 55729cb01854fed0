/**
 * Shared by the telemetry end-to-end tests: `promtool check metrics`, the server and the
 * agent instrumented in this process (real PGlite, real HTTP listeners on loopback) as
 * their main.ts are to be wired, and the switch for the real-process versions.
 */
import { Counters } from "../../agent/counters.ts";
import { Sender } from "../../agent/sender.ts";
import { instrumentCollectors } from "../../agent/telemetry/instrument_collectors.ts";
import { instrumentFetch } from "../../agent/telemetry/instrument_fetch.ts";
import { agentMetricsHandler, startAgentMetricsListener } from "../../agent/telemetry/listener.ts";
import { type AgentTelemetry, createAgentTelemetry } from "../../agent/telemetry/telemetry.ts";
import { TokenSources } from "../../agent/token_source.ts";
import { AlertQueries } from "../../server/alerts/alert_queries.ts";
import type { Db } from "../../server/db/db.ts";
import { loadMigrations, migrate } from "../../server/db/migrate.ts";
import { openPglite } from "../../server/db/pglite_driver.ts";
import { PartitionManager } from "../../server/storage/partitions.ts";
import { SqlMetricStore } from "../../server/storage/sql_metric_store.ts";
import { instrumentDb } from "../../server/telemetry/instrument_db.ts";
import {
  alertInstanceCounts,
  createServerTelemetry,
  hostStatusCounts,
  type ServerTelemetry,
} from "../../server/telemetry/telemetry.ts";
import { silentLogger } from "../../shared/log.ts";
import { canReadProcSelfFd } from "../../shared/telemetry/process_metrics.ts";
import { VERSION } from "../../shared/version.ts";
import { TEST_SECRET } from "../server/http/tokens.ts";
import { CONFIG, instrumentedApp } from "../server/telemetry/helpers.ts";

/** Path of `promtool`, or null when it is not installed. */
export function findOnPath(name: string): string | null {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    try {
      const p = `${dir}/${name}`;
      if (Deno.statSync(p).isFile) return p;
    } catch {
      // not here
    }
  }
  return null;
}

/**
 * Why a test needing Debian's `prometheus` package is skipped, or undefined when it runs.
 * On CI (CI=true) it always runs, so a missing package fails instead of passing silently.
 */
export function prometheusSkip(binary: "promtool" | "prometheus"): string | undefined {
  if (findOnPath(binary) || Deno.env.get("CI") === "true") return undefined;
  return `${binary} not installed (apt-get install prometheus); skipped outside CI`;
}

/** Runs `promtool check metrics` on `text`: its exit code and everything it printed. */
export async function promtoolCheck(text: string): Promise<{ code: number; output: string }> {
  const child = new Deno.Command("promtool", {
    args: ["check", "metrics"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return { code: out.code, output: (dec.decode(out.stdout) + dec.decode(out.stderr)).trim() };
}

/** A batch of `n` `cpu.usage_pct` samples (cores 0…n−1, values 0…n−1) for `host`, as JSON bytes. */
export function cpuBatchBody(id: string, host: string, n: number): Uint8Array {
  const time = new Date().toISOString();
  return new TextEncoder().encode(JSON.stringify({
    id,
    host,
    metrics: Array.from({ length: n }, (_, i) => ({
      host,
      name: "cpu.usage_pct",
      time,
      value: i,
      labels: { core: String(i) },
    })),
  }));
}

/** A server instrumented in this process, listening on loopback. */
export interface InProcessServer {
  baseUrl: string;
  telemetry: ServerTelemetry;
  db: Db;
  close(): Promise<void>;
}

/**
 * The real app over embedded PGlite, instrumented as main.ts does it: metrics middleware,
 * the ingest rejection counter, the instrumented store and database, partition maintenance
 * recorded, the hosts and alert-instance sources, both telemetry routes.
 */
export async function startInProcessServer(
  opts: { metricsPublic?: boolean } = {},
): Promise<InProcessServer> {
  const telemetry = createServerTelemetry({
    version: VERSION,
    runtimeVersion: Deno.version.deno,
    procFdReadable: canReadProcSelfFd(),
    snapshotIntervalMs: 1_000,
    now: Date.now,
  });
  const m = telemetry.metrics;
  const raw = await openPglite();
  const db = instrumentDb(raw, m);
  await migrate(db, { migrations: await loadMigrations(), log: silentLogger });
  const partitions = new PartitionManager(db, {
    retentionMs: CONFIG.retentionMs,
    now: Date.now,
    log: silentLogger,
  });
  m.recordMaintenance(await partitions.maintain());
  const store = new SqlMetricStore(db, {
    retentionMs: CONFIG.retentionMs,
    log: silentLogger,
    partitions,
  });
  m.setHostStatusSource(
    hostStatusCounts(store, {
      staleAfterMs: CONFIG.hostStaleAfterMs,
      downAfterMs: CONFIG.hostDownAfterMs,
    }, Date.now),
  );
  m.setAlertInstanceSource(alertInstanceCounts(new AlertQueries(db)));
  m.recordAlertCycle({ totalMs: 12, failed: [], skipped: 0 });
  const app = instrumentedApp({
    telemetry,
    store,
    metricsPublic: opts.metricsPublic,
    now: Date.now,
  });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, app.fetch);
  telemetry.start();
  return {
    baseUrl: `http://127.0.0.1:${server.addr.port}`,
    telemetry,
    db,
    async close() {
      telemetry.stop();
      await server.shutdown();
      await db.close();
    },
  };
}

/** An agent's telemetry in this process, served on loopback, with a real sender. */
export interface InProcessAgent {
  baseUrl: string;
  telemetry: AgentTelemetry;
  counters: Counters;
  /** A real `Sender` to `serverUrl` whose fetch is instrumented. */
  sender(serverUrl: string): Sender;
  close(): Promise<void>;
}

/** Builds and serves an agent's telemetry (collectors timed, counters bridged). */
export async function startInProcessAgent(): Promise<InProcessAgent> {
  const counters = new Counters();
  const telemetry = createAgentTelemetry({
    version: VERSION,
    runtimeVersion: Deno.version.deno,
    procFdReadable: canReadProcSelfFd(),
    snapshotIntervalMs: 1_000,
    now: Date.now,
    counters,
    spoolMaxBytes: 256 * 1024 * 1024,
  });
  telemetry.metrics.setSpoolSource(() => ({
    pendingRecords: 0,
    pendingBytes: 0,
    totalBytes: 0,
    oldestPendingMs: null,
  }));
  telemetry.metrics.setLogFilesSource(() => 0);
  for (
    const c of instrumentCollectors(
      [{ name: "cpu", collect: () => Promise.resolve([]) }],
      telemetry.metrics,
    )
  ) {
    await c.collect();
  }
  const listener = startAgentMetricsListener(
    { hostname: "127.0.0.1", port: 0 },
    agentMetricsHandler({ registry: telemetry.registry, report: (o) => telemetry.report(o) }),
    silentLogger,
  );
  telemetry.start();
  return {
    baseUrl: `http://127.0.0.1:${listener.addr.port}`,
    telemetry,
    counters,
    sender: (serverUrl) =>
      new Sender({
        serverUrl: new URL(serverUrl),
        tokens: new TokenSources({ secret: TEST_SECRET, now: Date.now }).forHost,
        fetch: instrumentFetch(fetch, telemetry.metrics),
        timeoutMs: 5_000,
        now: Date.now,
      }),
    async close() {
      telemetry.stop();
      await listener.shutdown();
    },
  };
}

/** GETs `url` (with a bearer token when given) and returns the body text; throws unless 200. */
export async function scrape(url: string, token?: string): Promise<string> {
  const res = await fetch(url, token ? { headers: { authorization: `Bearer ${token}` } } : {});
  const text = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${text.slice(0, 200)}`);
  return text;
}

/** A free TCP port on loopback (closed again; a small race is acceptable in tests). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}
