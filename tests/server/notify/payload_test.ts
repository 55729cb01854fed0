/**
 * What receivers get: the Alertmanager v4 webhook payload checked against its field set,
 * the Slack message, the Standard Webhooks signature (the specification's test vector),
 * fingerprints, and how alerts are planned into messages per receiver.
 */
import assert from "node:assert/strict";
import {
  alertmanagerPayload,
  commonPairs,
  ZERO_TIME,
} from "../../../server/notify/alertmanager_payload.ts";
import { fingerprint } from "../../../server/notify/fingerprint.ts";
import { planMessages } from "../../../server/notify/message_planner.ts";
import type { NotifiedAlert } from "../../../server/notify/notification.ts";
import { validateReceiver } from "../../../server/notify/receiver.ts";
import { slackMessage } from "../../../server/notify/slack_message.ts";
import { decodeSecret, sign, signatureHeaders } from "../../../server/notify/standard_webhooks.ts";

const T = Date.parse("2025-06-01T12:00:00Z");

function alert(over: Partial<NotifiedAlert> = {}): NotifiedAlert {
  const labels = { alertname: "DiskFull", host: "web-1", severity: "critical", mount: "/" };
  return {
    status: "firing",
    rule: "DiskFull",
    severity: "critical",
    labels,
    annotations: { summary: "web-1:/ at 95 %" },
    startsAt: T,
    endsAt: null,
    fingerprint: fingerprint(labels),
    generatorURL: "http://mo.example/api/v1/alerts?rule=DiskFull&host=web-1",
    ...over,
  };
}

// The Alertmanager v4 webhook field set (Alertmanager's `notify/webhook` Message and
// `template.Data`): every key, its JSON type, and nothing else.
const STRING_MAP = "object<string,string>";
const V4_TOP: Record<string, string> = {
  version: "string",
  groupKey: "string",
  truncatedAlerts: "number",
  status: "string",
  receiver: "string",
  groupLabels: STRING_MAP,
  commonLabels: STRING_MAP,
  commonAnnotations: STRING_MAP,
  externalURL: "string",
  alerts: "array",
};
const V4_ALERT: Record<string, string> = {
  status: "string",
  labels: STRING_MAP,
  annotations: STRING_MAP,
  startsAt: "string",
  endsAt: "string",
  generatorURL: "string",
  fingerprint: "string",
};
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return "array";
  if (v !== null && typeof v === "object") {
    return Object.values(v).every((x) => typeof x === "string") ? STRING_MAP : "object";
  }
  return typeof v;
}

function checkSchema(value: Record<string, unknown>, schema: Record<string, string>, at: string) {
  assert.deepEqual(Object.keys(value).sort(), Object.keys(schema).sort(), `${at}: keys`);
  for (const [k, t] of Object.entries(schema)) assert.equal(typeOf(value[k]), t, `${at}.${k}`);
}

/** Validates a parsed body against the v4 field set and value rules. */
function assertAlertmanagerV4(body: Record<string, unknown>) {
  checkSchema(body, V4_TOP, "payload");
  assert.equal(body.version, "4");
  assert.ok(["firing", "resolved"].includes(body.status as string));
  assert.ok(Number.isInteger(body.truncatedAlerts) && (body.truncatedAlerts as number) >= 0);
  const alerts = body.alerts as Record<string, unknown>[];
  assert.ok(alerts.length > 0);
  for (const [i, a] of alerts.entries()) {
    checkSchema(a, V4_ALERT, `alerts[${i}]`);
    assert.ok(["firing", "resolved"].includes(a.status as string));
    assert.match(a.startsAt as string, RFC3339);
    assert.match(a.endsAt as string, a.status === "firing" ? /^0001-01-01T00:00:00Z$/ : RFC3339);
    assert.match(a.fingerprint as string, /^[0-9a-f]{16}$/);
  }
}

Deno.test("webhook payload: the Alertmanager v4 field set, nothing more, nothing less", () => {
  const firing = alertmanagerPayload({
    receiver: "oncall",
    rule: "DiskFull",
    alerts: [
      alert(),
      alert({
        labels: { alertname: "DiskFull", host: "web-2", severity: "critical", mount: "/" },
        annotations: { summary: "web-2:/ at 97 %" },
        fingerprint: "0123456789abcdef",
      }),
    ],
    externalURL: "http://mo.example",
  });
  const body = JSON.parse(JSON.stringify(firing));
  assertAlertmanagerV4(body);
  assert.equal(body.status, "firing");
  assert.equal(body.receiver, "oncall");
  assert.deepEqual(body.groupLabels, { alertname: "DiskFull" });
  assert.deepEqual(body.commonLabels, { alertname: "DiskFull", severity: "critical", mount: "/" });
  assert.deepEqual(body.commonAnnotations, {});
  assert.equal(body.externalURL, "http://mo.example");
  assert.equal(body.alerts[0].endsAt, ZERO_TIME);
  assert.equal(body.alerts[0].startsAt, "2025-06-01T12:00:00.000Z");
  assert.match(body.groupKey, /^\{\}.*:\{alertname="DiskFull"\}$/);

  const resolved = JSON.parse(JSON.stringify(alertmanagerPayload({
    receiver: "oncall",
    rule: "DiskFull",
    alerts: [alert({ status: "resolved", endsAt: T + 60_000 })],
    externalURL: "",
  })));
  assertAlertmanagerV4(resolved);
  assert.equal(resolved.status, "resolved");
  assert.equal(resolved.alerts[0].endsAt, "2025-06-01T12:01:00.000Z");
  assert.deepEqual(resolved.commonAnnotations, { summary: "web-1:/ at 95 %" });
});

Deno.test("commonPairs keeps only pairs every map shares", () => {
  assert.deepEqual(commonPairs([{ a: "1", b: "2" }, { a: "1", b: "3" }]), { a: "1" });
  assert.deepEqual(commonPairs([]), {});
});

Deno.test("Standard Webhooks: the specification's test vector", async () => {
  const key = decodeSecret("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")!;
  assert.equal(
    await sign(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}'),
    "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
  );
  assert.deepEqual(
    await signatureHeaders(key, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, '{"test": 2432232314}'),
    {
      "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
      "webhook-timestamp": "1614265330",
      "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
    },
  );
  assert.deepEqual(decodeSecret("plain"), new TextEncoder().encode("plain"));
  assert.equal(decodeSecret("whsec_%%%"), null);
});

Deno.test("fingerprint: 16 hex digits, stable, independent of key order", () => {
  const a = fingerprint({ alertname: "X", host: "h", severity: "warning" });
  assert.match(a, /^[0-9a-f]{16}$/);
  assert.equal(a, fingerprint({ severity: "warning", host: "h", alertname: "X" }));
  assert.notEqual(a, fingerprint({ alertname: "X", host: "h2", severity: "warning" }));
});

Deno.test("slack: headline with status, count and severity, one escaped line per alert", () => {
  const msg = slackMessage("DiskFull", [
    alert(),
    alert({ labels: { host: "<b>&" }, annotations: {} }),
  ]);
  assert.deepEqual(Object.keys(msg), ["text"]);
  assert.equal(
    msg.text,
    "[FIRING:2] DiskFull (critical)\n• web-1: web-1:/ at 95 %\n• &lt;b&gt;&amp;",
  );
  const many = slackMessage("X", Array.from({ length: 25 }, () => alert({ status: "resolved" })));
  assert.match(many.text, /^\[RESOLVED:25\]/);
  assert.match(many.text, /… and 5 more$/);
});

Deno.test("planner: routing by severity, resolved only where wanted, split per rule and status", () => {
  const mk = (raw: Record<string, unknown>) => {
    const r = validateReceiver(raw, "t");
    if (Array.isArray(r)) throw new Error(r.join());
    return r;
  };
  const receivers = [
    mk({ name: "pager", type: "webhook", url: "http://x/", severities: ["critical"] }),
    mk({ name: "chat", type: "slack", url: "http://y/", send_resolved: false }),
  ];
  let n = 0;
  const plan = planMessages(
    [
      alert(),
      alert({ rule: "Load", severity: "warning", fingerprint: "w1" }),
      alert({ status: "resolved", endsAt: T, fingerprint: "r1" }),
    ],
    receivers,
    { externalURL: "", now: T, newId: () => `msg_${++n}`, maxAlerts: 100 },
  );
  assert.deepEqual(
    plan.messages.map((m) => `${m.receiver}:${m.rule}:${m.status}:${m.alertCount}`),
    [
      "pager:DiskFull:firing:1",
      "pager:DiskFull:resolved:1",
      "chat:DiskFull:firing:1",
      "chat:Load:firing:1",
    ],
  );
  assert.deepEqual([...plan.notifiedFiring].sort(), [alert().fingerprint, "w1"].sort());
  assert.equal(new Set(plan.messages.map((m) => m.id)).size, plan.messages.length);

  const split = planMessages(
    Array.from({ length: 5 }, (_, i) => alert({ fingerprint: `f${i}` })),
    [receivers[0]],
    { externalURL: "", now: T, newId: () => `m${++n}`, maxAlerts: 2 },
  );
  assert.deepEqual(split.messages.map((m) => m.alertCount), [2, 2, 1]);
  assert.equal(
    planMessages([alert()], [], { externalURL: "", now: T, newId: () => "x" }).notifiedFiring.size,
    0,
  );
});
