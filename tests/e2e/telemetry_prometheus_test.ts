/**
 * A real Prometheus (Debian's `prometheus`, on loopback, 1 s scrape interval) scrapes the
 * server (with a read token, as an operator would configure it) and the agent; its API
 * reports both targets up and a MiniObserv counter that went up.
 */
import assert from "node:assert/strict";
import { mintToken } from "../../shared/jwt.ts";
import { TEST_SECRET } from "../server/http/tokens.ts";
import { eventually, startAgent, startServer } from "./processes.ts";
import {
  cpuBatchBody,
  freePort,
  prometheusSkip,
  startInProcessAgent,
  startInProcessServer,
} from "./telemetry_support.ts";

const PROMETHEUS_SKIP = prometheusSkip("prometheus");
const SECRET = "e2e-telemetry-secret-".padEnd(40, "x");

/** A Prometheus scraping `targets` every second; stopped with `stop()`. */
async function startPrometheus(
  targets: { job: string; address: string; token?: string }[],
): Promise<{ api: string; stop(): Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "miniobserv-e2e-prometheus-" });
  const jobs = targets.map((t) =>
    [
      `  - job_name: ${t.job}`,
      `    metrics_path: /metrics`,
      ...(t.token ? [`    authorization:`, `      credentials: ${t.token}`] : []),
      `    static_configs:`,
      `      - targets: ["${t.address}"]`,
    ].join("\n")
  );
  await Deno.writeTextFile(
    `${dir}/prometheus.yml`,
    `global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\nscrape_configs:\n${jobs.join("\n")}\n`,
  );
  const port = freePort();
  const child = new Deno.Command("prometheus", {
    args: [
      `--config.file=${dir}/prometheus.yml`,
      `--storage.tsdb.path=${dir}/data`,
      `--web.listen-address=127.0.0.1:${port}`,
    ],
    stdout: "null",
    stderr: "piped",
    stdin: "null",
  }).spawn();
  const log: string[] = [];
  const pump = (async () => {
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) log.push(chunk);
  })();
  const api = `http://127.0.0.1:${port}/api/v1`;
  try {
    await eventually("prometheus ready", 30_000, async () => {
      const res = await fetch(`http://127.0.0.1:${port}/-/ready`);
      await res.body?.cancel();
      return res.ok ? true : undefined;
    });
  } catch (e) {
    child.kill("SIGKILL");
    await child.status;
    throw new Error(`${(e as Error).message}\n${log.join("")}`);
  }
  return {
    api,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await pump;
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

// deno-lint-ignore no-explicit-any -- Prometheus API answers are checked field by field
async function promGet(url: string): Promise<any> {
  const res = await fetch(url);
  const body = await res.json();
  if (body.status !== "success") throw new Error(`${url}: ${JSON.stringify(body)}`);
  return body.data;
}

async function targetsUp(api: string, jobs: string[]): Promise<true | undefined> {
  const data = await promGet(`${api}/targets`);
  const health = Object.fromEntries(
    data.activeTargets.map((
      t: { labels: { job: string }; health: string },
    ) => [t.labels.job, t.health]),
  );
  return jobs.every((j) => health[j] === "up") ? true : undefined;
}

async function instantValue(api: string, query: string): Promise<number | undefined> {
  const data = await promGet(`${api}/query?query=${encodeURIComponent(query)}`);
  const v = data.result?.[0]?.value?.[1];
  return v === undefined ? undefined : Number(v);
}

Deno.test({
  name:
    "e2e: a real Prometheus scrapes server and agent: targets up, a MiniObserv counter goes up (in process)",
  ignore: !!PROMETHEUS_SKIP,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const server = await startInProcessServer();
    const agent = await startInProcessAgent();
    const readToken = await mintToken({
      secret: TEST_SECRET,
      subject: "prometheus",
      scope: "read",
      ttlSeconds: 3600,
      now: Date.now,
    });
    const prom = await startPrometheus([
      { job: "miniobserv-server", address: server.baseUrl.slice(7), token: readToken },
      { job: "miniobserv-agent", address: agent.baseUrl.slice(7) },
    ]);
    try {
      await eventually(
        "both targets up",
        30_000,
        () => targetsUp(prom.api, ["miniobserv-server", "miniobserv-agent"]),
      );
      const before = await eventually(
        "samples counter scraped",
        10_000,
        () => instantValue(prom.api, "miniobserv_ingest_samples_total"),
      );
      const sender = agent.sender(server.baseUrl);
      const r = await sender.send({
        id: "prom-1",
        host: "web-1",
        body: cpuBatchBody("prom-1", "web-1", 11),
      });
      assert.equal(r.kind, "sent");
      const after = await eventually("the counter went up in Prometheus", 15_000, async () => {
        const v = await instantValue(prom.api, "miniobserv_ingest_samples_total");
        return v !== undefined && v > before ? v : undefined;
      });
      assert.equal(after - before, 11);
      const agentSent = await eventually("the agent's counter in Prometheus", 15_000, async () => {
        const v = await instantValue(
          prom.api,
          'miniobserv_agent_requests_total{kind="metrics",outcome="sent"}',
        );
        return v !== undefined && v >= 1 ? v : undefined;
      });
      assert.equal(agentSent, 1);
      assert.equal(await instantValue(prom.api, 'up{job="miniobserv-server"}'), 1);
    } finally {
      await prom.stop();
      await agent.close();
      await server.close();
    }
  },
});

Deno.test({
  name: "e2e: a real Prometheus scrapes the real server and agent processes",
  ignore: !!PROMETHEUS_SKIP,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "miniobserv-e2e-prom-real-" });
    const server = await startServer({
      AGENT_TOKEN: SECRET,
      MINIOBSERV_DATA_DIR: dataDir,
      LOG_LEVEL: "info",
    });
    let agent;
    let prom;
    try {
      agent = await startAgent({
        SERVER_URL: server.baseUrl,
        AGENT_TOKEN: SECRET,
        AGENT_HOST: "e2e-prometheus",
        COLLECT_INTERVAL: "1s",
        AGENT_STATE_DIR: `${dataDir}/agent`,
        AGENT_METRICS_ADDR: "127.0.0.1:0",
        LOG_LEVEL: "info",
      });
      const { port } = JSON.parse(
        await agent.lineSeen((l) => l.includes('"msg":"metrics listening"'), 10_000),
      ) as { port: number };
      const token = await mintToken({
        secret: SECRET,
        subject: "prometheus",
        scope: "read",
        ttlSeconds: 3600,
        now: Date.now,
      });
      prom = await startPrometheus([
        { job: "miniobserv-server", address: server.baseUrl.slice(7), token },
        { job: "miniobserv-agent", address: `127.0.0.1:${port}` },
      ]);
      const api = prom.api;
      await eventually(
        "both targets up",
        30_000,
        () => targetsUp(api, ["miniobserv-server", "miniobserv-agent"]),
      );
      const first = await eventually(
        "samples counter scraped",
        10_000,
        () => instantValue(api, "miniobserv_ingest_samples_total"),
      );
      await eventually("the agent's deliveries raise it", 20_000, async () => {
        const v = await instantValue(api, "miniobserv_ingest_samples_total");
        return v !== undefined && v > first ? v : undefined;
      });
      await eventually("the agent's own counter goes up", 20_000, async () => {
        const v = await instantValue(api, "miniobserv_agent_batches_sent_total");
        return v !== undefined && v > 0 ? v : undefined;
      });
    } finally {
      await prom?.stop();
      await agent?.stop();
      await server.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
