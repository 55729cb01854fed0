/**
 * The agent's report at shutdown: with `--report` the whole self-report as one JSON line on
 * stdout; always its summary in the log. Real processes.
 */
import assert from "node:assert/strict";
import { startServer } from "./processes.ts";
import { freePort } from "./telemetry_support.ts";

const SECRET = "e2e-telemetry-secret-".padEnd(40, "x");

Deno.test({
  name: "e2e: agent --report prints its self-report as JSON at shutdown, and logs the summary",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "miniobserv-e2e-agent-report-" });
    const server = await startServer({ AGENT_TOKEN: SECRET, MINIOBSERV_DATA_DIR: dataDir });
    try {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "--allow-all", "agent/main.ts", "--report"],
        cwd: new URL("../../", import.meta.url).pathname,
        clearEnv: true,
        env: {
          NO_COLOR: "1",
          SERVER_URL: server.baseUrl,
          AGENT_TOKEN: SECRET,
          AGENT_HOST: "e2e-report",
          COLLECT_INTERVAL: "1s",
          AGENT_STATE_DIR: `${dataDir}/agent`,
          SELF_SNAPSHOT_INTERVAL: "1s",
          AGENT_METRICS_ADDR: `127.0.0.1:${freePort()}`,
        },
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const out = child.output();
      await new Promise((r) => setTimeout(r, 4_000));
      child.kill("SIGTERM");
      const { code, stdout, stderr } = await out;
      const log = new TextDecoder().decode(stderr);
      assert.equal(code, 0, log);
      const lines = new TextDecoder().decode(stdout).trim().split("\n");
      const report = JSON.parse(lines[lines.length - 1]);
      assert.equal(report.program, "agent");
      assert.ok(report.snapshotsTotal >= 2, `${report.snapshotsTotal} snapshots`);
      assert.ok(Array.isArray(report.advice));
      assert.ok(
        report.metrics.some((f: { name: string; series: { value?: number }[] }) =>
          f.name === "miniobserv_agent_batches_sent_total" && f.series[0].value! > 0
        ),
      );
      const summary = log.split("\n").filter((l) => l.includes('"msg":"self report"'));
      assert.equal(summary.length, 1, log);
      const parsed = JSON.parse(summary[0]);
      assert.equal(parsed.program, "agent");
      assert.equal("snapshots" in parsed || "metrics" in parsed, false);
    } finally {
      await server.stop();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    }
  },
});
