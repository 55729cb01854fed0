/**
 * `deno task bench:query`: query latency of MiniObserv on a day of data.
 *
 * Generates one day of 10 s samples for 100 hosts (5 series each: `cpu.usage_pct` core=total,
 * `mem.used_pct`, `system.load1`, `disk.used_pct` of `/`, `net.bytes_in` of eth0; 8,640
 * points per series, 4.32 M rows), in the order agents would have sent them (tick after
 * tick, all hosts interleaved), into a throwaway PostgreSQL database: the series made by a
 * real `store.ingest` of the newest tick, the rest bulk-loaded by binary COPY, then ANALYZE.
 * Then times, after a warm-up, `--reps` repetitions of each query, through `store.query` /
 * `store.latest` and through the HTTP app (`app.request()`, in process, JSON included):
 *
 * - one series over 24 h at 5-minute buckets (`cpu.usage_pct` core=total of one host;
 *   the host changes every repetition), target p99 < 10 ms;
 * - a 1 h panel of 100 series: `cpu.usage_pct` core=total of all 100 hosts over the last
 *   hour at 10 s buckets (what `auto` picks for 1 h), issued as 100 concurrent queries (one
 *   per chart, as a dashboard does) and timed until the last answers, target p99 < 100 ms;
 * - `latest` of one host (its 5 series).
 *
 * Options: --hosts N (100) --reps N (200) --panel-reps N (100) --json --pglite (also run
 * the same on in-memory PGlite; slow to load, so off by default) --keep-database (leave the
 * PostgreSQL database for EXPLAIN; drop it yourself).
 */
import { parseArgs } from "node:util";
import type { Db, SampleColumns } from "../server/db/db.ts";
import { loadMigrations, migrate } from "../server/db/migrate.ts";
import { openPglite } from "../server/db/pglite_driver.ts";
import { openPostgres } from "../server/db/postgres_driver.ts";
import { createApp } from "../server/http/app.ts";
import type { MetricQuery, MetricStore } from "../server/storage/metric_store.ts";
import { PartitionManager } from "../server/storage/partitions.ts";
import { SqlMetricStore } from "../server/storage/sql_metric_store.ts";
import { mintToken } from "../shared/jwt.ts";
import { createLogger, silentLogger } from "../shared/log.ts";
import { hostName, TICK_MS } from "./lib/agent_batches.ts";
import { benchDatabaseUrl, createScratchDatabase, randomSecret } from "./lib/bench_db.ts";
import { positiveInt } from "./lib/options.ts";
import { summarize, type Summary } from "./lib/stats.ts";
import { formatInt, formatMs, formatTable, formatVerdict, type Verdict } from "./lib/table.ts";
import { createWalkSeries, type WalkSpec } from "./lib/walk_series.ts";

/** Targets of the issue. */
export const TARGETS = { seriesDayP99Ms: 10, panelP99Ms: 100 } as const;

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const TICKS = DAY_MS / TICK_MS; // 8,640
const RETENTION_MS = 30 * DAY_MS;
/** Ticks per COPY while loading (× series = rows per COPY). */
const LOAD_CHUNK_TICKS = 120;
const LOAD_CONCURRENCY = 2;

/** The series every host has in the data set. */
const HOST_SERIES: readonly WalkSpec[] = [
  { name: "cpu.usage_pct", labels: { core: "total" }, scale: 100 },
  { name: "mem.used_pct", labels: {}, scale: 100 },
  { name: "system.load1", labels: {}, scale: 8 },
  {
    name: "disk.used_pct",
    labels: { mount: "/", device: "/dev/sda1", fstype: "ext4" },
    scale: 100,
  },
  { name: "net.bytes_in", labels: { iface: "eth0" }, scale: 12_500_000 },
];

interface Options {
  hosts: number;
  reps: number;
  panelReps: number;
  json: boolean;
  pglite: boolean;
  keepDatabase: boolean;
}

/** One timed query kind on one path. */
interface Timing {
  query: string;
  via: string;
  reps: number;
  latencyMs: Summary;
  /** Target p99 in ms, when the issue sets one. */
  targetP99Ms?: number;
}

/** Everything measured on one backend. */
interface BackendResult {
  backend: string;
  rows: number;
  loadSeconds: number;
  timings: Timing[];
}

const started = performance.now();
const progress = (msg: string) =>
  console.error(`bench:query [${((performance.now() - started) / 1000).toFixed(1)} s]: ${msg}`);

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      hosts: { type: "string" },
      reps: { type: "string" },
      "panel-reps": { type: "string" },
      json: { type: "boolean", default: false },
      pglite: { type: "boolean", default: false },
      "keep-database": { type: "boolean", default: false },
    },
  });
  return {
    hosts: positiveInt("hosts", values.hosts, 100),
    reps: positiveInt("reps", values.reps, 200),
    panelReps: positiveInt("panel-reps", values["panel-reps"], 100),
    json: values.json,
    pglite: values.pglite,
    keepDatabase: values["keep-database"],
  };
}

/**
 * Loads the day: the newest tick through `store.ingest` (creates series, hosts and the
 * partition as the server would), the other 8,639 ticks by binary COPY in arrival order.
 */
async function loadDay(
  db: Db,
  store: MetricStore,
  hosts: string[],
  endMs: number,
): Promise<number> {
  const firstMs = endMs - TICKS * TICK_MS;
  const series = (await createWalkSeries(
    db,
    store,
    hosts.map((host) => ({ host, specs: HOST_SERIES })),
    {
      time: new Date(firstMs + (TICKS - 1) * TICK_MS),
      receivedAt: new Date(),
      value: (_, walk) => walk(),
    },
  )).flat();
  const chunks: { from: number; to: number }[] = [];
  for (let t = 0; t < TICKS - 1; t += LOAD_CHUNK_TICKS) {
    chunks.push({ from: t, to: Math.min(t + LOAD_CHUNK_TICKS, TICKS - 1) });
  }
  // Values are drawn in tick order, so chunks are built in order and loaded two at a time.
  let next = 0;
  let rows = hosts.length * HOST_SERIES.length;
  const build = (c: { from: number; to: number }): SampleColumns => {
    const n = (c.to - c.from) * series.length;
    const cols: SampleColumns = { time: new Array(n), seriesId: new Array(n), value: new Array(n) };
    let k = 0;
    for (let t = c.from; t < c.to; t++) {
      const ms = firstMs + t * TICK_MS;
      for (let s = 0; s < series.length; s++, k++) {
        cols.time[k] = ms;
        cols.seriesId[k] = series[s].id;
        cols.value[k] = series[s].next();
      }
    }
    return cols;
  };
  const worker = async () => {
    while (next < chunks.length) {
      const cols = build(chunks[next++]);
      await db.transaction((tx) => tx.copySamples(cols));
      rows += cols.time.length;
    }
  };
  await Promise.all(Array.from({ length: LOAD_CONCURRENCY }, worker));
  return rows;
}

async function timeReps(
  reps: number,
  warmUp: number,
  run: (i: number) => Promise<void>,
): Promise<Summary> {
  for (let i = 0; i < warmUp; i++) await run(reps + i);
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await run(i);
    ms.push(performance.now() - t0);
  }
  return summarize(ms);
}

function expect(cond: boolean, what: string): void {
  if (!cond) throw new Error(`unexpected result: ${what}`);
}

async function getJson(
  app: ReturnType<typeof createApp>,
  path: string,
  auth: string,
): Promise<Record<string, unknown>> {
  const res = await app.request(path, { headers: { Authorization: auth } });
  const body = await res.json();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Runs every query kind on `store` and through an app over it. */
async function measure(
  store: MetricStore,
  hosts: string[],
  endMs: number,
  opts: Options,
): Promise<Timing[]> {
  const secret = randomSecret();
  const app = createApp({
    store,
    secret,
    now: Date.now,
    log: silentLogger,
    config: {
      retentionMs: RETENTION_MS,
      hostStaleAfterMs: 30_000,
      hostDownAfterMs: 60_000,
      requestTimeoutMs: 30_000,
    },
    newRequestId: () => crypto.randomUUID(),
  });
  const auth = `Bearer ${await mintToken({
    secret,
    subject: "bench-dashboard",
    scope: "read",
    ttlSeconds: 3600,
    now: Date.now,
  })}`;
  const host = (i: number) => hosts[i % hosts.length];
  const dayFrom = new Date(endMs - DAY_MS);
  const hourFrom = new Date(endMs - HOUR_MS);
  const to = new Date(endMs);
  const cpu = (h: string, from: Date, bucket: MetricQuery["bucket"]): MetricQuery => ({
    host: h,
    name: "cpu.usage_pct",
    labels: { core: "total" },
    from,
    to,
    bucket,
    agg: "avg",
  });
  const cpuPath = (h: string, from: Date, bucket: string) =>
    `/api/v1/metrics/query?host=${encodeURIComponent(h)}&name=cpu.usage_pct&label.core=total` +
    `&from=${from.toISOString()}&to=${to.toISOString()}&bucket=${bucket}`;
  const dayPoints = (n: number) => expect(n >= 288 && n <= 289, `${n} points for 24 h at 5 min`);
  const hourPoints = (n: number) => expect(n === 360, `${n} points for 1 h at 10 s`);
  const warm = Math.min(20, opts.reps);
  const timings: Timing[] = [];
  const add = (query: string, via: string, reps: number, s: Summary, targetP99Ms?: number) =>
    timings.push({ query, via, reps, latencyMs: s, targetP99Ms });

  const DAY = "one series, 24 h, 5 min buckets";
  progress(`timing: ${DAY}`);
  add(
    DAY,
    "store.query",
    opts.reps,
    await timeReps(opts.reps, warm, async (i) => {
      const r = await store.query(cpu(host(i), dayFrom, "5m"));
      expect(r.length === 1, "one series");
      dayPoints(r[0].points.length);
    }),
    TARGETS.seriesDayP99Ms,
  );
  add(
    DAY,
    "HTTP app",
    opts.reps,
    await timeReps(opts.reps, warm, async (i) => {
      const body = await getJson(app, cpuPath(host(i), dayFrom, "5m"), auth);
      dayPoints((body.series as { points: unknown[] }[])[0].points.length);
    }),
    TARGETS.seriesDayP99Ms,
  );

  const PANEL = `panel: ${hosts.length} series, 1 h, 10 s buckets`;
  progress(`timing: ${PANEL}`);
  const panelWarm = Math.min(5, opts.panelReps);
  add(
    PANEL,
    "store.query x100",
    opts.panelReps,
    await timeReps(opts.panelReps, panelWarm, async () => {
      const all = await Promise.all(hosts.map((h) => store.query(cpu(h, hourFrom, "10s"))));
      for (const r of all) hourPoints(r[0].points.length);
    }),
    TARGETS.panelP99Ms,
  );
  add(
    PANEL,
    "HTTP app x100",
    opts.panelReps,
    await timeReps(opts.panelReps, panelWarm, async () => {
      const all = await Promise.all(
        hosts.map((h) => getJson(app, cpuPath(h, hourFrom, "10s"), auth)),
      );
      for (const b of all) hourPoints((b.series as { points: unknown[] }[])[0].points.length);
    }),
    TARGETS.panelP99Ms,
  );

  const LATEST = `latest of one host (${HOST_SERIES.length} series)`;
  progress(`timing: ${LATEST}`);
  add(
    LATEST,
    "store.latest",
    opts.reps,
    await timeReps(opts.reps, warm, async (i) => {
      const r = await store.latest(host(i));
      expect(r.length === HOST_SERIES.length, `${r.length} latest values`);
    }),
  );
  add(
    LATEST,
    "HTTP app",
    opts.reps,
    await timeReps(opts.reps, warm, async (i) => {
      const b = await getJson(
        app,
        `/api/v1/metrics/latest?host=${encodeURIComponent(host(i))}`,
        auth,
      );
      expect((b.metrics as unknown[]).length === HOST_SERIES.length, "latest values");
    }),
  );
  return timings;
}

/** Migrates `db`, makes partitions, loads the day, analyzes, and measures. */
async function runOn(backend: string, db: Db, opts: Options): Promise<BackendResult> {
  const log = createLogger("warn", (line) => console.error(line));
  await migrate(db, { migrations: await loadMigrations(), log });
  const partitions = new PartitionManager(db, { retentionMs: RETENTION_MS, now: Date.now, log });
  await partitions.ensurePartitions();
  const store = new SqlMetricStore(db, { retentionMs: RETENTION_MS, log, partitions });
  const hosts = Array.from({ length: opts.hosts }, (_, i) => hostName(i));
  const endMs = Math.floor(Date.now() / TICK_MS) * TICK_MS;
  progress(`${backend}: loading ${formatInt(TICKS * hosts.length * HOST_SERIES.length)} rows`);
  const t0 = performance.now();
  const rows = await loadDay(db, store, hosts, endMs);
  // Steady state: what autovacuum (insert-triggered since PostgreSQL 13) and the checkpointer
  // would have done during a real day, done now so they do not run during the timings.
  await db.exec(db.kind === "pglite" ? "VACUUM ANALYZE" : "VACUUM (ANALYZE) metric_samples");
  await db.exec("ANALYZE series");
  if (db.kind === "postgres") await db.exec("CHECKPOINT").catch(() => {});
  const loadSeconds = (performance.now() - t0) / 1000;
  const defaultRows = await partitions.countDefaultRows();
  if (defaultRows > 0) throw new Error(`${defaultRows} rows landed in the default partition`);
  progress(`${backend}: loaded and analyzed in ${loadSeconds.toFixed(1)} s`);
  return { backend, rows, loadSeconds, timings: await measure(store, hosts, endMs, opts) };
}

/** PASS/MISS against the targets, which are set for PostgreSQL; PGlite figures are informative. */
function verdicts(results: BackendResult[]): Verdict[] {
  return results.filter((r) => r.backend.startsWith("PostgreSQL")).flatMap((r) =>
    r.timings
      .filter((t) => t.targetP99Ms !== undefined)
      .map((t) => ({
        name: `${r.backend}: ${t.query} via ${t.via}, p99`,
        pass: t.latencyMs.p99 < t.targetP99Ms!,
        figure: `${formatMs(t.latencyMs.p99)} ms`,
        target: `< ${t.targetP99Ms} ms`,
      }))
  );
}

function report(opts: Options, pgVersion: string, results: BackendResult[]) {
  const checks = verdicts(results);
  if (opts.json) {
    console.log(JSON.stringify(
      {
        benchmark: "query",
        postgres: pgVersion,
        cpus: navigator.hardwareConcurrency,
        options: { ...opts, json: undefined },
        results,
        pglite: opts.pglite ? "measured" : "skipped (run with --pglite)",
        targets: TARGETS,
        verdicts: checks,
      },
      null,
      2,
    ));
    return;
  }
  for (const r of results) {
    console.log(
      `\nMiniObserv queries on ${r.backend}: ${opts.hosts} hosts × ${HOST_SERIES.length} series, ` +
        `one day of 10 s data (${formatInt(r.rows)} rows, loaded + analyzed in ` +
        `${r.loadSeconds.toFixed(1)} s)\n`,
    );
    console.log(formatTable(
      ["query", "via", "reps", "p50 ms", "p99 ms", "max ms", "target p99"],
      r.timings.map((t) => [
        t.query,
        t.via,
        String(t.reps),
        formatMs(t.latencyMs.p50),
        formatMs(t.latencyMs.p99),
        formatMs(t.latencyMs.max),
        t.targetP99Ms === undefined ? "-" : `< ${t.targetP99Ms} ms`,
      ]),
    ));
  }
  console.log(
    "\n(panel = the 100 hosts' cpu.usage_pct core=total, 100 concurrent queries, timed until " +
      "the last answers; HTTP app = app.request() in process, auth + JSON included)",
  );
  if (!opts.pglite) console.log("PGlite: skipped (run with --pglite to include it)");
  console.log("");
  for (const v of checks) console.log(formatVerdict(v));
}

async function main() {
  const opts = parseOptions(Deno.args);
  const log = createLogger("warn", (line) => console.error(line));
  const scratch = await createScratchDatabase(benchDatabaseUrl(Deno.env.toObject()));
  progress(`scratch database ${scratch.name}`);
  const results: BackendResult[] = [];
  let pgVersion = "?";
  try {
    const db = await openPostgres(scratch.url, { log, applicationName: "miniobserv-bench" });
    try {
      pgVersion = (await db.query<{ v: string }>(
        "SELECT current_setting('server_version') AS v",
      ))[0].v.split(" ")[0];
      results.push(await runOn(`PostgreSQL ${pgVersion}`, db, opts));
    } finally {
      await db.close();
    }
  } finally {
    if (opts.keepDatabase) {
      progress(`kept database ${scratch.name} (--keep-database): drop it yourself`);
    } else await scratch.drop();
  }
  if (opts.pglite) {
    const db = await openPglite();
    try {
      results.push(await runOn("PGlite (memory)", db, opts));
    } finally {
      await db.close();
    }
  }
  report(opts, pgVersion, results);
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    console.error(`bench:query failed: ${e instanceof Error ? e.stack ?? e.message : e}`);
    Deno.exit(1);
  }
}
