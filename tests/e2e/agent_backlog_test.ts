/**
 * End to end: a one-hour backlog at a 10 s interval (360 batches of a 64-core host with
 * several disks, mounts and interfaces: 119 metrics each, 42,840 samples) waits in the
 * agent's spool while the server is down; the real agent runs at a 10 s interval; the
 * server comes back. The whole backlog is stored, each sample once, within 60 s of the
 * server's return.
 */
import assert from "node:assert/strict";
import { Counters } from "../../agent/counters.ts";
import { metricRecord } from "../../agent/metric_records.ts";
import { denoSpoolFs } from "../../agent/spool/deno_spool_fs.ts";
import { Spool } from "../../agent/spool/spool.ts";
import type { Metric, MetricBatch } from "../../shared/metric.ts";
import type { MetricName } from "../../shared/metric_names.ts";
import { silentLogger } from "../../shared/log.ts";
import { backendNamed, POSTGRES_SKIP } from "../server/storage/backends.ts";
import { databaseUrlOf, delay, freePort, storedSamples } from "./agent_oracle.ts";
import { eventually, type RunningProgram, startAgent, startServer } from "./processes.ts";

const SECRET = "e2e-backlog-secret-".padEnd(40, "x");
const BATCHES = 360; // one hour at 10 s
const DELIVERY_BOUND_MS = 60_000;

/** The series of a large host: 119 per tick. */
function series(): { name: MetricName; labels: Record<string, string> }[] {
  const out: { name: MetricName; labels: Record<string, string> }[] = [];
  out.push({ name: "cpu.usage_pct", labels: { core: "total" } });
  for (let c = 0; c < 64; c++) out.push({ name: "cpu.usage_pct", labels: { core: String(c) } });
  for (const name of ["mem.used_pct", "mem.used_bytes", "mem.total_bytes"] as const) {
    out.push({ name, labels: {} });
  }
  for (const name of ["system.load1", "system.load5", "system.load15"] as const) {
    out.push({ name, labels: {} });
  }
  for (let i = 0; i < 4; i++) {
    out.push({ name: "net.bytes_in", labels: { iface: `eth${i}` } });
    out.push({ name: "net.bytes_out", labels: { iface: `eth${i}` } });
  }
  for (let i = 0; i < 8; i++) {
    out.push({ name: "disk.read_bytes", labels: { device: `nvme${i}n1` } });
    out.push({ name: "disk.write_bytes", labels: { device: `nvme${i}n1` } });
  }
  for (let i = 0; i < 8; i++) {
    for (const name of ["disk.used_pct", "disk.used_bytes", "disk.total_bytes"] as const) {
      out.push({ name, labels: { mount: i === 0 ? "/" : `/srv/data${i}` } });
    }
  }
  return out;
}

Deno.test({
  name:
    "e2e: a one-hour backlog at a 10 s interval is stored once, within 60 s of the server's return",
  ignore: !!POSTGRES_SKIP,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const host = `backlog-${crypto.randomUUID().slice(0, 8)}`;
    const pg = await backendNamed("postgres").openDb();
    const stateDir = await Deno.makeTempDir({ prefix: "agent-backlog-" });
    const port = freePort();
    const running: RunningProgram[] = [];
    try {
      // The backlog: what an agent collected during the hour the server was away.
      const spool = await Spool.open({
        dir: `${stateDir}/spool`,
        fs: denoSpoolFs(),
        maxBytes: 256 * 1024 * 1024,
        now: Date.now,
        logger: silentLogger,
        counters: new Counters(),
      });
      const all = series();
      assert.equal(all.length, 119);
      const start = Date.now() - 3600_000;
      for (let i = 0; i < BATCHES; i++) {
        const time = new Date(start + i * 10_000).toISOString();
        const metrics: Metric[] = all.map((s, j) => ({
          time,
          host,
          name: s.name,
          value: (i * 7 + j) % 100,
          labels: s.labels,
        }));
        const batch: MetricBatch = { id: `${host}-${start}-${i + 1}`, host, metrics };
        await spool.append(metricRecord(batch));
      }
      await spool.close();

      // The agent starts while the server is still down, and backs off.
      const agent = await startAgent({
        SERVER_URL: `http://127.0.0.1:${port}`,
        AGENT_TOKEN: SECRET,
        AGENT_HOST: host,
        AGENT_STATE_DIR: stateDir,
        COLLECT_INTERVAL: "10s",
        LOG_LEVEL: "debug",
      });
      running.push(agent);
      await agent.lineSeen((l) => l.includes("sending failed"), 20_000);
      await delay(2500);

      const server = await startServer({
        DATABASE_URL: await databaseUrlOf(pg.db),
        AGENT_TOKEN: SECRET,
        LISTEN_ADDR: `127.0.0.1:${port}`,
        LOG_LEVEL: "info",
      });
      running.push(server);
      const backAt = Date.now();
      const backlog = BATCHES * all.length;
      const oldestMs = Date.parse(new Date(start).toISOString());
      const newestBacklogMs = start + (BATCHES - 1) * 10_000;
      const doneAt = await eventually(
        "the whole backlog stored",
        DELIVERY_BOUND_MS + 5000,
        async () => {
          const [{ n }] = await pg.db.query(
            `SELECT count(*)::int AS n FROM metric_samples m JOIN series s ON s.id = m.series_id
            WHERE s.host = $1 AND m.time <= $2`,
            [host, new Date(newestBacklogMs)],
          );
          return Number(n) >= backlog ? Date.now() : undefined;
        },
      );
      const took = doneAt - backAt;
      assert.ok(
        took <= DELIVERY_BOUND_MS,
        `backlog delivered ${took} ms after the server's return`,
      );

      assert.equal(await agent.stop(), 0);
      const stored = (await storedSamples(pg.db, host)).filter((s) => s.ms <= newestBacklogMs);
      assert.equal(stored.length, backlog, "every backlog sample stored");
      assert.ok(stored.every((s) => s.n === 1), "each once");
      assert.ok(stored.every((s) => s.ms >= oldestMs));
      const merged = agent.logLines.filter((l) => /"msg":"sent","request":"[^"]+:\d+"/.test(l));
      assert.ok(merged.length >= 9, `${merged.length} merged requests of at most 5,000 metrics`);
      console.log(
        `backlog e2e: ${BATCHES} batches / ${backlog} samples delivered ${took} ms after the ` +
          `server's return, in ${merged.length} merged requests`,
      );
    } finally {
      for (const p of running.reverse()) await p.kill("SIGKILL");
      await pg.close();
      await Deno.remove(stateDir, { recursive: true });
    }
  },
});
