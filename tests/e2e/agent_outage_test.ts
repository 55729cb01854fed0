/**
 * End to end, issue 4's outage: the real server on PostgreSQL and the real agent at a 1 s
 * interval. The server is stopped for 60 s; halfway through, the agent is killed with
 * SIGKILL and started again on the same state directory; then the server comes back on the
 * same port and database. Every sample the agent collected arrives exactly once (checked
 * per series and timestamp against the agent's own account of what it stored in its
 * spool), and live data resumes within one interval of the server's return.
 *
 * The oracle: the agent logs (debug) every batch once it is durably in the spool, with its
 * id, metric count and time span. A SIGKILL can fall between the append and that log line,
 * so at most one batch of the killed process may be stored without being logged; the test
 * allows exactly that and nothing else.
 */
import assert from "node:assert/strict";
import { backendNamed, POSTGRES_SKIP } from "../server/storage/backends.ts";
import {
  assertEachCollectedSampleStoredOnce,
  collectedBatches,
  databaseUrlOf,
  delay,
  freePort,
  newestSampleMs,
  storedSamples,
} from "./agent_oracle.ts";
import { eventually, type RunningProgram, startAgent, startServer } from "./processes.ts";

const SECRET = "e2e-outage-secret-".padEnd(40, "x");
const INTERVAL_MS = 1000;
/** The outage: 60 s. (`AGENT_E2E_OUTAGE_S` shortens it while developing only.) */
const OUTAGE_MS = Number(Deno.env.get("AGENT_E2E_OUTAGE_S") ?? 60) * 1000;
/** "Within one interval", plus what polling and process scheduling may add. */
const LIVE_SLACK_MS = 1000;

Deno.test({
  name:
    "e2e: 60 s server outage with an agent SIGKILLed and restarted: every sample once, live data within one interval",
  ignore: !!POSTGRES_SKIP,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const host = `outage-${crypto.randomUUID().slice(0, 8)}`;
    const pg = await backendNamed("postgres").openDb();
    const stateDir = await Deno.makeTempDir({ prefix: "agent-outage-" });
    const port = freePort();
    const serverEnv = {
      DATABASE_URL: await databaseUrlOf(pg.db),
      AGENT_TOKEN: SECRET,
      LISTEN_ADDR: `127.0.0.1:${port}`,
      LOG_LEVEL: "info", // startServer waits for the "listening" line
      SHUTDOWN_TIMEOUT: "5s",
    };
    const agentEnv = {
      SERVER_URL: `http://127.0.0.1:${port}`,
      AGENT_TOKEN: SECRET,
      AGENT_HOST: host,
      AGENT_STATE_DIR: stateDir,
      COLLECT_INTERVAL: "1s",
      LOG_LEVEL: "debug",
    };
    const running: RunningProgram[] = [];
    try {
      let server = await startServer(serverEnv);
      running.push(server);
      const first = await startAgent(agentEnv);
      running.push(first);
      await eventually("a few batches delivered", 20_000, () =>
        Promise.resolve(
          first.logLines.filter((l) => l.includes('"msg":"sent"')).length >= 3 ? true : undefined,
        ));

      // The server goes away for OUTAGE_MS.
      assert.equal(await server.stop(), 0);
      const downAt = Date.now();
      await delay(OUTAGE_MS / 2);
      assert.equal(await first.kill("SIGKILL"), 137);
      const second = await startAgent(agentEnv);
      running.push(second);
      const opened = JSON.parse(second.logLines.find((l) => l.includes('"msg":"spool opened"'))!);
      assert.ok(opened.pending_batches >= OUTAGE_MS / 2 / INTERVAL_MS - 3, "the spool survived");
      await delay(downAt + OUTAGE_MS - Date.now());

      // Back on the same port and database.
      server = await startServer(serverEnv);
      running.push(server);
      const backAt = Date.now();
      const liveAt = await eventually(
        "live data after the server's return",
        10_000,
        async () => await newestSampleMs(pg.db, host) >= backAt ? Date.now() : undefined,
      );
      assert.ok(
        liveAt - backAt <= INTERVAL_MS + LIVE_SLACK_MS,
        `live data ${liveAt - backAt} ms after the server's return (interval ${INTERVAL_MS} ms)`,
      );

      // Let the backlog drain, then stop (SIGTERM sends what is left, if anything).
      await second.lineSeen((l) => l.includes('"msg":"server reachable again'), 10_000);
      await eventually("backlog delivered", 30_000, () => {
        const sent = second.logLines.filter((l) => l.includes('"msg":"sent"')).length;
        return Promise.resolve(sent >= 3 ? true : undefined);
      });
      await delay(2000);
      assert.equal(await second.stop(), 0);
      assert.ok(
        !second.logLines.some((l) => l.includes("stopped with unsent batches")),
        "nothing left in the spool",
      );

      const collectedBefore = collectedBatches(first.logLines);
      const collectedAfter = collectedBatches(second.logLines);
      const collected = [...collectedBefore, ...collectedAfter];
      const during = collected.filter((b) => b.first > downAt && b.last < backAt);
      assert.ok(
        during.length >= OUTAGE_MS / INTERVAL_MS - 10,
        `${during.length} batches collected during the outage`,
      );
      const stored = await storedSamples(pg.db, host);
      const report = assertEachCollectedSampleStoredOnce(collected, stored);
      // At most the one batch the SIGKILL caught between spooling and logging it.
      const killedAt = collectedBefore.at(-1)!.last;
      const unloggedTimes = new Set(report.unlogged.map((s) => s.ms));
      assert.ok(
        report.unlogged.every((s) => s.ms > killedAt && s.ms < collectedAfter[0].first),
        "only samples collected just before the SIGKILL may be unlogged",
      );
      assert.ok(
        unloggedTimes.size === 0 || Math.max(...unloggedTimes) - Math.min(...unloggedTimes) < 500,
        "and only one tick's worth",
      );
      const merged = second.logLines.filter((l) => /"msg":"sent","request":"[^"]+:\d+"/.test(l));
      assert.ok(merged.length >= 1, "the backlog went in merged (multi-batch) requests");
      console.log(
        `outage e2e: ${collected.length} batches / ${report.totalStored} samples stored once; ` +
          `${during.length} collected during the ${OUTAGE_MS / 1000} s outage; live data ` +
          `${liveAt - backAt} ms after the return; ${merged.length} merged requests; ` +
          `${report.unlogged.length} samples caught by the SIGKILL before their log line`,
      );
    } finally {
      for (const p of running.reverse()) await p.kill("SIGKILL");
      await pg.close();
      await Deno.remove(stateDir, { recursive: true });
    }
  },
});
