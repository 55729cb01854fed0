/**
 * The evaluator on real databases with an injected clock and real ingested data: for,
 * keep_firing_for, nodata modes, HostDown, resolve only after firing, per-label-set
 * instances, seed-style rules, failing rules, restarts, silences, retirement, reloads.
 */
import assert from "node:assert/strict";
import type { Queryable } from "../../../server/db/db.ts";
import { openWorld, receiver, rules, S, testOnBackends } from "./helpers.ts";

const WEBHOOK = receiver({ name: "oncall", type: "webhook", url: "http://127.0.0.1:9/hook" });

testOnBackends(
  "evaluator: pending → firing only after for; one firing and one resolved message",
  async (backend) => {
    const w = await openWorld(backend, {
      rules: rules([{
        name: "HighCPU",
        metric: "cpu.usage_pct",
        labels: { core: "total" },
        window: "20s",
        op: ">",
        threshold: 90,
        for: "1m",
        severity: "critical",
        summary: "{{host}} CPU at {{value}} %",
      }]),
      receivers: [WEBHOOK],
    });
    try {
      const tick = async (value: number) => {
        await w.send("web-1", "cpu.usage_pct", value, { core: "total" });
        await w.send("web-1", "cpu.usage_pct", 1, { core: "0" }); // another label set: not matched
        return await w.cycle();
      };
      const states: (string | undefined)[] = [];
      for (let i = 0; i < 4; i++) {
        await tick(95);
        states.push(await w.state("HighCPU", "web-1", { core: "total" }));
        w.clock.now += 15 * S;
      }
      assert.deepEqual(states, ["pending", "pending", "pending", "pending"]);
      assert.equal((await w.messages()).length, 0, "nothing is sent while pending");

      await tick(95); // t = 60 s: the condition has held for 1m
      assert.equal(await w.state("HighCPU", "web-1", { core: "total" }), "firing");
      let msgs = await w.messages();
      assert.equal(msgs.length, 1);
      assert.equal(msgs[0].status, "firing");
      assert.equal(msgs[0].body.alerts[0].labels.alertname, "HighCPU");
      assert.equal(msgs[0].body.alerts[0].labels.core, "total");
      assert.equal(msgs[0].body.alerts[0].annotations.summary, "web-1 CPU at 95 %");
      assert.equal(msgs[0].body.alerts[0].startsAt, new Date(w.clock.now - 60 * S).toISOString());

      w.clock.now += 15 * S;
      await tick(96);
      assert.equal((await w.messages()).length, 1, "still firing: no new message");

      w.clock.now += 30 * S; // the window (20 s) now holds only the new low value
      await tick(10);
      assert.equal(await w.state("HighCPU", "web-1", { core: "total" }), "ok");
      msgs = await w.messages();
      assert.deepEqual(msgs.map((m) => m.status), ["firing", "resolved"]);
      assert.equal(msgs[1].body.alerts[0].endsAt, new Date(w.clock.now).toISOString());
      assert.equal(msgs[1].body.alerts[0].fingerprint, msgs[0].body.alerts[0].fingerprint);

      const history = await w.queries.history({
        from: w.clock.now - 3_600_000,
        to: w.clock.now + 1,
        rule: "HighCPU",
        limit: 100,
      });
      assert.deepEqual(
        history.reverse().map((t) => `${t.from}→${t.to}`),
        ["ok→pending", "pending→firing", "firing→ok"],
      );
    } finally {
      await w.close();
    }
  },
);

testOnBackends("evaluator: an alert that never fired sends no resolve", async (backend) => {
  const w = await openWorld(backend, {
    rules: rules([{
      name: "Load",
      metric: "system.load1",
      window: "10s",
      op: ">",
      threshold: 4,
      for: "1m",
    }]),
    receivers: [WEBHOOK],
  });
  try {
    await w.send("h", "system.load1", 9);
    await w.cycle();
    assert.equal(await w.state("Load", "h"), "pending");
    w.clock.now += 15 * S;
    await w.send("h", "system.load1", 1);
    await w.cycle();
    assert.equal(await w.state("Load", "h"), "ok");
    assert.deepEqual(await w.messages(), []);
  } finally {
    await w.close();
  }
}, { skipTimescale: true });

testOnBackends(
  "evaluator: keep_firing_for holds a cleared alert, then resolves it",
  async (backend) => {
    const w = await openWorld(backend, {
      rules: rules([{
        name: "Mem",
        metric: "mem.used_pct",
        window: "10s",
        op: ">",
        threshold: 90,
        keep_firing_for: "30s",
      }]),
      receivers: [WEBHOOK],
    });
    try {
      await w.send("h", "mem.used_pct", 95);
      await w.cycle();
      const seen: (string | undefined)[] = [];
      for (let i = 0; i < 4; i++) {
        w.clock.now += 15 * S;
        await w.send("h", "mem.used_pct", 50);
        await w.cycle();
        seen.push(await w.state("Mem", "h"));
      }
      assert.deepEqual(seen, ["firing", "firing", "ok", "ok"]);
      assert.deepEqual((await w.messages()).map((m) => m.status), ["firing", "resolved"]);
    } finally {
      await w.close();
    }
  },
  { skipTimescale: true },
);

testOnBackends(
  "evaluator: nodata modes ok, alerting and keep when a series stops",
  async (backend) => {
    const w = await openWorld(backend, {
      rules: rules([
        {
          name: "NdOk",
          metric: "system.load1",
          window: "10s",
          op: ">",
          threshold: 1,
          nodata: "ok",
        },
        {
          name: "NdAlerting",
          metric: "system.load5",
          window: "10s",
          op: ">",
          threshold: 1,
          nodata: "alerting",
        },
        { name: "NdKeep", metric: "system.load15", window: "10s", op: ">", threshold: 1 },
        { name: "NdKeepOk", metric: "mem.used_pct", window: "10s", op: ">", threshold: 99 },
      ]),
      receivers: [WEBHOOK],
    });
    try {
      for (const m of ["system.load1", "system.load5", "system.load15"] as const) {
        await w.send("h", m, 5);
      }
      await w.send("h", "mem.used_pct", 50);
      await w.cycle();
      for (const r of ["NdOk", "NdAlerting", "NdKeep"]) {
        assert.equal(
          await w.state(r, "h"),
          "firing",
        );
      }
      assert.equal(await w.state("NdKeepOk", "h"), "ok");
      assert.equal((await w.messages()).length, 3);

      // The series stop; the host keeps sending another metric, so it is not down.
      w.clock.now += 15 * S;
      await w.send("h", "cpu.usage_pct", 1, { core: "total" });
      await w.cycle();
      assert.equal(await w.state("NdOk", "h"), undefined, "resolved and forgotten");
      assert.equal(await w.state("NdAlerting", "h"), "firing");
      assert.equal(await w.state("NdKeep", "h"), "nodata");
      assert.equal(await w.state("NdKeepOk", "h"), "nodata");
      let msgs = await w.messages();
      assert.deepEqual(
        msgs.slice(3).map((m) => `${m.rule}:${m.status}`),
        ["NdOk:resolved"],
        "only nodata=ok resolves",
      );
      const listed = await w.queries.alerts({ states: ["nodata"], limit: 10 });
      assert.deepEqual(listed.map((a) => a.rule).sort(), ["NdKeep", "NdKeepOk"]);
      assert.equal(listed.find((a) => a.rule === "NdKeep")!.fired_at !== null, true);

      // Data returns below the thresholds: the kept firing alert resolves now.
      w.clock.now += 15 * S;
      for (const m of ["system.load1", "system.load5", "system.load15"] as const) {
        await w.send("h", m, 0.5);
      }
      await w.send("h", "mem.used_pct", 50);
      await w.cycle();
      for (const r of ["NdOk", "NdAlerting", "NdKeep", "NdKeepOk"]) {
        assert.equal(await w.state(r, "h"), "ok", r);
      }
      msgs = await w.messages();
      assert.deepEqual(
        msgs.slice(4).map((m) => `${m.rule}:${m.status}`).sort(),
        ["NdAlerting:resolved", "NdKeep:resolved"],
      );
    } finally {
      await w.close();
    }
  },
);

testOnBackends(
  "evaluator: HostDown pending after HOST_DOWN_AFTER, firing one evaluation later, resolved on data",
  async (backend) => {
    const w = await openWorld(backend, { rules: [], receivers: [WEBHOOK] }, {
      hostDownAfterMs: 60 * S,
    });
    try {
      await w.send("dead", "system.load1", 1);
      await w.send("flaky", "system.load1", 1);
      await w.cycle();
      assert.equal(await w.state("HostDown", "dead"), "ok");
      w.clock.now += 61 * S;
      await w.cycle();
      assert.equal(await w.state("HostDown", "dead"), "pending");
      assert.equal(await w.state("HostDown", "flaky"), "pending");
      assert.equal((await w.messages()).length, 0);

      // flaky reports before the next evaluation: back to ok, never notified.
      w.clock.now += 5 * S;
      await w.send("flaky", "system.load1", 1);
      w.clock.now += 10 * S;
      await w.cycle();
      assert.equal(await w.state("HostDown", "dead"), "firing");
      assert.equal(await w.state("HostDown", "flaky"), "ok");
      let msgs = await w.messages();
      assert.equal(msgs.length, 1);
      assert.equal(msgs[0].body.alerts[0].labels.host, "dead");
      assert.equal(msgs[0].body.alerts[0].labels.severity, "critical");

      w.clock.now += 15 * S;
      await w.send("dead", "system.load1", 1);
      await w.cycle();
      assert.equal(await w.state("HostDown", "dead"), "ok");
      msgs = await w.messages();
      assert.deepEqual(msgs.map((m) => m.status), ["firing", "resolved"]);
      assert.equal(msgs[1].body.alerts[0].labels.host, "dead");
    } finally {
      await w.close();
    }
  },
);

testOnBackends(
  "evaluator: one instance per label set; hosts glob; templates see the labels",
  async (backend) => {
    const w = await openWorld(backend, {
      rules: rules([{
        name: "DiskFull",
        metric: "disk.used_pct",
        hosts: "web-*",
        window: "10s",
        op: ">",
        threshold: 90,
        summary: "{{host}}:{{labels.mount}} at {{value}} %",
      }]),
      receivers: [WEBHOOK],
    });
    try {
      await w.send("web-1", "disk.used_pct", 95, { mount: "/", device: "sda1" });
      await w.send("web-1", "disk.used_pct", 50, { mount: "/data", device: "sdb1" });
      await w.send("web-2", "disk.used_pct", 97, { mount: "/", device: "sda1" });
      await w.send("db-1", "disk.used_pct", 99, { mount: "/", device: "sda1" });
      await w.cycle();
      assert.equal(await w.state("DiskFull", "web-1", { mount: "/", device: "sda1" }), "firing");
      assert.equal(await w.state("DiskFull", "web-1", { mount: "/data", device: "sdb1" }), "ok");
      assert.equal(await w.state("DiskFull", "web-2", { mount: "/", device: "sda1" }), "firing");
      assert.equal(await w.state("DiskFull", "db-1", { mount: "/", device: "sda1" }), undefined);
      const msgs = await w.messages();
      assert.equal(msgs.length, 1, "one message for the rule, grouping its alerts");
      const alerts = msgs[0].body.alerts as {
        labels: Record<string, string>;
        annotations: Record<string, string>;
      }[];
      assert.deepEqual(alerts.map((a) => a.annotations.summary).sort(), [
        "web-1:/ at 95 %",
        "web-2:/ at 97 %",
      ]);
      assert.deepEqual(msgs[0].body.commonLabels, {
        alertname: "DiskFull",
        severity: "warning",
        mount: "/",
        device: "sda1",
      });
    } finally {
      await w.close();
    }
  },
  { skipTimescale: true },
);

testOnBackends("evaluator: seed-style rules average over for and fire at once", async (backend) => {
  const w = await openWorld(backend, {
    rules: rules([{ host: "web-1", name: "cpu.usage_pct", op: ">", threshold: 90, for: "1m" }]),
    receivers: [WEBHOOK],
  });
  const name = "cpu.usage_pct > 90 on web-1";
  try {
    await w.send("web-1", "cpu.usage_pct", 100, { core: "total" });
    w.clock.now += 20 * S;
    await w.send("web-1", "cpu.usage_pct", 70, { core: "total" });
    await w.cycle();
    assert.equal(await w.state(name, "web-1", { core: "total" }), "ok", "avg 85 over the minute");
    w.clock.now += 20 * S;
    await w.send("web-1", "cpu.usage_pct", 100, { core: "total" });
    w.clock.now += 20 * S;
    await w.send("web-1", "cpu.usage_pct", 100, { core: "total" });
    await w.cycle(); // window (t-60 s, t]: 70, 100, 100 → avg 90: not > 90
    assert.equal(await w.state(name, "web-1", { core: "total" }), "ok");
    w.clock.now += 15 * S;
    await w.send("web-1", "cpu.usage_pct", 100, { core: "total" });
    await w.cycle(); // 100, 100, 100 → firing at once, no pending
    assert.equal(await w.state(name, "web-1", { core: "total" }), "firing");
    assert.equal((await w.messages())[0].body.alerts[0].labels.alertname, name);
  } finally {
    await w.close();
  }
}, { skipTimescale: true });

testOnBackends(
  "evaluator: a failing rule is reported and the others still evaluate",
  async (backend) => {
    const w = await openWorld(backend, {
      rules: rules([
        { name: "Broken", metric: "system.load1", window: "10s", op: ">", threshold: 1 },
        { name: "Works", metric: "system.load5", window: "10s", op: ">", threshold: 1 },
      ]),
      receivers: [WEBHOOK],
    });
    try {
      const failing: Queryable = {
        query: (sql, params) =>
          params?.[0] === "system.load1"
            ? Promise.reject(new Error('relation "boom" does not exist'))
            : w.db.query(sql, params),
        exec: (sql) => w.db.exec(sql),
      };
      w.evaluator = w.newEvaluator({ db: failing });
      await w.send("h", "system.load1", 5);
      await w.send("h", "system.load5", 5);
      const report = await w.cycle();
      assert.deepEqual(report.failed, [
        { rule: "Broken", error: 'query failed: relation "boom" does not exist' },
      ]);
      assert.equal(await w.state("Works", "h"), "firing");
      assert.equal(await w.state("Broken", "h"), undefined);
      const status = await w.queries.ruleStatus();
      assert.match(status.get("Broken")!.error!, /boom/);
      assert.equal(status.get("Works")!.error, null);
      assert.equal(status.get("HostDown")!.error, null);
    } finally {
      await w.close();
    }
  },
  { skipTimescale: true },
);

testOnBackends(
  "evaluator: a new evaluator (restart) keeps states and does not notify again; repeat_interval re-sends",
  async (backend) => {
    const w = await openWorld(backend, {
      rules: rules([{
        name: "Load",
        metric: "system.load1",
        window: "10s",
        op: ">",
        threshold: 1,
      }]),
      receivers: [WEBHOOK],
    }, { repeatIntervalMs: 3_600_000 });
    try {
      await w.send("h", "system.load1", 5);
      await w.cycle();
      const firedAt = (await w.queries.alerts({ states: ["firing"], limit: 5 }))[0].fired_at;
      assert.equal((await w.messages()).length, 1);

      w.evaluator = w.newEvaluator(); // a restarted server starts with an empty cache
      for (let i = 0; i < 3; i++) {
        w.clock.now += 15 * S;
        await w.send("h", "system.load1", 5);
        await w.cycle();
      }
      assert.equal((await w.messages()).length, 1, "no duplicate after the restart");
      const [alert] = await w.queries.alerts({ states: ["firing"], limit: 5 });
      assert.equal(alert.fired_at, firedAt, "the same firing episode");

      w.clock.now += 3_600_000;
      await w.send("h", "system.load1", 5);
      await w.cycle();
      assert.deepEqual((await w.messages()).map((m) => m.status), ["firing", "firing"]);
      w.clock.now += 15 * S;
      await w.send("h", "system.load1", 5);
      await w.cycle();
      assert.equal((await w.messages()).length, 2, "one repeat per repeat_interval");
    } finally {
      await w.close();
    }
  },
);

testOnBackends(
  "evaluator: silenced alerts keep their state and send nothing until the silence ends",
  async (backend) => {
    const w = await openWorld(backend, {
      rules: rules([{
        name: "Load",
        metric: "system.load1",
        window: "10s",
        op: ">",
        threshold: 1,
      }]),
      receivers: [WEBHOOK],
    });
    try {
      const silence = await w.silences.create(
        {
          matchers: [{ name: "alertname", value: "Load", isRegex: false, isEqual: true }, {
            name: "host",
            value: "web-.*",
            isRegex: true,
            isEqual: true,
          }],
          startsAt: w.clock.now,
          endsAt: w.clock.now + 60 * S,
          comment: "maintenance",
        },
        "sil-1",
        "tester",
        w.clock.now,
      );
      await w.send("web-1", "system.load1", 5);
      await w.send("db-1", "system.load1", 5);
      await w.cycle();
      assert.equal(await w.state("Load", "web-1"), "firing");
      let msgs = await w.messages();
      assert.deepEqual(
        msgs.flatMap((m) => m.body.alerts.map((a: { labels: { host: string } }) => a.labels.host)),
        ["db-1"],
      );
      w.clock.now += 30 * S;
      assert.equal(await w.silences.expire(silence.id, w.clock.now), "expired-now");
      await w.send("web-1", "system.load1", 5);
      await w.send("db-1", "system.load1", 5);
      await w.cycle();
      msgs = await w.messages();
      assert.equal(msgs.length, 2);
      assert.deepEqual(
        msgs[1].body.alerts.map((a: { labels: { host: string } }) => a.labels.host),
        [
          "web-1",
        ],
      );
    } finally {
      await w.close();
    }
  },
  { skipTimescale: true },
);

testOnBackends(
  "evaluator: a retired host stops alerting and its notified alerts resolve",
  async (backend) => {
    const w = await openWorld(backend, {
      rules: rules([{
        name: "Load",
        metric: "system.load1",
        window: "10s",
        op: ">",
        threshold: 1,
      }]),
      receivers: [WEBHOOK],
    });
    try {
      await w.send("old", "system.load1", 5);
      await w.cycle();
      w.clock.now += 70 * S;
      await w.cycle(); // HostDown pending
      w.clock.now += 15 * S;
      await w.cycle(); // HostDown firing
      assert.equal(await w.state("HostDown", "old"), "firing");
      assert.equal(await w.queries.retireHost("old"), true);
      assert.equal(await w.queries.retireHost("old"), false);
      w.clock.now += 15 * S;
      await w.cycle();
      assert.equal(await w.state("HostDown", "old"), undefined);
      assert.equal(await w.state("Load", "old"), undefined);
      const msgs = await w.messages();
      assert.deepEqual(msgs.slice(0, 2).map((m) => `${m.rule}:${m.status}`), [
        "Load:firing",
        "HostDown:firing",
      ]);
      assert.deepEqual(msgs.slice(2).map((m) => `${m.rule}:${m.status}`).sort(), [
        "HostDown:resolved",
        "Load:resolved",
      ]);
      const history = await w.queries.history({
        from: 0,
        to: w.clock.now + 1,
        host: "old",
        limit: 10,
      });
      assert.ok(history.some((t) => t.reason === "host retired" && t.to === "removed"));
      for (let i = 0; i < 2; i++) {
        w.clock.now += 15 * S;
        await w.cycle();
      }
      assert.equal((await w.messages()).length, 4, "nothing more for a retired host");
    } finally {
      await w.close();
    }
  },
  { skipTimescale: true },
);

testOnBackends(
  "evaluator: removing a rule (reload) resolves its notified alerts; budget skips keep states",
  async (backend) => {
    const w = await openWorld(backend, {
      rules: rules([
        { name: "Gone", metric: "system.load1", window: "10s", op: ">", threshold: 1 },
        { name: "Stays", metric: "system.load5", window: "10s", op: ">", threshold: 1 },
      ]),
      receivers: [WEBHOOK],
    });
    try {
      await w.send("h", "system.load1", 5);
      await w.send("h", "system.load5", 5);
      await w.cycle();
      w.config = { ...w.config, rules: w.config.rules.filter((r) => r.name !== "Gone") };
      w.clock.now += 15 * S;
      await w.send("h", "system.load5", 5);
      await w.cycle();
      assert.equal(await w.state("Stays", "h"), "firing");
      assert.equal(await w.state("Gone", "h"), undefined);
      assert.equal((await w.queries.ruleStatus()).has("Gone"), false, "its health row goes too");
      assert.deepEqual((await w.messages()).map((m) => `${m.rule}:${m.status}`).slice(2), [
        "Gone:resolved",
      ]);

      // A cycle out of time evaluates nothing and changes nothing.
      w.evaluator = w.newEvaluator({ budgetMs: -1 });
      w.clock.now += 15 * S;
      await w.send("h", "system.load5", 0);
      const report = await w.cycle();
      assert.equal(report.skipped, 1);
      assert.match((await w.queries.ruleStatus()).get("Stays")!.error!, /time budget/);
      assert.equal(await w.state("Stays", "h"), "firing", "not evaluated: not resolved");
    } finally {
      await w.close();
    }
  },
  { skipTimescale: true },
);
