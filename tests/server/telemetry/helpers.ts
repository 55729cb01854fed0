/**
 * Test doubles for the server's telemetry tests: an in-memory metric store, a scripted
 * database, and the real app wrapped the way server/http/app.ts is to be wired.
 */
import { Hono } from "hono";
import type { Db, DbSession, Row, SampleColumns, Tx } from "../../../server/db/db.ts";
import { createApp, type HttpConfig } from "../../../server/http/app.ts";
import type { AppEnv } from "../../../server/http/app_env.ts";
import { notFound, onError } from "../../../server/http/middleware/errors.ts";
import { requestId } from "../../../server/http/middleware/request_id.ts";
import type {
  HostRecord,
  IngestResult,
  MetricStore,
} from "../../../server/storage/metric_store.ts";
import { httpMetrics } from "../../../server/telemetry/http_metrics.ts";
import { ingestRejections } from "../../../server/telemetry/ingest_rejections.ts";
import { instrumentMetricStore } from "../../../server/telemetry/instrument_store.ts";
import { telemetryRoutes } from "../../../server/telemetry/routes.ts";
import {
  createServerTelemetry,
  type ServerTelemetry,
} from "../../../server/telemetry/telemetry.ts";
import { silentLogger } from "../../../shared/log.ts";
import type { MetricBatch } from "../../../shared/metric.ts";
import { TEST_SECRET } from "../http/tokens.ts";

/** The fixed "now" of these tests: 2025-06-01T12:00:00Z. */
export const NOW = Date.parse("2025-06-01T12:00:00.000Z");

/** An in-memory store: remembers batch ids (duplicates) and hosts. */
export class MemoryStore implements MetricStore {
  readonly ids = new Set<string>();
  readonly hostRecords: HostRecord[] = [];
  ingest(batch: MetricBatch, agentVersion: string | null, at: Date): Promise<IngestResult> {
    if (this.ids.has(batch.id)) return Promise.resolve({ ingested: 0, duplicate: true });
    this.ids.add(batch.id);
    this.hostRecords.push({ host: batch.host, lastSeen: at, agentVersion });
    return Promise.resolve({ ingested: batch.metrics.length, duplicate: false });
  }
  query = () => Promise.resolve([]);
  latest = () => Promise.resolve([]);
  hosts = () => Promise.resolve([...this.hostRecords]);
  ping = () => Promise.resolve();
}

/** A database that records statements and answers `rows`, or fails statements matching `failOn`. */
export class ScriptedDb implements Db {
  readonly kind = "pglite" as const;
  readonly timescale = false;
  readonly statements: string[] = [];
  failOn: RegExp | null = null;
  closed = false;
  constructor(private readonly onRun: () => void = () => {}) {}
  #run<T>(sql: string, value: T): Promise<T> {
    this.statements.push(sql);
    this.onRun();
    if (this.failOn?.test(sql)) return Promise.reject(new Error(`failed: ${sql}`));
    return Promise.resolve(value);
  }
  query<T extends Row = Row>(sql: string): Promise<T[]> {
    return this.#run(sql, [] as T[]);
  }
  exec(sql: string): Promise<void> {
    return this.#run(sql, undefined);
  }
  #tx(): Tx {
    return {
      query: <T extends Row = Row>(sql: string) => this.#run(sql, [] as T[]),
      exec: (sql) => this.#run(sql, undefined),
      copySamples: (rows: SampleColumns) => this.#run(`COPY ${rows.time.length}`, undefined),
    };
  }
  transaction<T>(fn: (tx: Tx) => Promise<T>): Promise<T> {
    this.onRun();
    return fn(this.#tx());
  }
  session<T>(fn: (s: DbSession) => Promise<T>): Promise<T> {
    return fn({
      query: <R extends Row = Row>(sql: string) => this.#run(sql, [] as R[]),
      exec: (sql) => this.#run(sql, undefined),
      transaction: (f) => this.transaction(f),
    });
  }
  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}

/** The HTTP settings of these tests. */
export const CONFIG: HttpConfig = {
  retentionMs: 30 * 86_400_000,
  hostStaleAfterMs: 30_000,
  hostDownAfterMs: 60_000,
  requestTimeoutMs: 30_000,
};

/** A telemetry with no timers, GC profiler or lag sampler running. */
export function quietTelemetry(now: () => number = () => NOW): ServerTelemetry {
  return createServerTelemetry({
    version: "0.1.0",
    runtimeVersion: "2.9.6",
    procFdReadable: false,
    snapshotIntervalMs: 30_000,
    now,
    gcProfiler: null,
    lag: null,
  });
}

/**
 * The real app, instrumented exactly as server/http/app.ts is to be wired: metrics
 * middleware first, the ingest rejection counter on the ingest path, the instrumented
 * store, and the two telemetry routes.
 */
export function instrumentedApp(opts: {
  telemetry: ServerTelemetry;
  store?: MetricStore;
  metricsPublic?: boolean;
  now?: () => number;
  config?: Partial<HttpConfig>;
}): Hono<AppEnv> {
  const now = opts.now ?? (() => NOW);
  const t = opts.telemetry;
  const app = new Hono<AppEnv>();
  app.use(httpMetrics(t.metrics));
  app.use(requestId({ newRequestId: () => "req", log: silentLogger, now }));
  app.use("/api/v1/metrics", ingestRejections(t.metrics, "metrics"));
  app.onError(onError());
  app.notFound(notFound(() => app.routes));
  app.route(
    "/",
    createApp({
      store: instrumentMetricStore(opts.store ?? new MemoryStore(), t.metrics),
      secret: TEST_SECRET,
      now,
      log: silentLogger,
      config: { ...CONFIG, ...opts.config },
      newRequestId: () => "req",
    }),
  );
  app.route(
    "/",
    telemetryRoutes({
      registry: t.registry,
      metricsPublic: opts.metricsPublic ?? false,
      report: (o) => t.report(o),
    }, { secret: TEST_SECRET, now }),
  );
  return app;
}

export { sampleValue } from "../../shared/telemetry/exposition.ts";
