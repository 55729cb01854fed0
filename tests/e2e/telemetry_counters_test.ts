/**
 * The counters move: ingest N samples, reject one batch, fail one delivery, and read
 * exactly those increments from `/metrics` of the server and of the agent.
 */
import assert from "node:assert/strict";
import { mintToken } from "../../shared/jwt.ts";
import { sampleValue } from "../shared/telemetry/exposition.ts";
import { eventually, startAgent, startServer } from "./processes.ts";
import {
  cpuBatchBody,
  freePort,
  scrape,
  startInProcessAgent,
  startInProcessServer,
} from "./telemetry_support.ts";

const N = 37;
const SECRET = "e2e-telemetry-secret-".padEnd(40, "x");

const SERVER_SERIES = {
  samples: "miniobserv_ingest_samples_total",
  batches: 'miniobserv_ingest_batches_total{kind="metrics"}',
  rejected: 'miniobserv_ingest_batches_rejected_total{kind="metrics",reason="forbidden_host"}',
  accepted202: 'miniobserv_http_requests_total{method="POST",route="/api/v1/metrics",status="202"}',
} as const;

function read(text: string, series: Record<string, string>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(series).map(([k, s]) => [k, sampleValue(text, s) ?? 0]),
  );
}

function increase(after: Record<string, number>, before: Record<string, number>) {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - before[k]]));
}

Deno.test({
  name:
    "e2e: ingest N samples, reject one batch, fail one delivery: exactly those increments in /metrics (in process)",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startInProcessServer({ metricsPublic: true });
    const agent = await startInProcessAgent();
    try {
      const before = read(await scrape(`${server.baseUrl}/metrics`), SERVER_SERIES);
      const sender = agent.sender(server.baseUrl);
      // N samples in one accepted batch.
      const sent = await sender.send({
        id: "move-1",
        host: "web-1",
        body: cpuBatchBody("move-1", "web-1", N),
      });
      assert.equal(sent.kind, "sent");
      // One batch refused: its host is not the one its token names.
      const refused = await sender.send({
        id: "move-2",
        host: "web-1",
        body: cpuBatchBody("move-2", "web-2", 3),
      });
      assert.equal(refused.kind, "rejected");
      // One failed delivery: nothing listens on that port.
      const dead = agent.sender(`http://127.0.0.1:${freePort()}`);
      const failed = await dead.send({
        id: "move-3",
        host: "web-1",
        body: cpuBatchBody("move-3", "web-1", 2),
      });
      assert.equal(failed.kind, "retry");

      const after = read(await scrape(`${server.baseUrl}/metrics`), SERVER_SERIES);
      assert.deepEqual(increase(after, before), {
        samples: N,
        batches: 1,
        rejected: 1,
        accepted202: 1,
      });

      const agentText = await scrape(`${agent.baseUrl}/metrics`);
      const outcome = (o: string) =>
        sampleValue(agentText, `miniobserv_agent_requests_total{kind="metrics",outcome="${o}"}`);
      assert.deepEqual([outcome("sent"), outcome("rejected"), outcome("retried")], [1, 1, 1]);
      assert.ok(
        sampleValue(
          agentText,
          'miniobserv_agent_request_bytes_total{kind="metrics",outcome="sent"}',
        )! > 0,
      );
    } finally {
      await agent.close();
      await server.close();
    }
  },
});

Deno.test({
  name: "e2e: the counters move on the real server and agent processes",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "miniobserv-e2e-counters-" });
    const server = await startServer({
      AGENT_TOKEN: SECRET,
      MINIOBSERV_DATA_DIR: dataDir,
      METRICS_PUBLIC: "true",
      LOG_LEVEL: "info",
    });
    let agent;
    try {
      const before = read(await scrape(`${server.baseUrl}/metrics`), SERVER_SERIES);
      const post = async (body: Uint8Array) => {
        const token = await mintToken({
          secret: SECRET,
          subject: "web-1",
          scope: "ingest",
          ttlSeconds: 600,
          now: Date.now,
        });
        const res = await fetch(`${server.baseUrl}/api/v1/metrics`, {
          method: "POST",
          body: body as Uint8Array<ArrayBuffer>,
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        });
        await res.body?.cancel();
        return res.status;
      };
      assert.equal(await post(cpuBatchBody("real-1", "web-1", N)), 202);
      assert.equal(await post(cpuBatchBody("real-2", "web-2", 3)), 403);
      const after = read(await scrape(`${server.baseUrl}/metrics`), SERVER_SERIES);
      assert.deepEqual(increase(after, before), {
        samples: N,
        batches: 1,
        rejected: 1,
        accepted202: 1,
      });

      // An agent whose server does not answer: its first delivery fails.
      agent = await startAgent({
        SERVER_URL: `http://127.0.0.1:${freePort()}`,
        AGENT_TOKEN: SECRET,
        AGENT_HOST: "e2e-counters",
        COLLECT_INTERVAL: "1s",
        AGENT_STATE_DIR: `${dataDir}/agent`,
        AGENT_METRICS_ADDR: "127.0.0.1:0",
        LOG_LEVEL: "info",
      });
      const { port } = JSON.parse(
        await agent.lineSeen((l) => l.includes('"msg":"metrics listening"'), 10_000),
      ) as { port: number };
      await agent.lineSeen((l) => l.includes("sending failed"), 20_000);
      const text = await eventually("a failed delivery counted", 5_000, async () => {
        const t = await scrape(`http://127.0.0.1:${port}/metrics`);
        return (sampleValue(t, 'miniobserv_agent_send_failures_total{reason="network"}') ?? 0) >= 1
          ? t
          : undefined;
      });
      assert.equal(sampleValue(text, "miniobserv_agent_batches_sent_total"), 0);
      assert.ok(
        (sampleValue(text, 'miniobserv_agent_requests_total{kind="metrics",outcome="retried"}') ??
          0) >= 1,
      );
    } finally {
      await agent?.stop();
      await server.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
