/**
 * `deno task bench:dashboard`: how fast the dashboard answers with a fleet of 500 hosts, and
 * how much JavaScript it ships.
 *
 * Data, in a throwaway PostgreSQL database: 500 hosts × 8 summary series (CPU total, memory
 * %, used and total bytes, `/` usage, eth0 in/out, load1) at 10 s for the last `--hours`
 * (default 24; 34.6 M rows, a few minutes to load; `--hours 2` for a quick run), plus, for the
 * host whose page is timed, every chart series over 24 h. Loaded by binary COPY, then
 * VACUUM ANALYZE.
 *
 * Then the real server (`server/main.ts`) on that database, signed in with a session cookie:
 *
 * - time to first byte of the overview `/`, every time with a fresh fleet read (the page
 *   cache is shorter than the pause between requests; sparklines are reused for 30 s, as in
 *   production), and twice more after 31 s so the sparklines are read too, target < 300 ms;
 * - time to first byte of a host page over 24 h (`/hosts/{host}?range=24h`), target < 200 ms;
 * - the host page's data for 24 h (`/dashboard/api/hosts/{host}/series`, 5 min buckets, every
 *   chart in one answer), and the sparkline query of the whole fleet (in process, uncached);
 * - the JavaScript shipped: every script of the bundle (uPlot included), and per page,
 *   target < 150 KB uncompressed.
 *
 * Options: --hosts N (500) --hours N (24) --reps N (30) --json --keep-database
 */
import { serverTaskFlags } from "../scripts/task_flags.ts";
import { parseArgs } from "node:util";
import { loadDashboardAssets } from "../server/dashboard/assets.ts";
import { SqlFleetReader } from "../server/dashboard/fleet_reader.ts";
import type { Db, SampleColumns } from "../server/db/db.ts";
import { loadMigrations, migrate } from "../server/db/migrate.ts";
import { openPostgres } from "../server/db/postgres_driver.ts";
import type { MetricStore } from "../server/storage/metric_store.ts";
import { PartitionManager } from "../server/storage/partitions.ts";
import { SqlMetricStore } from "../server/storage/sql_metric_store.ts";
import { createLogger } from "../shared/log.ts";
import { hostName, TICK_MS } from "./lib/agent_batches.ts";
import {
  benchDatabaseUrl,
  createScratchDatabase,
  onInterrupt,
  randomSecret,
} from "./lib/bench_db.ts";
import { positiveInt } from "./lib/options.ts";
import { summarize, type Summary } from "./lib/stats.ts";
import { formatInt, formatMs, formatTable, formatVerdict, type Verdict } from "./lib/table.ts";
import { createWalkSeries, type WalkSpec } from "./lib/walk_series.ts";

/** Targets of the issue. */
export const TARGETS = { overviewTtfbMs: 300, hostTtfbMs: 200, scriptKiB: 150 } as const;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const RETENTION_MS = 30 * DAY_MS;
const LOAD_CHUNK_TICKS = 60;
const PASSWORD = "bench dashboard password";
const REPO_ROOT = new URL("../", import.meta.url).pathname;

/** What every host has. */
const FLEET_SERIES: readonly WalkSpec[] = [
  { name: "cpu.usage_pct", labels: { core: "total" }, scale: 100 },
  { name: "mem.used_pct", labels: {}, scale: 100 },
  { name: "mem.used_bytes", labels: {}, scale: 16 * 2 ** 30 },
  { name: "mem.total_bytes", labels: {}, scale: 16 * 2 ** 30 },
  {
    name: "disk.used_pct",
    labels: { mount: "/", device: "/dev/sda1", fstype: "ext4" },
    scale: 100,
  },
  { name: "net.bytes_in", labels: { iface: "eth0" }, scale: 12_500_000 },
  { name: "net.bytes_out", labels: { iface: "eth0" }, scale: 12_500_000 },
  { name: "system.load1", labels: {}, scale: 8 },
];

/** What the timed host also has (its page charts them), over 24 h. */
const HOST_PAGE_EXTRA: readonly WalkSpec[] = [
  ...Array.from(
    { length: 8 },
    (_, i) => ({ name: "cpu.usage_pct" as const, labels: { core: String(i) }, scale: 100 }),
  ),
  { name: "disk.read_bytes", labels: { device: "sda" }, scale: 50_000_000 },
  { name: "disk.write_bytes", labels: { device: "sda" }, scale: 50_000_000 },
  { name: "system.load5", labels: {}, scale: 8 },
  { name: "system.load15", labels: {}, scale: 8 },
];

interface Options {
  hosts: number;
  hours: number;
  reps: number;
  json: boolean;
  keepDatabase: boolean;
}

const started = performance.now();
const progress = (msg: string) =>
  console.error(`bench:dashboard [${((performance.now() - started) / 1000).toFixed(1)} s]: ${msg}`);

function parseOptions(args: string[]): Options {
  const { values } = parseArgs({
    args,
    options: {
      hosts: { type: "string" },
      hours: { type: "string" },
      reps: { type: "string" },
      json: { type: "boolean", default: false },
      "keep-database": { type: "boolean", default: false },
    },
  });
  const hours = positiveInt("hours", values.hours, 24);
  if (hours > 24) throw new Error("--hours may be at most 24");
  return {
    hosts: positiveInt("hosts", values.hosts, 500),
    hours,
    reps: positiveInt("reps", values.reps, 30),
    json: values.json,
    keepDatabase: values["keep-database"],
  };
}

/** Creates the series with one real ingest per host, then COPYs `ticks` ticks before it. */
async function load(
  db: Db,
  store: MetricStore,
  hosts: { host: string; specs: readonly WalkSpec[]; ticks: number }[],
  endMs: number,
): Promise<number> {
  const series = await createWalkSeries(db, store, hosts, {
    time: new Date(endMs),
    receivedAt: new Date(endMs),
    value: (s) => s.scale / 2,
  });
  const maxTicks = Math.max(...hosts.map((h) => h.ticks));
  const lanes = series.flatMap((list, hi) => list.map((s) => ({ ...s, ticks: hosts[hi].ticks })));
  let rows = lanes.length;
  for (let t0 = maxTicks; t0 > 0; t0 -= LOAD_CHUNK_TICKS) {
    const cols: SampleColumns = { time: [], seriesId: [], value: [] };
    for (let t = t0; t > Math.max(0, t0 - LOAD_CHUNK_TICKS); t--) {
      const ms = endMs - t * TICK_MS;
      for (const lane of lanes) {
        if (t > lane.ticks) continue;
        cols.time.push(ms);
        cols.seriesId.push(lane.id);
        cols.value.push(lane.next());
      }
    }
    await db.transaction((tx) => tx.copySamples(cols));
    rows += cols.time.length;
    if ((maxTicks - t0) % (LOAD_CHUNK_TICKS * 60) === 0) {
      progress(`loaded ${formatInt(rows)} rows`);
    }
  }
  return rows;
}

async function timeReps(reps: number, pauseMs: number, run: () => Promise<void>): Promise<Summary> {
  await run(); // warm-up: connections, JIT
  const ms: number[] = [];
  for (let i = 0; i < reps; i++) {
    if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    const t0 = performance.now();
    await run();
    ms.push(performance.now() - t0);
  }
  return summarize(ms);
}

/** Time until the response's status and headers arrive; the body is drained after timing. */
async function ttfb(
  url: string,
  cookie: string,
  check: (status: number) => boolean,
): Promise<number> {
  const t0 = performance.now();
  const res = await fetch(url, { headers: { cookie } });
  const ms = performance.now() - t0;
  const body = await res.text();
  if (!check(res.status)) throw new Error(`GET ${url}: ${res.status} ${body.slice(0, 200)}`);
  return ms;
}

/** Sizes of the scripts a page loads: its module, what it imports, and classic scripts. */
async function scriptSizes(): Promise<{ total: number; perPage: Record<string, number> }> {
  const assets = await loadDashboardAssets((u) => Deno.readFile(u));
  const js = assets.files.filter((f) => f.name.endsWith(".js"));
  const byName = new Map(js.map((f) => [f.name, f]));
  const closure = (entry: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(entry)) return seen;
    seen.add(entry);
    const text = new TextDecoder().decode(byName.get(entry)!.body);
    for (const m of text.matchAll(/from\s+"\.\/([\w.]+\.js)"/g)) closure(`js/${m[1]}`, seen);
    return seen;
  };
  const size = (names: Iterable<string>) =>
    [...names].reduce((n, x) => n + byName.get(x)!.body.length, 0);
  const perPage: Record<string, number> = {
    "overview /": size(closure("js/overview.js")),
    "host /hosts/{host}": size(closure("js/host.js")) + size(["vendor/uPlot.iife.min.js"]),
    "logs /logs": size(closure("js/logs.js")),
    "alerts /alerts": size(closure("js/alerts.js")),
  };
  return { total: js.reduce((n, f) => n + f.body.length, 0), perPage };
}

async function main() {
  const opts = parseOptions(Deno.args);
  const scratch = await createScratchDatabase(benchDatabaseUrl(Deno.env.toObject()));
  progress(`database ${scratch.name}`);
  const log = createLogger("warn", (l) => console.error(l));
  const db = await openPostgres(scratch.url, { log });
  let server: Deno.ChildProcess | undefined;
  const stopServer = async () => {
    if (!server) return;
    try {
      server.kill("SIGTERM");
    } catch { /* gone */ }
    await server.status;
    server = undefined;
  };
  const unregister = onInterrupt(stopServer);
  try {
    await migrate(db, { migrations: await loadMigrations(), log });
    const partitions = new PartitionManager(db, { retentionMs: RETENTION_MS, now: Date.now, log });
    await partitions.ensurePartitions();
    const store = new SqlMetricStore(db, { retentionMs: RETENTION_MS, log, partitions });
    const endMs = Math.floor(Date.now() / TICK_MS) * TICK_MS;
    const hosts = Array.from({ length: opts.hosts }, (_, i) => hostName(i));
    const fleetTicks = (opts.hours * HOUR_MS) / TICK_MS;
    const plan = hosts.map((host, i) => ({
      host,
      specs: i === 0 ? [...FLEET_SERIES, ...HOST_PAGE_EXTRA] : FLEET_SERIES,
      ticks: i === 0 ? DAY_MS / TICK_MS : fleetTicks,
    }));
    progress(
      `loading ${opts.hosts} hosts × ${FLEET_SERIES.length} series × ${opts.hours} h at 10 s`,
    );
    const t0 = performance.now();
    const rows = await load(db, store, plan, endMs);
    await db.exec("VACUUM (ANALYZE) metric_samples");
    await db.exec("ANALYZE series");
    await db.exec("CHECKPOINT").catch(() => {});
    const loadSeconds = (performance.now() - t0) / 1000;
    progress(`loaded ${formatInt(rows)} rows in ${loadSeconds.toFixed(0)} s`);

    const reader = new SqlFleetReader(db);
    const sparkMs = await timeReps(Math.min(opts.reps, 10), 0, async () => {
      const s = await reader.sparklines(Date.now() - HOUR_MS, Date.now() + 1, 60_000);
      if (s.size !== opts.hosts) throw new Error(`${s.size} sparklines`);
    });

    const secret = randomSecret();
    server = new Deno.Command(Deno.execPath(), {
      args: ["run", ...serverTaskFlags(), "server/main.ts"],
      cwd: REPO_ROOT,
      env: {
        DATABASE_URL: scratch.url,
        AGENT_TOKEN: secret,
        LISTEN_ADDR: "127.0.0.1:0",
        DASHBOARD_PASSWORD: PASSWORD,
        DASHBOARD_REFRESH: "500ms",
        LOG_LEVEL: "info",
        HOST_STALE_AFTER: "1h",
        HOST_DOWN_AFTER: "2h",
      },
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const port = await (async () => {
      const reader = server!.stderr.pipeThrough(new TextDecoderStream()).getReader();
      let buf = "";
      while (true) {
        const { value, done } = await reader.read();
        if (done) throw new Error(`server exited:\n${buf}`);
        buf += value;
        const m = /"msg":"listening".*?"port":(\d+)/.exec(buf);
        if (m) {
          reader.releaseLock();
          server!.stderr.pipeTo(new WritableStream()).catch(() => {});
          return Number(m[1]);
        }
      }
    })();
    const base = `http://127.0.0.1:${port}`;
    const signIn = await fetch(`${base}/signin`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ password: PASSWORD, next: "/" }),
      redirect: "manual",
    });
    await signIn.body?.cancel();
    const cookie = /^(mo_session=[^;]+)/.exec(signIn.headers.get("set-cookie") ?? "")?.[1];
    if (!cookie) throw new Error(`sign-in failed: ${signIn.status}`);

    const ok200 = (s: number) => s === 200;
    const overview: number[] = [];
    const hostPage: number[] = [];
    const seriesDay: number[] = [];
    const host = hosts[0];
    progress(
      `timing the overview (${opts.reps} requests, 600 ms apart: a fresh fleet read each time)`,
    );
    await ttfb(`${base}/`, cookie, ok200);
    for (let i = 0; i < opts.reps; i++) {
      await new Promise((r) => setTimeout(r, 600));
      overview.push(await ttfb(`${base}/`, cookie, ok200));
    }
    // Sparklines are reused for 30 s: a request after a longer pause reads them too.
    const overviewCold: number[] = [];
    for (let i = 0; i < 2; i++) {
      progress("waiting 31 s for the sparkline cache to expire");
      await new Promise((r) => setTimeout(r, 31_000));
      overviewCold.push(await ttfb(`${base}/`, cookie, ok200));
    }
    progress("timing the host page over 24 h");
    for (let i = 0; i < opts.reps; i++) {
      await new Promise((r) => setTimeout(r, 600));
      hostPage.push(
        await ttfb(`${base}/hosts/${encodeURIComponent(host)}?range=24h`, cookie, ok200),
      );
    }
    progress("timing the host page's data over 24 h");
    const to = new Date(endMs).toISOString();
    const from = new Date(endMs - DAY_MS).toISOString();
    for (let i = 0; i < opts.reps; i++) {
      const t0 = performance.now();
      const r = await fetch(
        `${base}/dashboard/api/hosts/${encodeURIComponent(host)}/series?from=${from}&to=${to}`,
        {
          headers: { cookie },
        },
      );
      const body = await r.json();
      seriesDay.push(performance.now() - t0);
      if (body.bucket !== "5m" || body.series.length < 10) {
        throw new Error(`series: ${JSON.stringify(body).slice(0, 200)}`);
      }
    }
    const scripts = await scriptSizes();
    const results = {
      hosts: opts.hosts,
      hours: opts.hours,
      rows,
      loadSeconds,
      overviewTtfbMs: summarize(overview),
      overviewColdTtfbMs: summarize(overviewCold),
      hostPageTtfbMs: summarize(hostPage),
      hostSeries24hMs: summarize(seriesDay),
      fleetSparklinesMs: sparkMs,
      scriptBytes: scripts,
    };
    const maxPage = Math.max(...Object.values(scripts.perPage));
    const verdicts: Verdict[] = [
      {
        name: `overview TTFB with ${opts.hosts} hosts, p99`,
        pass: Math.max(results.overviewTtfbMs.p99, results.overviewColdTtfbMs.max) <
          TARGETS.overviewTtfbMs,
        figure: `${formatMs(results.overviewTtfbMs.p99)} ms (${
          formatMs(results.overviewColdTtfbMs.max)
        } ms uncached)`,
        target: `< ${TARGETS.overviewTtfbMs} ms`,
      },
      {
        name: "host page over 24 h TTFB, p99",
        pass: results.hostPageTtfbMs.p99 < TARGETS.hostTtfbMs,
        figure: `${formatMs(results.hostPageTtfbMs.p99)} ms`,
        target: `< ${TARGETS.hostTtfbMs} ms`,
      },
      {
        name: "JavaScript shipped, all scripts (uPlot included)",
        pass: scripts.total < TARGETS.scriptKiB * 1024,
        figure: `${(scripts.total / 1024).toFixed(1)} KiB`,
        target: `< ${TARGETS.scriptKiB} KB`,
      },
    ];
    if (opts.json) {
      console.log(
        JSON.stringify({ benchmark: "dashboard", results, targets: TARGETS, verdicts }, null, 2),
      );
    } else {
      const row = (
        name: string,
        s: Summary,
      ) => [name, String(s.count), formatMs(s.p50), formatMs(s.p99), formatMs(s.max)];
      console.log(
        `\nbench:dashboard — ${opts.hosts} hosts (${opts.hours} h of 10 s data each, ${
          formatInt(rows)
        } rows), ` +
          `PostgreSQL, server/main.ts over HTTP\n`,
      );
      console.log(formatTable(["what", "n", "p50 ms", "p99 ms", "max ms"], [
        row("overview / : time to first byte", results.overviewTtfbMs),
        row("overview / : same, sparklines not cached", results.overviewColdTtfbMs),
        row("host page ?range=24h : time to first byte", results.hostPageTtfbMs),
        row("host page data, 24 h, every chart (one request)", results.hostSeries24hMs),
        row(`sparklines of ${opts.hosts} hosts (in process, uncached)`, results.fleetSparklinesMs),
      ]));
      console.log("\nJavaScript, uncompressed:");
      console.log(formatTable(["scripts", "KiB"], [
        ["every script of the bundle", (scripts.total / 1024).toFixed(1)],
        ...Object.entries(scripts.perPage).map((
          [p, n],
        ) => [`loaded by ${p}`, (n / 1024).toFixed(1)]),
      ]));
      console.log(`\nlargest page: ${(maxPage / 1024).toFixed(1)} KiB\n`);
      for (const v of verdicts) console.log(formatVerdict(v));
    }
    if (verdicts.some((v) => !v.pass)) Deno.exitCode = 1;
  } finally {
    await stopServer();
    unregister();
    await db.close();
    if (opts.keepDatabase) progress(`kept database ${scratch.name}`);
    else await scratch.drop();
  }
}

if (import.meta.main) await main();
