/**
 * The alerting HTTP API through `app.request()` on real databases: scopes (admin needed
 * to change anything), alert listing with filters and order, rules with health, history,
 * reload (a bad one keeps the old rules and says why), silences, notifications, and
 * retiring a host.
 */
import assert from "node:assert/strict";
import type { AlertConfig } from "../../../server/alerts/alert_config.ts";
import { AlertConfigError } from "../../../server/alerts/alert_config.ts";
import { createAlerting } from "../../../server/alerts/setup.ts";
import { createApp } from "../../../server/http/app.ts";
import { silentLogger } from "../../../shared/log.ts";
import { TEST_CONFIG } from "../http/harness.ts";
import { TEST_SECRET, validToken } from "../http/tokens.ts";
import { openWorld, receiver, rules, S, testOnBackends } from "./helpers.ts";

const RULES = rules([
  { name: "Load", metric: "system.load1", window: "10s", op: ">", threshold: 1, severity: "info" },
  {
    name: "Disk",
    metric: "disk.used_pct",
    window: "10s",
    op: ">",
    threshold: 90,
    severity: "critical",
  },
]);

async function setup(backend: Parameters<typeof openWorld>[0]) {
  const initial: AlertConfig = {
    rules: RULES,
    receivers: [receiver({ name: "oncall", type: "webhook", url: "http://127.0.0.1:9/" })],
  };
  const w = await openWorld(backend, initial);
  let next: () => AlertConfig = () => initial;
  const alerting = createAlerting({
    db: w.db,
    initial,
    load: () => Promise.resolve(next()),
    evalIntervalMs: 15 * S,
    repeatIntervalMs: 4 * 3_600_000,
    hostDownAfterMs: 60 * S,
    retentionMs: TEST_CONFIG.retentionMs,
    externalUrl: "",
    replica: "api-test",
    fetch,
    now: () => w.clock.now,
    random: Math.random,
    newId: () => crypto.randomUUID(),
    log: silentLogger,
    timers: { setTimeout: () => 0, clearTimeout: () => {} },
  });
  const app = createApp({
    store: w.store,
    secret: TEST_SECRET,
    now: () => w.clock.now,
    log: silentLogger,
    config: TEST_CONFIG,
    newRequestId: () => crypto.randomUUID(),
    alerting: alerting.api,
  });
  const call = async (method: string, path: string, scope: string | null, body?: unknown) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (scope) headers.authorization = `Bearer ${await validToken("tester", scope, w.clock.now)}`;
    const res = await app.request(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    // deno-lint-ignore no-explicit-any -- bodies are asserted field by field
    return { status: res.status, body: await res.json() as any };
  };
  return {
    w,
    alerting,
    call,
    setNext: (f: () => AlertConfig) => (next = f),
  };
}

testOnBackends(
  "api: scopes — read lists, only admin changes; every refusal is the same 401",
  async (backend) => {
    const { w, call } = await setup(backend);
    try {
      for (
        const path of [
          "/api/v1/alerts",
          "/api/v1/alerts/rules",
          "/api/v1/alerts/history",
          "/api/v1/notifications",
          "/api/v1/silences",
        ]
      ) {
        assert.deepEqual(await call("GET", path, null), {
          status: 401,
          body: { error: "unauthorized" },
        });
        assert.equal((await call("GET", path, "ingest")).status, 401, path);
        assert.equal((await call("GET", path, "read")).status, 200, path);
        assert.equal((await call("GET", path, "admin")).status, 200, path);
      }
      const writes: [string, string, unknown][] = [
        ["POST", "/api/v1/alerts/reload", undefined],
        ["POST", "/api/v1/silences", {
          matchers: [{ name: "a", value: "b" }],
          ends_at: "2030-01-01T00:00:00Z",
          comment: "c",
        }],
        ["DELETE", "/api/v1/silences/x", undefined],
        ["DELETE", "/api/v1/hosts/web-1", undefined],
      ];
      for (const [method, path, body] of writes) {
        for (const scope of [null, "read", "ingest"]) {
          assert.deepEqual(await call(method, path, scope, body), {
            status: 401,
            body: { error: "unauthorized" },
          }, `${method} ${path} as ${scope}`);
        }
      }
    } finally {
      await w.close();
    }
  },
  { skipTimescale: true },
);

testOnBackends(
  "api: alerts listed by severity then time, filtered by state, rule and host",
  async (backend) => {
    const { w, call } = await setup(backend);
    try {
      await w.send("web-1", "system.load1", 5);
      await w.send("web-2", "system.load1", 0.1);
      await w.cycle();
      w.clock.now += 15 * S;
      await w.send("web-1", "system.load1", 5);
      await w.send("web-2", "system.load1", 0.1);
      await w.send("web-2", "disk.used_pct", 95, { mount: "/" });
      await w.cycle();

      let r = await call("GET", "/api/v1/alerts", "read");
      assert.equal(r.status, 200);
      assert.deepEqual(
        r.body.alerts.map((a: { rule: string; host: string; state: string }) =>
          `${a.rule}/${a.host}/${a.state}`
        ),
        ["Disk/web-2/firing", "Load/web-1/firing"],
        "critical before info; ok instances are not listed by default",
      );
      const disk = r.body.alerts[0];
      assert.deepEqual(disk.labels, { mount: "/" });
      assert.equal(disk.value, 95);
      assert.equal(disk.severity, "critical");
      assert.equal(disk.since, new Date(w.clock.now).toISOString());
      assert.equal(disk.fired_at, new Date(w.clock.now).toISOString());
      assert.equal(disk.last_evaluation, new Date(w.clock.now).toISOString());
      assert.equal(disk.silenced, false);
      assert.match(disk.fingerprint, /^[0-9a-f]{16}$/);

      r = await call("GET", "/api/v1/alerts?state=ok&rule=Load", "read");
      assert.deepEqual(r.body.alerts.map((a: { host: string }) => a.host), ["web-2"]);
      r = await call("GET", "/api/v1/alerts?state=all&host=web-2", "read");
      assert.deepEqual(r.body.alerts.map((a: { rule: string }) => a.rule).sort(), [
        "Disk",
        "HostDown",
        "Load",
      ]);
      r = await call("GET", "/api/v1/alerts?state=firing,pending&limit=1", "read");
      assert.equal(r.body.alerts.length, 1);

      for (
        const [q, msg] of [
          [
            "state=burning",
            /state must be all or a comma-separated list of ok, pending, firing, nodata/,
          ],
          ["limit=0", /limit must be a whole number from 1 to 10000/],
          ["colour=red", /unknown parameter "colour"/],
          ["rule=a&rule=b", /rule is given more than once/],
        ] as const
      ) {
        r = await call("GET", `/api/v1/alerts?${q}`, "read");
        assert.equal(r.status, 400, q);
        assert.match(r.body.error, msg);
      }
    } finally {
      await w.close();
    }
  },
  { skipTimescale: true },
);

testOnBackends(
  "api: rules with health, history of transitions, notifications with delivery status",
  async (backend) => {
    const { w, call } = await setup(backend);
    try {
      await w.send("web-1", "system.load1", 5);
      await w.cycle();
      w.clock.now += 15 * S;
      await w.send("web-1", "system.load1", 0);
      await w.cycle();

      let r = await call("GET", "/api/v1/alerts/rules", "read");
      assert.equal(r.status, 200);
      const byName = Object.fromEntries(r.body.rules.map((x: { name: string }) => [x.name, x]));
      assert.deepEqual(Object.keys(byName), ["HostDown", "Load", "Disk"]);
      assert.equal(byName.HostDown.builtin, true);
      assert.equal(byName.HostDown.severity, "critical");
      assert.equal(byName.Load.health, "ok");
      assert.equal(byName.Load.window, "10s");
      assert.equal(byName.Load.last_evaluation, new Date(w.clock.now).toISOString());
      assert.deepEqual(byName.Load.instances, { ok: 1, pending: 0, firing: 0, nodata: 0 });
      assert.deepEqual(r.body.receivers, [{
        name: "oncall",
        type: "webhook",
        url: "http://127.0.0.1:9/…",
        signed: false,
        severities: null,
        send_resolved: true,
      }]);
      assert.equal(r.body.evaluation.evaluator, "test-replica");
      assert.equal(r.body.evaluation.interval, "15s");

      r = await call("GET", "/api/v1/alerts/history?rule=Load", "read");
      assert.deepEqual(
        r.body.transitions.map((t: { from: string; to: string }) => `${t.from}→${t.to}`),
        ["firing→ok", "ok→firing"],
      );
      const from = new Date(w.clock.now - 5 * S).toISOString();
      r = await call("GET", `/api/v1/alerts/history?from=${from}`, "read");
      assert.equal(r.body.transitions.length, 1);
      r = await call("GET", "/api/v1/alerts/history?from=yesterday", "read");
      assert.deepEqual(r, {
        status: 400,
        body: { error: "from must be an ISO 8601 instant with an offset" },
      });

      r = await call("GET", "/api/v1/notifications", "read");
      assert.deepEqual(
        r.body.notifications.map((
          n: { status: string; delivery: string; attempts: number; rule: string; alerts: number },
        ) => [n.rule, n.status, n.delivery, n.attempts, n.alerts]),
        [["Load", "resolved", "pending", 0, 1], ["Load", "firing", "pending", 0, 1]],
      );
      r = await call("GET", "/api/v1/notifications?delivery=delivered", "read");
      assert.deepEqual(r.body.notifications, []);
      r = await call("GET", "/api/v1/notifications?delivery=lost", "read");
      assert.equal(r.status, 400);
    } finally {
      await w.close();
    }
  },
  { skipTimescale: true },
);

testOnBackends(
  "api: reload applies a valid configuration and keeps the old one when invalid",
  async (backend) => {
    const { w, call, setNext, alerting } = await setup(backend);
    try {
      const generation = await alerting.api.control.generation();
      setNext(() => ({ rules: RULES.slice(0, 1), receivers: [] }));
      let r = await call("POST", "/api/v1/alerts/reload", "admin");
      assert.deepEqual(r, { status: 200, body: { reloaded: true, rules: 1, receivers: 0 } });
      assert.equal(
        await alerting.api.control.generation(),
        generation + 1,
        "other replicas follow",
      );

      setNext(() => {
        throw new AlertConfigError('ALERT_RULES_FILE r.yaml: rules[0] "X": threshold: is required');
      });
      r = await call("POST", "/api/v1/alerts/reload", "admin");
      assert.equal(r.status, 422);
      assert.match(
        r.body.error,
        /previous configuration stays in force: .*rules\[0\] "X": threshold/,
      );
      assert.equal(r.body.rules, 1);
      assert.equal(
        await alerting.api.control.generation(),
        generation + 1,
        "a bad reload is not announced",
      );
      r = await call("GET", "/api/v1/alerts/rules", "read");
      assert.deepEqual(r.body.rules.map((x: { name: string }) => x.name), ["HostDown", "Load"]);
      assert.equal(r.body.config.last_reload.ok, false);
      assert.match(r.body.config.last_reload.error, /threshold/);
    } finally {
      await w.close();
    }
  },
  { skipTimescale: true },
);

testOnBackends(
  "api: silences are created, listed, matched and expired; bad ones refused",
  async (backend) => {
    const { w, call } = await setup(backend);
    try {
      await w.send("web-1", "system.load1", 5);
      await w.cycle();
      const ends = new Date(w.clock.now + 3_600_000).toISOString();
      let r = await call("POST", "/api/v1/silences", "admin", {
        matchers: [{ name: "alertname", value: "Load" }, {
          name: "host",
          value: "web-.*",
          isRegex: true,
        }],
        ends_at: ends,
        comment: "deploying",
      });
      assert.equal(r.status, 201);
      const id = r.body.id;
      assert.equal(r.body.status, "active");
      assert.equal(r.body.created_by, "tester");
      assert.equal(r.body.ends_at, ends);

      r = await call("GET", "/api/v1/silences", "read");
      assert.deepEqual(r.body.silences.map((s: { id: string }) => s.id), [id]);
      r = await call("GET", "/api/v1/alerts", "read");
      assert.equal(r.body.alerts[0].silenced, true);
      assert.equal(r.body.alerts[0].state, "firing", "a silenced alert keeps its state");

      r = await call("DELETE", `/api/v1/silences/${id}`, "admin");
      assert.deepEqual(r, { status: 200, body: { id, expired: true, already: false } });
      r = await call("DELETE", `/api/v1/silences/${id}`, "admin");
      assert.equal(r.body.already, true);
      assert.equal((await call("DELETE", "/api/v1/silences/nope", "admin")).status, 404);
      r = await call("GET", "/api/v1/silences", "read");
      assert.deepEqual(r.body.silences, []);
      r = await call("GET", "/api/v1/silences?all=true", "read");
      assert.equal(r.body.silences[0].status, "expired");
      r = await call("GET", "/api/v1/alerts", "read");
      assert.equal(r.body.alerts[0].silenced, false);

      for (
        const [body, msg] of [
          [{ matchers: [], ends_at: ends, comment: "x" }, /matchers must be a list of 1 to 32/],
          [
            { matchers: [{ name: "a", value: "(", isRegex: true }], ends_at: ends, comment: "x" },
            /matchers\[0\].value is not a valid regular expression/,
          ],
          [
            {
              matchers: [{ name: "a", value: "b" }],
              ends_at: "2000-01-01T00:00:00Z",
              comment: "x",
            },
            /ends_at must be in the future/,
          ],
          [{ matchers: [{ name: "a", value: "b" }], ends_at: ends }, /comment is required/],
          [
            { matchers: [{ name: "a", value: "b" }], ends_at: ends, comment: "x", who: 1 },
            /who is unknown/,
          ],
        ] as const
      ) {
        r = await call("POST", "/api/v1/silences", "admin", body);
        assert.equal(r.status, 400, JSON.stringify(body));
        assert.match(r.body.error, msg);
      }
    } finally {
      await w.close();
    }
  },
  { skipTimescale: true },
);

testOnBackends("api: DELETE /api/v1/hosts/{host} retires a host", async (backend) => {
  const { w, call } = await setup(backend);
  try {
    await w.send("old-box", "system.load1", 0.1);
    await w.send("web-1", "system.load1", 0.1);
    let r = await call("DELETE", "/api/v1/hosts/old-box", "admin");
    assert.deepEqual(r, { status: 200, body: { host: "old-box", retired: true } });
    r = await call("GET", "/api/v1/hosts", "read");
    assert.deepEqual(r.body.hosts.map((h: { host: string }) => h.host), ["web-1"]);
    assert.deepEqual(await call("DELETE", "/api/v1/hosts/old-box", "admin"), {
      status: 404,
      body: { error: "host not found" },
    });
    w.clock.now += 120 * S;
    await w.cycle();
    await w.cycle();
    r = await call("GET", "/api/v1/alerts?rule=HostDown", "read");
    assert.deepEqual(
      r.body.alerts.map((a: { host: string }) => a.host),
      ["web-1"],
      "no HostDown for a retired host",
    );
  } finally {
    await w.close();
  }
}, { skipTimescale: true });
