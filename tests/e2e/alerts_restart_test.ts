/**
 * End to end on PostgreSQL with real server processes and a real local receiver:
 * - the receiver fails the first three attempts; the server is restarted between
 *   attempts; the notification is delivered once, with the same webhook-id on every
 *   attempt and a Standard Webhooks signature the receiver verifies;
 * - a firing alert survives another restart with its state, and is not notified again;
 * - it resolves with one resolved notification.
 */
import assert from "node:assert/strict";
import { backendNamed, POSTGRES_SKIP } from "../server/storage/backends.ts";
import { startReceiver, verifyStandardWebhook } from "../server/alerts/helpers.ts";
import { eventually, type RunningServer, startServer } from "./processes.ts";
import { databaseUrlOf, postSample, readApi } from "./alerts_processes.ts";

const SECRET = "e2e-alerts-secret-".padEnd(40, "x");
const HOOK_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const HOST = "e2e-alert-host";

Deno.test({
  name:
    "e2e alerts: retries across a restart deliver once (same webhook-id, signed); state survives restarts",
  ignore: !!POSTGRES_SKIP,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const pg = await backendNamed("postgres").openDb();
    const verified: boolean[] = [];
    const hook = startReceiver(async (n, req) => {
      verified.push(await verifyStandardWebhook(HOOK_SECRET, req.headers, req.body));
      return n < 3 ? 500 : 200;
    });
    const env = {
      DATABASE_URL: await databaseUrlOf(pg.db),
      AGENT_TOKEN: SECRET,
      LOG_LEVEL: "info",
      SHUTDOWN_TIMEOUT: "5s",
      ALERT_EVAL_INTERVAL: "1s",
      ALERT_RULES: JSON.stringify([{
        name: "E2ELoad",
        metric: "system.load1",
        agg: "last",
        window: "30s",
        op: ">",
        threshold: 1,
        severity: "critical",
        summary: "{{host}} load {{value}}",
      }]),
      ALERT_RECEIVERS: JSON.stringify([
        { name: "hook", type: "webhook", url: hook.url, secret: HOOK_SECRET },
      ]),
    };
    let server: RunningServer = await startServer(env);
    let value = 5;
    let posting = true;
    const poster = (async () => {
      while (posting) {
        await postSample(server.baseUrl, SECRET, HOST, "system.load1", value).catch(() => {});
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
    try {
      // Two failed attempts (about 2 s apart), then the server restarts.
      await eventually(
        "two failed attempts",
        30_000,
        () => Promise.resolve(hook.requests.length >= 2 ? true : undefined),
      );
      const before = await readApi(server.baseUrl, SECRET, "/api/v1/alerts?rule=E2ELoad");
      assert.equal(before.alerts[0].state, "firing");
      const firedAt = before.alerts[0].fired_at;
      assert.equal(await server.stop(), 0);
      server = await startServer(env);

      await eventually(
        "delivered on the fourth attempt",
        40_000,
        () => Promise.resolve(hook.requests.length >= 4 ? true : undefined),
      );
      assert.deepEqual(hook.requests.map((r) => r.status), [500, 500, 500, 200]);
      const ids = new Set(hook.requests.map((r) => r.headers["webhook-id"]));
      assert.equal(ids.size, 1, "the same webhook-id on every attempt");
      assert.match([...ids][0], /^msg_[0-9a-f]{32}$/);
      assert.deepEqual(verified, [true, true, true, true], "every signature verifies");
      assert.equal(new Set(hook.requests.map((r) => r.body)).size, 1);
      const payload = JSON.parse(hook.requests[3].body);
      assert.equal(payload.version, "4");
      assert.equal(payload.status, "firing");
      assert.equal(payload.alerts[0].labels.alertname, "E2ELoad");
      assert.equal(payload.alerts[0].labels.host, HOST);
      assert.equal(payload.alerts[0].annotations.summary, `${HOST} load 5`);

      // Restart again while firing: the state is kept and nothing is sent again.
      assert.equal(await server.stop(), 0);
      server = await startServer(env);
      await server.lineSeen((l) => l.includes("this replica now evaluates alerts"), 10_000);
      await new Promise((r) => setTimeout(r, 4000)); // several evaluations
      assert.equal(hook.requests.length, 4, "no duplicate notification after the restart");
      const after = await readApi(server.baseUrl, SECRET, "/api/v1/alerts?rule=E2ELoad");
      assert.equal(after.alerts[0].state, "firing");
      assert.equal(after.alerts[0].fired_at, firedAt, "the same firing episode");

      // The load drops: one resolved notification.
      value = 0;
      await eventually(
        "resolved",
        45_000,
        () => Promise.resolve(hook.requests.length >= 5 ? true : undefined),
      );
      const resolved = JSON.parse(hook.requests[4].body);
      assert.equal(resolved.status, "resolved");
      assert.notEqual(hook.requests[4].headers["webhook-id"], [...ids][0]);
      await new Promise((r) => setTimeout(r, 2500));
      assert.equal(hook.requests.length, 5);
      const { notifications } = await readApi(server.baseUrl, SECRET, "/api/v1/notifications");
      assert.deepEqual(
        notifications.map((
          n: { status: string; delivery: string; attempts: number },
        ) => [n.status, n.delivery, n.attempts]),
        [["resolved", "delivered", 1], ["firing", "delivered", 4]],
      );
    } finally {
      posting = false;
      await poster;
      await server.stop();
      await hook.close();
      await pg.close();
    }
  },
});
