/**
 * End to end: the real server on PostgreSQL and the real agent collecting this machine's
 * /proc every second; the host and its metrics become visible through the query API.
 */
import assert from "node:assert/strict";
import { mintToken } from "../../shared/jwt.ts";
import { backendNamed, POSTGRES_SKIP } from "../server/storage/backends.ts";
import { eventually, startAgent, startServer } from "./processes.ts";

const SECRET = "e2e-secret-".padEnd(40, "x");
const HOST = "e2e-agent-host";

// deno-lint-ignore no-explicit-any -- response shapes are asserted field by field below
async function getJson(url: string, token: string): Promise<{ status: number; body: any }> {
  const r = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, body: await r.json() };
}

Deno.test({
  name: "e2e: server on PostgreSQL + real agent at 1 s: host and metrics visible via the API",
  ignore: !!POSTGRES_SKIP,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await backendNamed("postgres").openDb();
    const dbUrl = await databaseUrlOf(pg.db);
    await pg.db.close();
    const server = await startServer({
      DATABASE_URL: dbUrl,
      AGENT_TOKEN: SECRET,
      LOG_LEVEL: "info",
      SHUTDOWN_TIMEOUT: "5s",
    });
    const stateDir = await Deno.makeTempDir({ prefix: "miniobserv-e2e-agent-" });
    let agent;
    let agentCode = -1;
    let serverCode = -1;
    try {
      agent = await startAgent({
        SERVER_URL: server.baseUrl,
        AGENT_TOKEN: SECRET,
        AGENT_HOST: HOST,
        COLLECT_INTERVAL: "1s",
        AGENT_STATE_DIR: stateDir,
        LOG_LEVEL: "info",
      });
      const read = await mintToken({
        secret: SECRET,
        subject: "e2e",
        scope: "read",
        ttlSeconds: 600,
        now: Date.now,
      });

      const host = await eventually("host listed as up", 20_000, async () => {
        const { body } = await getJson(`${server.baseUrl}/api/v1/hosts`, read);
        return body.hosts?.find((h: { host: string; status: string }) =>
          h.host === HOST && h.status === "up"
        );
      });
      assert.equal(host.agent_version, "0.1.0");

      // Partition maintenance ran at start: yesterday to three days ahead exist already.
      const check = await pg.connectAgain();
      const rows = await check.query<{ relname: string }>(
        "SELECT relname FROM pg_class WHERE relname LIKE 'metric_samples_p%' AND relkind = 'r'",
      );
      const day = (offset: number) =>
        "metric_samples_p" +
        new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10).replaceAll("-", "");
      const names = new Set(rows.map((r) => r.relname));
      for (const offset of [-1, 0, 1, 2, 3]) assert.ok(names.has(day(offset)), day(offset));

      // Rates need two samples: wait until every family this machine has is present.
      const latest = await eventually("every metric family in latest", 20_000, async () => {
        const { body } = await getJson(
          `${server.baseUrl}/api/v1/metrics/latest?host=${HOST}`,
          read,
        );
        const names = new Set(body.metrics.map((m: { name: string }) => m.name));
        const want = [
          "cpu.usage_pct",
          "mem.used_pct",
          "mem.used_bytes",
          "mem.total_bytes",
          "system.load1",
          "system.load5",
          "system.load15",
        ];
        return want.every((n) => names.has(n)) ? body : undefined;
      });
      const memTotal = latest.metrics.find((m: { name: string }) => m.name === "mem.total_bytes");
      const realTotalKb = Number(
        /MemTotal:\s+(\d+)/.exec(await Deno.readTextFile("/proc/meminfo"))![1],
      );
      assert.equal(memTotal.value, realTotalKb * 1024);

      const { status, body } = await eventually("two cpu points", 20_000, async () => {
        const from = new Date(Date.now() - 5 * 60_000).toISOString();
        const r = await getJson(
          `${server.baseUrl}/api/v1/metrics/query?host=${HOST}&name=cpu.usage_pct&label.core=total&bucket=10s&agg=max&from=${from}`,
          read,
        );
        const pts = r.body.series?.[0]?.points ?? [];
        return pts.length >= 1 && r.body.series.length === 1 ? r : undefined;
      });
      assert.equal(status, 200);
      assert.deepEqual(body.series[0].labels, { core: "total" });
      for (const p of body.series[0].points) {
        assert.ok(p.value >= 0 && p.value <= 100, `cpu ${p.value} within 0..100`);
      }
      const times = body.series[0].points.map((p: { time: string }) => p.time);
      assert.deepEqual(times, [...times].sort(), "points oldest first");
    } finally {
      agentCode = agent ? await agent.stop() : 0;
      serverCode = await server.stop();
      await pg.close();
      await Deno.remove(stateDir, { recursive: true });
    }
    assert.equal(agentCode, 0, "agent exits 0 on SIGTERM");
    assert.equal(serverCode, 0, "server exits 0 on SIGTERM");
  },
});

async function databaseUrlOf(db: { query: (sql: string) => Promise<Record<string, unknown>[]> }) {
  const [{ name }] = await db.query("SELECT current_database() AS name");
  const url = new URL(Deno.env.get("TEST_DATABASE_URL")!);
  url.pathname = `/${name}`;
  return url.href;
}
