/**
 * Two server replicas on one PostgreSQL database: exactly one evaluates and delivers (the
 * holder of the advisory lock); after `kill -9` of that one, the other takes over within
 * two evaluation intervals, and no notification is sent twice.
 */
import assert from "node:assert/strict";
import { backendNamed, POSTGRES_SKIP } from "../server/storage/backends.ts";
import { startReceiver } from "../server/alerts/helpers.ts";
import { eventually, startServer } from "./processes.ts";
import { databaseUrlOf, postSample, readApi } from "./alerts_processes.ts";

const SECRET = "e2e-replicas-secret-".padEnd(40, "x");
const HOST = "e2e-replica-host";
const INTERVAL_MS = 2000;
const NOW_EVALUATING = "this replica now evaluates alerts";

Deno.test({
  name:
    "e2e alerts: two replicas, one evaluates; kill -9 the leader; the other takes over within two intervals; nothing sent twice",
  ignore: !!POSTGRES_SKIP,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await backendNamed("postgres").openDb();
    const hook = startReceiver(() => 200);
    const env = {
      DATABASE_URL: await databaseUrlOf(pg.db),
      AGENT_TOKEN: SECRET,
      LOG_LEVEL: "info",
      SHUTDOWN_TIMEOUT: "5s",
      ALERT_EVAL_INTERVAL: `${INTERVAL_MS / 1000}s`,
      ALERT_RULES: JSON.stringify([
        {
          name: "ReplicaLoad",
          metric: "system.load1",
          agg: "last",
          window: "30s",
          op: ">",
          threshold: 1,
        },
      ]),
      ALERT_RECEIVERS: JSON.stringify([{ name: "hook", type: "webhook", url: hook.url }]),
    };
    const first = await startServer(env);
    await first.lineSeen((l) => l.includes(NOW_EVALUATING), 15_000);
    const second = await startServer(env);
    let value = 5;
    let posting = true;
    const poster = (async () => {
      while (posting) {
        await postSample(second.baseUrl, SECRET, HOST, "system.load1", value).catch(() => {});
        await new Promise((r) => setTimeout(r, 300));
      }
    })();
    const evaluator = async () =>
      (await readApi(second.baseUrl, SECRET, "/api/v1/alerts/rules")).evaluation;
    try {
      await eventually(
        "firing delivered",
        20_000,
        () => Promise.resolve(hook.requests.length >= 1 ? true : undefined),
      );
      // Several intervals with both alive: only the first evaluates.
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, INTERVAL_MS));
        const e = await evaluator();
        assert.match(e.evaluator, new RegExp(`:${first.pid}$`), "the first replica evaluates");
      }
      assert.ok(!second.logLines.some((l) => l.includes(NOW_EVALUATING)), "the second waits");
      assert.equal(hook.requests.length, 1);

      const killedAt = Date.now();
      first.kill("SIGKILL");
      await first.exited;
      const takeover = await eventually("the second replica evaluates", 15_000, async () => {
        const e = await evaluator();
        return e.evaluator?.endsWith(`:${second.pid}`) ? e : undefined;
      });
      const tookMs = Date.parse(takeover.evaluated_at) - killedAt;
      console.log(`takeover after kill -9: ${tookMs} ms (bound ${2 * INTERVAL_MS} ms)`);
      assert.ok(
        tookMs <= 2 * INTERVAL_MS,
        `took over in ${tookMs} ms, more than two evaluation intervals (${2 * INTERVAL_MS} ms)`,
      );
      await second.lineSeen((l) => l.includes(NOW_EVALUATING), 1000);

      // Still firing under the new leader: no second firing notification.
      await new Promise((r) => setTimeout(r, 3 * INTERVAL_MS));
      assert.equal(hook.requests.length, 1, "the firing alert is not notified again");
      const { alerts } = await readApi(second.baseUrl, SECRET, "/api/v1/alerts?rule=ReplicaLoad");
      assert.equal(alerts[0].state, "firing");

      value = 0;
      await eventually(
        "resolved by the new leader",
        20_000,
        () => Promise.resolve(hook.requests.length >= 2 ? true : undefined),
      );
      await new Promise((r) => setTimeout(r, 2 * INTERVAL_MS));
      const statuses = hook.requests.map((r) => JSON.parse(r.body).status);
      assert.deepEqual(statuses, ["firing", "resolved"]);
      const ids = hook.requests.map((r) => r.headers["webhook-id"]);
      assert.equal(new Set(ids).size, ids.length, "no webhook-id delivered twice");
      const { notifications } = await readApi(second.baseUrl, SECRET, "/api/v1/notifications");
      assert.deepEqual(
        notifications.map((
          n: { status: string; delivery: string; attempts: number },
        ) => [n.status, n.delivery, n.attempts]),
        [["resolved", "delivered", 1], ["firing", "delivered", 1]],
      );
    } finally {
      posting = false;
      await poster;
      first.kill("SIGKILL");
      await second.stop();
      await hook.close();
      await pg.close();
    }
  },
});
