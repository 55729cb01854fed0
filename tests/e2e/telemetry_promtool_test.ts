/**
 * `promtool check metrics` (Debian's `prometheus` package) on the whole `/metrics` output of
 * the server and of the agent, failing on any problem it reports (lint included).
 *
 * Two versions: the server and agent instrumented in this process over real PGlite and real
 * loopback listeners, and the real programs started as processes (skipped until their
 * main.ts build the self-telemetry).
 */
import assert from "node:assert/strict";
import { mintToken } from "../../shared/jwt.ts";
import { PROMETHEUS_CONTENT_TYPE } from "../../shared/telemetry/registry.ts";
import { eventually, startAgent, startServer } from "./processes.ts";
import {
  prometheusSkip,
  promtoolCheck,
  scrape,
  startInProcessAgent,
  startInProcessServer,
} from "./telemetry_support.ts";

const PROMTOOL_SKIP = prometheusSkip("promtool");
const SECRET = "e2e-telemetry-secret-".padEnd(40, "x");

/** The value of the one unlabelled sample of `name` in exposition `text`. */
function sampleOf(text: string, name: string): number {
  const m = new RegExp(`^${name} (\\S+)$`, "m").exec(text);
  assert.ok(m, `${name} has no sample`);
  return Number(m[1]);
}

/** "Max open files" (soft) of process `pid`, as prom-client reads it. */
async function openMaxOf(pid: number): Promise<number> {
  const limits = await Deno.readTextFile(`/proc/${pid}/limits`);
  const line = limits.split("\n").find((l) => l.startsWith("Max open files"));
  assert.ok(line, limits);
  return Number(line.split(/  +/)[1]);
}

async function expectClean(what: string, text: string): Promise<void> {
  const { code, output } = await promtoolCheck(text);
  assert.equal(code, 0, `promtool check metrics on the ${what}'s /metrics:\n${output}`);
  assert.equal(output, "", `promtool printed problems for the ${what}:\n${output}`);
}

Deno.test({
  name:
    "e2e: promtool check metrics finds no problem in the server's and the agent's /metrics (in process)",
  ignore: !!PROMTOOL_SKIP,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    // The check is not vacuous: promtool does fail a gauge named like a counter.
    const bad = await promtoolCheck("# HELP x_total X.\n# TYPE x_total gauge\nx_total 1\n");
    assert.notEqual(bad.code, 0);
    assert.match(bad.output, /non-counter metrics should not have "_total" suffix/);

    const server = await startInProcessServer({ metricsPublic: true });
    const agent = await startInProcessAgent();
    try {
      // Traffic first, so labelled series and histograms have samples.
      const sender = agent.sender(server.baseUrl);
      const body = new TextEncoder().encode(JSON.stringify({
        id: "promtool-1",
        host: "promtool-host",
        metrics: [{
          host: "promtool-host",
          name: "cpu.usage_pct",
          time: new Date().toISOString(),
          value: 1,
          labels: {},
        }],
      }));
      assert.equal(
        (await sender.send({ id: "promtool-1", host: "promtool-host", body })).kind,
        "sent",
      );
      agent.counters.inc("batches_delivered_total");
      agent.counters.inc("spool_torn_records_total");
      await agent.telemetry.monitor.snapshot();

      const res = await fetch(`${server.baseUrl}/metrics`);
      assert.equal(res.headers.get("content-type"), PROMETHEUS_CONTENT_TYPE);
      const serverText = await res.text();
      for (
        const name of [
          "miniobserv_http_requests_total",
          "miniobserv_ingest_samples_total",
          "miniobserv_db_query_duration_seconds",
          "miniobserv_partitions_created_total",
          "miniobserv_alert_instances",
          "miniobserv_hosts",
          "miniobserv_nodejs_gc_duration_seconds",
          "miniobserv_process_open_fds",
        ]
      ) assert.match(serverText, new RegExp(`^# TYPE ${name} `, "m"), name);
      await expectClean("server", serverText);

      const agentText = await scrape(`${agent.baseUrl}/metrics`);
      for (
        const name of [
          "miniobserv_agent_collector_duration_seconds",
          "miniobserv_agent_requests_total",
          "miniobserv_agent_spool_pending_bytes",
          "miniobserv_agent_events_total",
        ]
      ) assert.match(agentText, new RegExp(`^# TYPE ${name} `, "m"), name);
      await expectClean("agent", agentText);
    } finally {
      await agent.close();
      await server.close();
    }
  },
});

Deno.test({
  name: "e2e: promtool check metrics on the real server and agent processes",
  ignore: !!PROMTOOL_SKIP,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "miniobserv-e2e-telemetry-" });
    const server = await startServer({
      AGENT_TOKEN: SECRET,
      MINIOBSERV_DATA_DIR: dataDir,
      SELF_SNAPSHOT_INTERVAL: "1s",
      LOG_LEVEL: "info",
    });
    let agent;
    try {
      agent = await startAgent({
        SERVER_URL: server.baseUrl,
        AGENT_TOKEN: SECRET,
        AGENT_HOST: "e2e-telemetry",
        COLLECT_INTERVAL: "1s",
        AGENT_STATE_DIR: `${dataDir}/agent`,
        AGENT_METRICS_ADDR: "127.0.0.1:0",
        SELF_SNAPSHOT_INTERVAL: "1s",
        LOG_LEVEL: "info",
      });
      const listening = JSON.parse(
        await agent.lineSeen((l) => l.includes('"msg":"metrics listening"'), 10_000),
      ) as { port: number };
      const token = await mintToken({
        secret: SECRET,
        subject: "e2e",
        scope: "read",
        ttlSeconds: 600,
        now: Date.now,
      });
      const serverText = await eventually("samples ingested", 20_000, async () => {
        const t = await scrape(`${server.baseUrl}/metrics`, token);
        return /^miniobserv_ingest_samples_total [1-9]/m.test(t) ? t : undefined;
      });
      await expectClean("server", serverText);
      // The sandboxed server (no --allow-all, so no /proc/self/fd) counts its descriptors
      // with `ls` and reads the limit with `getconf` (--allow-run=ls,getconf).
      const openFds = sampleOf(serverText, "miniobserv_process_open_fds");
      const maxFds = sampleOf(serverText, "miniobserv_process_max_fds");
      assert.ok(openFds > 0 && openFds < maxFds, `open ${openFds}, max ${maxFds}`);
      assert.equal(maxFds, await openMaxOf(server.pid));
      // Against this test's own view of the server's /proc/<pid>/fd (it has --allow-all):
      // the same within the few connections that come and go meanwhile.
      const seen = [...Deno.readDirSync(`/proc/${server.pid}/fd`)].length;
      assert.ok(Math.abs(openFds - seen) <= 5, `server says ${openFds}, /proc says ${seen}`);
      const report = await (await fetch(`${server.baseUrl}/api/v1/self`, {
        headers: { authorization: `Bearer ${token}` },
      })).json() as { unavailable: string[] };
      assert.ok(
        !report.unavailable.some((u) => u.includes("process_open_fds")),
        report.unavailable.join("; "),
      );
      const agentText = await eventually("batches sent", 20_000, async () => {
        const t = await scrape(`http://127.0.0.1:${listening.port}/metrics`);
        return /^miniobserv_agent_batches_sent_total [1-9]/m.test(t) ? t : undefined;
      });
      await expectClean("agent", agentText);
    } finally {
      await agent?.stop();
      await server.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
