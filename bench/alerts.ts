/**
 * `deno task bench:alerts`: the time of one alert evaluation cycle — 1,000 rules over 200
 * hosts on PostgreSQL, state writes included (target < 1 s).
 *
 * A throwaway database (`miniobserv_bench_alerts_<random>` on `TEST_DATABASE_URL`, else
 * `DATABASE_URL`, else postgres://postgres@127.0.0.1:5432/test; dropped at the end) gets
 * 200 hosts with 16 series each (CPU total and 4 cores, memory, two filesystems, load
 * 1/5/15, network in/out, disk read/write), 10 minutes of 10 s samples, and 1,000 rules:
 * a mix of metrics, aggregations (avg/min/max/last), windows (1m/5m), label matchers,
 * host globs (60 % `*`, the rest a tenth to a half of the hosts), `for` and
 * `keep_firing_for`, thresholds set so a few percent of instances breach, with one
 * webhook receiver. Then it runs the production evaluator, fenced by the real advisory
 * leader lock on its own connection, cycle after cycle on a clock advanced 15 s per
 * cycle while a new tick of samples arrives (values drift, so alerts go pending, fire and
 * resolve, and notifications are queued).
 *
 * Prints the first (cold: no state yet, writes every instance) cycle apart, then each
 * steady cycle's total, query and write time, instances, rows written, transitions and
 * messages, then the first cycle of a new evaluator on the same database (what a replica
 * taking over pays: it loads every state), and PASS/MISS for the slowest steady cycle.
 * Never fails on a miss.
 *
 * Options: --rules N (1000) --hosts N (200) --cycles N (10) --json
 */
import { parseArgs } from "node:util";
import { Evaluator } from "../server/alerts/evaluator.ts";
import { groupRules } from "../server/alerts/eval_query.ts";
import { validateRules } from "../server/alerts/rule_validation.ts";
import { SilenceStore } from "../server/alerts/silence_store.ts";
import type { Db, SampleColumns } from "../server/db/db.ts";
import { loadMigrations, migrate } from "../server/db/migrate.ts";
import { openPostgres } from "../server/db/postgres_driver.ts";
import { AdvisoryLeaderLock } from "../server/leader/advisory_lock.ts";
import { validateReceiver } from "../server/notify/receiver.ts";
import { utcDay } from "../server/storage/days.ts";
import { PartitionManager } from "../server/storage/partitions.ts";
import { SqlMetricStore } from "../server/storage/sql_metric_store.ts";
import { silentLogger } from "../shared/log.ts";
import type { MetricName } from "../shared/metric_names.ts";

/** The target for one cycle, state writes included. */
export const TARGET_MS = 1000;
const TICK_MS = 10_000;
const HISTORY_MS = 10 * 60_000;
const CYCLE_MS = 15_000;
const RETENTION_MS = 30 * 86_400_000;
const DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/test";

interface SeriesSpec {
  name: MetricName;
  labels: Record<string, string>;
  /** Typical value and spread. */
  base: number;
  spread: number;
}

const SERIES: SeriesSpec[] = [
  { name: "cpu.usage_pct", labels: { core: "total" }, base: 40, spread: 30 },
  ...["0", "1", "2", "3"].map((core) => ({
    name: "cpu.usage_pct" as MetricName,
    labels: { core },
    base: 40,
    spread: 35,
  })),
  { name: "mem.used_pct", labels: {}, base: 60, spread: 20 },
  { name: "disk.used_pct", labels: { mount: "/", device: "sda1" }, base: 55, spread: 25 },
  { name: "disk.used_pct", labels: { mount: "/data", device: "sdb1" }, base: 70, spread: 20 },
  { name: "system.load1", labels: {}, base: 2, spread: 2 },
  { name: "system.load5", labels: {}, base: 2, spread: 1.5 },
  { name: "system.load15", labels: {}, base: 2, spread: 1 },
  { name: "net.bytes_in", labels: { iface: "eth0" }, base: 5e6, spread: 4e6 },
  { name: "net.bytes_out", labels: { iface: "eth0" }, base: 3e6, spread: 2.5e6 },
  { name: "disk.read_bytes", labels: { device: "sda" }, base: 2e6, spread: 2e6 },
  { name: "disk.write_bytes", labels: { device: "sda" }, base: 3e6, spread: 3e6 },
  { name: "mem.used_bytes", labels: {}, base: 8e9, spread: 4e9 },
];

/** Deterministic pseudo-random numbers in [0, 1). */
function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hostName = (i: number) =>
  `${["web", "db", "cache", "batch"][i % 4]}-${String(i).padStart(3, "0")}`;

/** A value of series `s` of host `h` at tick `t`: a per-host level plus a slow wave. */
function valueAt(s: SeriesSpec, h: number, si: number, t: number): number {
  const level = seeded(h * 131 + si)() * 2 - 1;
  const wave = Math.sin((t / 6) + h + si) * 0.35;
  return Math.max(0, s.base + s.spread * (level * 0.8 + wave));
}

/** 1,000 rule objects as an operator would write them. */
function makeRules(n: number): unknown[] {
  const rnd = seeded(42);
  const aggs = ["avg", "min", "max", "last"];
  const globs = ["web-*", "db-*", "cache-*", "batch-*", "web-0*", "*-1??", "db-0?0"];
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const si = i % SERIES.length;
    const s = SERIES[si];
    const useLabels = s.labels.core === "total" || s.labels.mount !== undefined || rnd() < 0.3;
    // High enough that a few percent of instances breach at any time.
    const threshold = Math.round((s.base + s.spread * (0.75 + rnd() * 0.3)) * 100) / 100;
    out.push({
      name: `bench-${String(i).padStart(4, "0")}-${s.name}`,
      metric: s.name,
      hosts: rnd() < 0.6 ? "*" : globs[i % globs.length],
      ...(useLabels && Object.keys(s.labels).length > 0 ? { labels: s.labels } : {}),
      agg: aggs[i % aggs.length],
      window: i % 3 === 0 ? "5m" : "1m",
      op: ">",
      threshold,
      for: ["0s", "30s", "1m"][i % 3],
      keep_firing_for: i % 5 === 0 ? "30s" : "0s",
      severity: ["critical", "warning", "info"][i % 3],
      summary: "{{host}} {{metric}} at {{value}}",
    });
  }
  return out;
}

async function loadTicks(
  db: Db,
  partitions: PartitionManager,
  ids: Map<string, number>,
  hosts: number,
  fromTick: number,
  toTick: number,
  t0: number,
): Promise<number> {
  let rows = 0;
  const days = new Set<number>();
  for (let t = fromTick; t < toTick; t++) days.add(utcDay(t0 + t * TICK_MS));
  await partitions.ensureDays(days);
  for (let t = fromTick; t < toTick; t += 10) {
    const cols: SampleColumns = { time: [], seriesId: [], value: [] };
    for (let tick = t; tick < Math.min(toTick, t + 10); tick++) {
      for (let h = 0; h < hosts; h++) {
        SERIES.forEach((s, si) => {
          cols.time.push(t0 + tick * TICK_MS);
          cols.seriesId.push(ids.get(`${hostName(h)}\u0000${si}`)!);
          cols.value.push(valueAt(s, h, si, tick));
        });
      }
    }
    await db.transaction((tx) => tx.copySamples(cols));
    rows += cols.time.length;
  }
  await db.query("UPDATE hosts SET last_seen = $1", [new Date(t0 + (toTick - 1) * TICK_MS)]);
  return rows;
}

async function main() {
  const { values: args } = parseArgs({
    args: Deno.args,
    options: {
      rules: { type: "string", default: "1000" },
      hosts: { type: "string", default: "200" },
      cycles: { type: "string", default: "10" },
      json: { type: "boolean", default: false },
    },
  });
  const nRules = Number(args.rules);
  const nHosts = Number(args.hosts);
  const nCycles = Number(args.cycles);
  const env = Deno.env.toObject();
  const baseUrl = env.TEST_DATABASE_URL || env.DATABASE_URL || DEFAULT_URL;
  const name = `miniobserv_bench_alerts_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = await openPostgres(baseUrl, { log: silentLogger, max: 1 });
  await admin.exec(`CREATE DATABASE ${name}`);
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  const db = await openPostgres(url.href, { log: silentLogger });
  const lockDb = await openPostgres(url.href, { log: silentLogger, max: 1 });
  try {
    await migrate(db, { migrations: await loadMigrations(), log: silentLogger });
    const ticks = HISTORY_MS / TICK_MS;
    const t0 = Date.now() - HISTORY_MS;
    let clock = t0 + (ticks - 1) * TICK_MS + 1000;
    const partitions = new PartitionManager(db, {
      retentionMs: RETENTION_MS,
      now: () => clock,
      log: silentLogger,
    });
    const store = new SqlMetricStore(db, {
      retentionMs: RETENTION_MS,
      log: silentLogger,
      now: () => clock,
      partitions,
    });
    // One real ingest per host creates the series and hosts rows; COPY loads the rest.
    for (let h = 0; h < nHosts; h++) {
      const host = hostName(h);
      await store.ingest(
        {
          id: `seed-${h}`,
          host,
          metrics: SERIES.map((s, si) => ({
            host,
            name: s.name,
            time: new Date(t0 - TICK_MS).toISOString(),
            value: valueAt(s, h, si, -1),
            labels: s.labels,
          })),
        },
        "bench",
        new Date(t0 - TICK_MS),
      );
    }
    const ids = new Map<string, number>();
    const expected = nHosts * SERIES.length;
    for (const r of await db.query("SELECT id, host, name, labels FROM series")) {
      const si = SERIES.findIndex((s) =>
        s.name === r.name &&
        JSON.stringify(sortKeys(s.labels)) === JSON.stringify(sortKeys(r.labels))
      );
      ids.set(`${r.host}\u0000${si}`, Number(r.id));
    }
    if (ids.size !== expected) throw new Error(`expected ${expected} series, found ${ids.size}`);
    const loaded = await loadTicks(db, partitions, ids, nHosts, 0, ticks, t0);
    await db.exec("ANALYZE");

    const rules = validateRules(makeRules(nRules), "bench");
    const receiver = validateReceiver(
      { name: "hook", type: "webhook", url: "http://127.0.0.1:9/" },
      "bench",
    );
    if (Array.isArray(receiver)) throw new Error(receiver.join());
    const config = { rules, receivers: [receiver] };
    const lock = new AdvisoryLeaderLock(lockDb, { log: silentLogger });
    if (!await lock.check()) throw new Error("could not take the leader lock");
    const makeEvaluator = () =>
      new Evaluator({
        db,
        write: (fn) => lock.fenced(fn),
        config: () => config,
        silences: new SilenceStore(db),
        now: () => clock,
        newId: () => `msg_${crypto.randomUUID().replaceAll("-", "")}`,
        log: silentLogger,
        replica: "bench",
        hostDownAfterMs: 60_000,
        repeatIntervalMs: 4 * 3_600_000,
        externalUrl: "",
        budgetMs: 60_000,
      });
    const evaluator = makeEvaluator();
    const groups = groupRules(rules).length;
    console.log(
      `bench:alerts — ${nRules} rules (${groups} queries per cycle) over ${nHosts} hosts, ` +
        `${ids.size} series, ${loaded.toLocaleString("en-US")} samples; PostgreSQL ${name}`,
    );
    const results = [];
    let tick = ticks;
    for (let c = 0; c <= nCycles; c++) {
      if (c > 0) {
        // 15 s pass: one or two new ticks of samples arrive.
        const next = Math.floor((clock + CYCLE_MS - t0) / TICK_MS) + 1;
        if (next > tick) await loadTicks(db, partitions, ids, nHosts, tick, next, t0);
        tick = Math.max(tick, next);
        clock += CYCLE_MS;
      }
      const r = await evaluator.runCycle();
      results.push({ cycle: c, ...r });
    }
    const pad = (s: string | number, n: number) => String(s).padStart(n);
    console.log(
      `${"cycle".padEnd(7)}${pad("total ms", 10)}${pad("query ms", 10)}${pad("write ms", 10)}` +
        `${pad("instances", 11)}${pad("written", 9)}${pad("changes", 9)}${pad("messages", 10)}`,
    );
    for (const r of results) {
      console.log(
        `${(r.cycle === 0 ? "cold" : String(r.cycle)).padEnd(7)}${pad(r.totalMs.toFixed(0), 10)}` +
          `${pad(r.queryMs.toFixed(0), 10)}${pad(r.writeMs.toFixed(0), 10)}${
            pad(r.instances, 11)
          }` +
          `${pad(r.written, 9)}${pad(r.transitions, 9)}${pad(r.messages, 10)}`,
      );
    }
    // A replica taking over starts with no cached state: it loads every instance first.
    clock += CYCLE_MS;
    const takeover = await makeEvaluator().runCycle();
    console.log(
      `${"takeover".padEnd(7)}${pad(takeover.totalMs.toFixed(0), 10)}${
        pad(takeover.queryMs.toFixed(0), 10)
      }${pad(takeover.writeMs.toFixed(0), 10)}${pad(takeover.instances, 11)}${
        pad(takeover.written, 9)
      }${pad(takeover.transitions, 9)}${pad(takeover.messages, 10)}  (loads every state first)`,
    );
    const steady = results.slice(1).map((r) => r.totalMs).sort((a, b) => a - b);
    const worst = steady[steady.length - 1];
    const median = steady[Math.floor(steady.length / 2)];
    console.log(
      `steady cycles: median ${median.toFixed(0)} ms, slowest ${worst.toFixed(0)} ms; ` +
        `cold first cycle ${results[0].totalMs.toFixed(0)} ms (writes every instance once)`,
    );
    console.log(
      `${
        worst < TARGET_MS ? "PASS" : "MISS"
      }  evaluation cycle, ${nRules} rules × ${nHosts} hosts, ` +
        `state writes included (target < ${TARGET_MS} ms, slowest steady cycle): ${
          worst.toFixed(0)
        } ms`,
    );
    if (args.json) console.log(JSON.stringify({ rules: nRules, hosts: nHosts, results }));
    await lock.release();
  } finally {
    await lockDb.close();
    await db.close();
    await admin.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.close();
  }
}

function sortKeys(o: unknown): Record<string, string> {
  const r = (o ?? {}) as Record<string, string>;
  return Object.fromEntries(Object.keys(r).sort().map((k) => [k, r[k]]));
}

if (import.meta.main) await main();
