/**
 * `deno task bench:ingest`: end-to-end metric ingest throughput of MiniObserv.
 *
 * A load generator (this process) posts realistic agent batches (5,000 metrics of one
 * simulated host each, 200 hosts, one ingest token per host) with `--concurrency` requests
 * in flight to the real server app running in its own process (`bench/lib/bench_server.ts`)
 * on PostgreSQL, in a throwaway database. Then, in the same run, the raw ceiling: the very
 * same rows (same series ids) bulk-loaded by binary COPY straight into the same
 * `metric_samples` table with the same concurrency, no HTTP, no JSON. Last, a shorter run of
 * the same HTTP ingest against a server on in-memory PGlite.
 *
 * Phases: series warm-up (one tick per host: creates every series), JIT warm-up (a few full
 * batches), then `TRUNCATE metric_samples` + `CHECKPOINT` before each measured phase so both
 * start from the same table. Targets are reported PASS/MISS; a miss never fails the run.
 *
 * Options: --concurrency N (4) --batches N (300 measured) --hosts N (200) --batch-size N
 * (5000) --max-seconds S (25, caps the measured HTTP phase) --pglite-batches N (24, 0 skips)
 * --json (one JSON document on stdout) --server-flag F (repeatable: extra `deno run` flag for
 * the server, e.g. --server-flag=--cpu-prof to profile it).
 */
import { parseArgs } from "node:util";
import type { Db, SampleColumns } from "../server/db/db.ts";
import { loadMigrations, migrate } from "../server/db/migrate.ts";
import { openPostgres } from "../server/db/postgres_driver.ts";
import { mintToken } from "../shared/jwt.ts";
import { createLogger } from "../shared/log.ts";
import { LIMITS } from "../shared/metric_names.ts";
import { VERSION } from "../shared/version.ts";
import {
  generateBatch,
  type GeneratedBatch,
  type HostProfile,
  hostProfile,
  seriesSpecKey,
  TICK_MS,
  ticksFor,
} from "./lib/agent_batches.ts";
import { benchDatabaseUrl, createScratchDatabase, randomSecret } from "./lib/bench_db.ts";
import { cpuDelta, type CpuSnapshot, cpuSnapshot } from "./lib/proc_cpu.ts";
import { startBenchServer, waitReady } from "./lib/server_process.ts";
import { summarize, type Summary } from "./lib/stats.ts";
import {
  formatInt,
  formatMs,
  formatPct,
  formatTable,
  formatVerdict,
  type Verdict,
} from "./lib/table.ts";

/** Targets of the issue, on a 2-core machine. */
export const TARGETS = {
  samplesPerSecond: 150_000,
  ratioOfRaw: 0.5,
  p99Ms: 100,
} as const;

interface Options {
  concurrency: number;
  batches: number;
  hosts: number;
  batchSize: number;
  maxSeconds: number;
  pgliteBatches: number;
  json: boolean;
  serverFlags: string[];
}

/** One batch as the load generator sends it. */
interface Outgoing {
  batch: GeneratedBatch;
  body: Uint8Array<ArrayBuffer>;
  authorization: string;
}

/** What one measured phase did. */
interface PhaseResult {
  name: string;
  batches: number;
  samples: number;
  seconds: number;
  samplesPerSecond: number;
  latencyMs: Summary;
  cpuSeconds: CpuSnapshot;
}

function positiveInt(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`--${name} must be an integer ≥ ${min}, got ${JSON.stringify(text)}`);
  }
  return n;
}

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      concurrency: { type: "string" },
      batches: { type: "string" },
      hosts: { type: "string" },
      "batch-size": { type: "string" },
      "max-seconds": { type: "string" },
      "pglite-batches": { type: "string" },
      json: { type: "boolean", default: false },
      "server-flag": { type: "string", multiple: true },
    },
  });
  const batchSize = positiveInt("batch-size", values["batch-size"], LIMITS.batchMaxMetrics);
  if (batchSize > LIMITS.batchMaxMetrics) {
    throw new Error(`--batch-size must be at most ${LIMITS.batchMaxMetrics}`);
  }
  return {
    concurrency: positiveInt("concurrency", values.concurrency, 4),
    batches: positiveInt("batches", values.batches, 300),
    hosts: positiveInt("hosts", values.hosts, 200),
    batchSize,
    maxSeconds: positiveInt("max-seconds", values["max-seconds"], 25),
    pgliteBatches: positiveInt("pglite-batches", values["pglite-batches"], 24, 0),
    json: values.json,
    serverFlags: values["server-flag"] ?? [],
  };
}

const started = performance.now();
const progress = (msg: string) =>
  console.error(`bench:ingest [${((performance.now() - started) / 1000).toFixed(1)} s]: ${msg}`);

/** Runs `items` through `work` with `concurrency` in flight; stops taking new ones after `deadline`. */
async function pool<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
  deadline = Infinity,
): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < items.length && performance.now() < deadline) await work(items[next++]);
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return Math.min(next, items.length);
}

async function post(url: string, out: Outgoing): Promise<void> {
  const res = await fetch(url, {
    method: "POST",
    body: out.body,
    headers: {
      "Authorization": out.authorization,
      "Content-Type": "application/json",
      "X-Agent-Version": VERSION,
    },
  });
  const text = await res.text();
  if (res.status !== 202) {
    throw new Error(`batch ${out.batch.id}: server answered ${res.status}: ${text}`);
  }
  const answer = JSON.parse(text) as { ingested?: number; duplicate?: boolean };
  if (answer.duplicate || answer.ingested !== out.batch.samples) {
    throw new Error(`batch ${out.batch.id}: expected ${out.batch.samples} ingested, got ${text}`);
  }
}

/** Posts every batch (until `maxSeconds`), timing each request from send to last byte. */
async function httpPhase(
  name: string,
  baseUrl: string,
  items: readonly Outgoing[],
  concurrency: number,
  maxSeconds: number,
  serverPid: number,
): Promise<PhaseResult> {
  const url = `${baseUrl}/api/v1/metrics`;
  const latencies: number[] = [];
  let samples = 0;
  const cpu0 = cpuSnapshot(serverPid);
  const t0 = performance.now();
  const sent = await pool(items, concurrency, async (out) => {
    const start = performance.now();
    await post(url, out);
    latencies.push(performance.now() - start);
    samples += out.batch.samples;
  }, t0 + maxSeconds * 1000);
  const seconds = (performance.now() - t0) / 1000;
  return {
    name,
    batches: sent,
    samples,
    seconds,
    samplesPerSecond: samples / seconds,
    latencyMs: summarize(latencies),
    cpuSeconds: cpuDelta(cpu0, cpuSnapshot(serverPid)),
  };
}

/** Binary COPY of the same rows straight into `metric_samples`, one transaction per batch. */
async function rawPhase(
  db: Db,
  columns: readonly SampleColumns[],
  concurrency: number,
): Promise<PhaseResult> {
  const latencies: number[] = [];
  let samples = 0;
  const cpu0 = cpuSnapshot();
  const t0 = performance.now();
  const done = await pool(columns, concurrency, async (rows) => {
    const start = performance.now();
    await db.transaction((tx) => tx.copySamples(rows));
    latencies.push(performance.now() - start);
    samples += rows.time.length;
  });
  const seconds = (performance.now() - t0) / 1000;
  return {
    name: "raw binary COPY -> PostgreSQL",
    batches: done,
    samples,
    seconds,
    samplesPerSecond: samples / seconds,
    latencyMs: summarize(latencies),
    cpuSeconds: cpuDelta(cpu0, cpuSnapshot()),
  };
}

/** Empties the samples table and flushes dirty pages, so each measured phase starts alike. */
async function resetSamples(db: Db): Promise<void> {
  await db.exec("TRUNCATE metric_samples");
  await db.exec("CHECKPOINT").catch((e) => progress(`CHECKPOINT skipped: ${e}`));
}

async function countSamples(db: Db): Promise<number> {
  const rows = await db.query<{ n: unknown }>("SELECT count(*)::int8 AS n FROM metric_samples");
  return Number(rows[0].n);
}

/** Maps every generated series to its id in the `series` table (made by the server). */
async function seriesIds(db: Db): Promise<Map<string, number>> {
  const rows = await db.query<{ id: unknown; host: string; name: string; labels: unknown }>(
    "SELECT id, host, name, labels::text AS labels FROM series",
  );
  return new Map(
    rows.map((r) => [
      seriesSpecKey(r.host, r.name, JSON.parse(String(r.labels))),
      Number(r.id),
    ]),
  );
}

function toColumns(
  batch: GeneratedBatch,
  profile: HostProfile,
  ids: Map<string, number>,
): SampleColumns {
  const idOf = profile.series.map((s) => {
    const id = ids.get(seriesSpecKey(profile.host, s.name, s.labels));
    if (id === undefined) throw new Error(`series ${s.name} of ${profile.host} has no id`);
    return id;
  });
  return {
    time: batch.time,
    seriesId: batch.seriesIndex.map((i) => idOf[i]),
    value: batch.value,
  };
}

/** Everything the run sends, generated before any clock starts. */
interface Traffic {
  profiles: HostProfile[];
  /** One tick of every host: creates the series. */
  seriesWarmUp: Outgoing[];
  /** Full batches for JIT and connection warm-up. */
  warmUp: Outgoing[];
  measured: Outgoing[];
  generateSeconds: number;
}

async function generateTraffic(opts: Options, runId: string, secret: string): Promise<Traffic> {
  const t0 = performance.now();
  const profiles = Array.from({ length: opts.hosts }, (_, i) => hostProfile(i));
  const warmUpCount = 2 * opts.concurrency;
  const total = warmUpCount + opts.batches;
  const batchesPerHost = Math.ceil(total / opts.hosts);
  const maxTicks = Math.max(...profiles.map((p) => ticksFor(p, batchesPerHost * opts.batchSize)));
  // Every host's stream ends a minute before now (well inside the 10 min future window).
  const originMs = Date.now() - (maxTicks + 6) * TICK_MS;
  const encoder = new TextEncoder();
  const authorization = await Promise.all(profiles.map(async (p) =>
    `Bearer ${await mintToken({
      secret,
      subject: p.host,
      scope: "ingest",
      ttlSeconds: 3600,
      now: Date.now,
    })}`
  ));
  const outgoing = (b: GeneratedBatch, host: number): Outgoing => ({
    batch: b,
    body: encoder.encode(b.body),
    authorization: authorization[host],
  });
  const seriesWarmUp = profiles.map((p) =>
    outgoing(
      generateBatch(p, {
        id: `${runId}-${p.host}-series`,
        seq: 0,
        size: p.series.length,
        originMs,
      }),
      p.index,
    )
  );
  const all: Outgoing[] = [];
  for (let i = 0; i < total; i++) {
    const host = i % opts.hosts;
    const seq = Math.floor(i / opts.hosts);
    const b = generateBatch(profiles[host], {
      id: `${runId}-${profiles[host].host}-${seq}`,
      seq,
      size: opts.batchSize,
      originMs,
    });
    const out = outgoing(b, host);
    b.body = ""; // encoded into out.body: the text is not needed any more
    all.push(out);
  }
  return {
    profiles,
    seriesWarmUp,
    warmUp: all.slice(0, warmUpCount),
    measured: all.slice(warmUpCount),
    generateSeconds: (performance.now() - t0) / 1000,
  };
}

function phaseRow(p: PhaseResult): string[] {
  const cpu = (v: number | null) => (v === null ? "-" : v.toFixed(1));
  return [
    p.name,
    formatInt(p.batches),
    formatInt(p.samples),
    p.seconds.toFixed(2),
    formatInt(p.samplesPerSecond),
    formatMs(p.latencyMs.p50),
    formatMs(p.latencyMs.p99),
    cpu(p.cpuSeconds.client),
    cpu(p.cpuSeconds.server),
    cpu(p.cpuSeconds.postgres),
  ];
}

async function main() {
  const opts = parseOptions(Deno.args);
  const log = createLogger("warn", (line) => console.error(line));
  const baseUrl = benchDatabaseUrl(Deno.env.toObject());
  const runId = `b${Date.now().toString(36)}`;
  const secret = randomSecret();

  progress(
    `generating ${opts.batches} measured batches of ${opts.batchSize} for ${opts.hosts} hosts`,
  );
  const traffic = await generateTraffic(opts, runId, secret);
  progress(`generated in ${traffic.generateSeconds.toFixed(1)} s`);

  const scratch = await createScratchDatabase(baseUrl);
  progress(`scratch database ${scratch.name}`);
  let db: Db | undefined;
  try {
    db = await openPostgres(scratch.url, {
      log,
      max: opts.concurrency,
      applicationName: "miniobserv-bench",
    });
    const version =
      (await db.query<{ v: string }>("SELECT current_setting('server_version') AS v"))[0].v.split(
        " ",
      )[0];
    await migrate(db, { migrations: await loadMigrations(), log });

    // --- HTTP -> server -> PostgreSQL
    const server = await startBenchServer({
      backend: { kind: "postgres", url: scratch.url },
      secret,
      denoFlags: opts.serverFlags,
    });
    let http: PhaseResult;
    try {
      await waitReady(server.baseUrl);
      const url = `${server.baseUrl}/api/v1/metrics`;
      progress("warm-up: series of every host, then full batches");
      await pool(traffic.seriesWarmUp, opts.concurrency, (o) => post(url, o));
      await pool(traffic.warmUp, opts.concurrency, (o) => post(url, o));
      await resetSamples(db);
      progress(`measuring HTTP ingest on PostgreSQL ${version} (concurrency ${opts.concurrency})`);
      http = await httpPhase(
        "HTTP -> server -> PostgreSQL",
        server.baseUrl,
        traffic.measured,
        opts.concurrency,
        opts.maxSeconds,
        server.pid,
      );
    } finally {
      await server.stop();
    }
    const stored = await countSamples(db);
    if (stored !== http.samples) {
      throw new Error(`${http.samples} samples acknowledged but ${stored} stored`);
    }

    // --- raw ceiling: the same rows, binary COPY, same table, same concurrency
    const ids = await seriesIds(db);
    const columns = traffic.measured.slice(0, http.batches).map((o) =>
      toColumns(o.batch, traffic.profiles[hostIndexOf(o.batch.host)], ids)
    );
    await resetSamples(db);
    progress("measuring raw binary COPY of the same rows");
    const raw = await rawPhase(db, columns, opts.concurrency);

    // --- HTTP -> server -> PGlite (in memory), shorter
    let pglite: PhaseResult | null = null;
    if (opts.pgliteBatches > 0) {
      const pgServer = await startBenchServer({ backend: { kind: "pglite" }, secret });
      try {
        await waitReady(pgServer.baseUrl);
        const url = `${pgServer.baseUrl}/api/v1/metrics`;
        progress("PGlite: warm-up");
        await pool(traffic.seriesWarmUp, opts.concurrency, (o) => post(url, o));
        await pool(traffic.warmUp.slice(0, 2), opts.concurrency, (o) => post(url, o));
        progress(`measuring HTTP ingest on PGlite (${opts.pgliteBatches} batches)`);
        const measured = await httpPhase(
          "HTTP -> server -> PGlite (memory)",
          pgServer.baseUrl,
          traffic.measured.slice(0, opts.pgliteBatches),
          opts.concurrency,
          opts.maxSeconds,
          pgServer.pid,
        );
        // PGlite runs inside the server process: PostgreSQL's CPU is not part of this phase.
        pglite = { ...measured, cpuSeconds: { ...measured.cpuSeconds, postgres: null } };
      } finally {
        await pgServer.stop();
      }
    }

    report(opts, version, http, raw, pglite);
  } finally {
    await db?.close();
    await scratch.drop();
  }
}

function hostIndexOf(host: string): number {
  return Number(host.slice(host.lastIndexOf("-") + 1));
}

/** CPU milliseconds per batch of each party, and in total; null where /proc was unreadable. */
interface CpuPerBatch {
  client: number | null;
  server: number | null;
  postgres: number | null;
  total: number | null;
}

function cpuPerBatch(p: PhaseResult): CpuPerBatch {
  const per = (v: number | null) => (v === null ? null : (v * 1000) / p.batches);
  const { client, server, postgres } = p.cpuSeconds;
  const parts = [client, postgres, ...(p.name.startsWith("raw") ? [] : [server])];
  const total = parts.some((v) => v === null)
    ? null
    : per(parts.reduce((a, b) => a! + b!, 0 as number | null));
  return { client: per(client), server: per(server), postgres: per(postgres), total };
}

function report(
  opts: Options,
  pgVersion: string,
  http: PhaseResult,
  raw: PhaseResult,
  pglite: PhaseResult | null,
) {
  const ratio = http.samplesPerSecond / raw.samplesPerSecond;
  const cpu = { http: cpuPerBatch(http), raw: cpuPerBatch(raw) };
  const cpuRatio = cpu.http.total && cpu.raw.total ? cpu.raw.total / cpu.http.total : null;
  const verdicts: Verdict[] = [
    {
      name: `end to end >= ${formatInt(TARGETS.samplesPerSecond)} samples/s`,
      pass: http.samplesPerSecond >= TARGETS.samplesPerSecond,
      figure: `${formatInt(http.samplesPerSecond)} samples/s`,
      target: `>= ${formatInt(TARGETS.samplesPerSecond)}`,
    },
    {
      name: "end to end >= 50 % of the raw COPY ceiling",
      pass: ratio >= TARGETS.ratioOfRaw,
      figure: formatPct(ratio),
      target: `>= ${formatPct(TARGETS.ratioOfRaw)}`,
    },
    {
      name: `request p99 < ${TARGETS.p99Ms} ms for a ${formatInt(opts.batchSize)}-sample batch`,
      pass: http.latencyMs.p99 < TARGETS.p99Ms,
      figure: `${formatMs(http.latencyMs.p99)} ms`,
      target: `< ${TARGETS.p99Ms} ms`,
    },
  ];
  if (opts.json) {
    console.log(JSON.stringify(
      {
        benchmark: "ingest",
        postgres: pgVersion,
        cpus: navigator.hardwareConcurrency,
        options: { ...opts, json: undefined },
        phases: { http, raw, pglite },
        ratio,
        cpuMsPerBatch: cpu,
        cpuRatio,
        targets: TARGETS,
        verdicts,
      },
      null,
      2,
    ));
    return;
  }
  const phases = [http, raw, ...(pglite ? [pglite] : [])];
  console.log(
    `\nMiniObserv ingest: PostgreSQL ${pgVersion}, ${navigator.hardwareConcurrency} CPUs, ` +
      `concurrency ${opts.concurrency}, batches of ${formatInt(opts.batchSize)} metrics from ` +
      `${opts.hosts} simulated hosts\n`,
  );
  console.log(formatTable(
    [
      "phase",
      "batches",
      "samples",
      "s",
      "samples/s",
      "p50 ms",
      "p99 ms",
      "cpu-s bench",
      "cpu-s server",
      "cpu-s postgres",
    ],
    phases.map(phaseRow),
  ));
  console.log(
    `\nratio end to end / raw COPY: ${formatPct(ratio)}` +
      (pglite ? "" : "   (PGlite skipped: --pglite-batches 0)"),
  );
  if (cpu.http.total !== null && cpu.raw.total !== null && cpuRatio !== null) {
    const f = (v: number | null) => (v === null ? "?" : v.toFixed(1));
    console.log(
      `CPU per batch: end to end ${f(cpu.http.total)} ms (load generator ${f(cpu.http.client)}, ` +
        `server ${f(cpu.http.server)}, PostgreSQL ${f(cpu.http.postgres)}); raw COPY ` +
        `${f(cpu.raw.total)} ms; CPU ratio raw / end to end ${formatPct(cpuRatio)} ` +
        "(steadier than the throughput ratio on a noisy machine)",
    );
  }
  console.log(
    "(latency = one POST from send to the last byte of the 202; raw latency = one COPY " +
      "transaction; cpu-s = CPU seconds used during the phase, read from /proc: needs -A)\n",
  );
  for (const v of verdicts) console.log(formatVerdict(v));
}

if (import.meta.main) {
  try {
    await main();
  } catch (e) {
    console.error(`bench:ingest failed: ${e instanceof Error ? e.stack ?? e.message : e}`);
    Deno.exit(1);
  }
}
