/**
 * Rule and receiver validation: defaults, seed-style rules, every refusal located by
 * source, rule and field, JSON and YAML files, `ALERT_RULES`/`ALERT_RECEIVERS`, unique names.
 */
import assert from "node:assert/strict";
import { AlertConfigError, parseAlertConfig } from "../../../server/alerts/alert_config.ts";
import { validateRules } from "../../../server/alerts/rule_validation.ts";
import { globToRegExp, hostMatcher } from "../../../server/alerts/glob.ts";
import { renderTemplate, templateError } from "../../../server/alerts/template.ts";

function refuses(fn: () => unknown, ...patterns: RegExp[]) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof Error, String(e));
    for (const p of patterns) assert.match(e.message, p);
    return true;
  });
}

Deno.test("rules: a full rule and the defaults of every optional field", () => {
  const [full, minimal] = validateRules([
    {
      name: "DiskFull",
      metric: "disk.used_pct",
      hosts: "web-*",
      labels: { mount: "/" },
      agg: "max",
      window: "5m",
      op: ">=",
      threshold: 90,
      for: "10m",
      keep_firing_for: "2m",
      severity: "critical",
      summary: "{{host}} {{labels.mount}} at {{value}} %",
      description: "over {{threshold}}",
      nodata: "alerting",
    },
    { name: "HighLoad", metric: "system.load1", op: ">", threshold: 4 },
  ], "test");
  assert.deepEqual(full, {
    name: "DiskFull",
    metric: "disk.used_pct",
    hosts: "web-*",
    labels: { mount: "/" },
    agg: "max",
    windowMs: 300_000,
    op: ">=",
    threshold: 90,
    forMs: 600_000,
    keepFiringForMs: 120_000,
    severity: "critical",
    summary: "{{host}} {{labels.mount}} at {{value}} %",
    description: "over {{threshold}}",
    nodata: "alerting",
    seedStyle: false,
  });
  assert.equal(minimal.hosts, "*");
  assert.deepEqual(minimal.labels, {});
  assert.equal(minimal.agg, "avg");
  assert.equal(minimal.windowMs, 60_000);
  assert.equal(minimal.forMs, 0);
  assert.equal(minimal.keepFiringForMs, 0);
  assert.equal(minimal.severity, "warning");
  assert.equal(minimal.nodata, "keep");
});

Deno.test("rules: seed-style {host,name,op,threshold,for} averages over for and fires at once", () => {
  const [r] = validateRules(
    [{ host: "web-1", name: "cpu.usage_pct", op: ">", threshold: 90, for: "5m" }],
    "seed",
  );
  assert.equal(r.seedStyle, true);
  assert.equal(r.metric, "cpu.usage_pct");
  assert.equal(r.hosts, "web-1");
  assert.equal(r.agg, "avg");
  assert.equal(r.windowMs, 300_000);
  assert.equal(r.forMs, 0);
  assert.equal(r.name, "cpu.usage_pct > 90 on web-1");
  // `for` as seconds, as a number.
  const [n] = validateRules(
    [{ host: "db", name: "mem.used_pct", op: ">=", threshold: 80, for: 120 }],
    "seed",
  );
  assert.equal(n.windowMs, 120_000);
  refuses(
    () => validateRules([{ host: "h", name: "cpu.usage_pct", op: ">", threshold: 1, x: 1 }], "s"),
    /s: rules\[0\] "cpu.usage_pct": x: unknown field/,
  );
});

Deno.test("rules: every problem is reported with its source, index, name and field", () => {
  refuses(
    () =>
      validateRules([
        { name: "A", metric: "cpu.usage", op: ">", threshold: 1 },
        { name: "B", metric: "cpu.usage_pct", op: "=>", threshold: "90", window: "soon" },
        {
          name: "C",
          metric: "cpu.usage_pct",
          op: "<",
          threshold: 1,
          severity: "page",
          treshold: 2,
        },
        { name: "D", metric: "cpu.usage_pct", op: "<", threshold: 1, summary: "{{hots}}" },
        { name: "E", metric: "cpu.usage_pct", op: "<", threshold: 1, labels: { core: 1 } },
        { name: "F", metric: "cpu.usage_pct", op: "<", threshold: 1, for: "-1m", nodata: "x" },
        "not an object",
        { name: "HostDown", metric: "cpu.usage_pct", op: "<", threshold: 1 },
        { name: "G", metric: "cpu.usage_pct", op: "<", threshold: 1, window: "0s" },
      ], "ALERT_RULES"),
    /ALERT_RULES: rules\[0\] "A": metric: "cpu.usage" is not an allowed metric name/,
    /rules\[1\] "B": op: must be one of > >= < <=/,
    /rules\[1\] "B": threshold: must be a finite number/,
    /rules\[1\] "B": window: "soon" is not a duration/,
    /rules\[2\] "C": treshold: unknown field/,
    /rules\[2\] "C": severity: must be one of critical, error, warning, info/,
    /rules\[3\] "D": summary: unknown placeholder \{\{hots\}\}/,
    /rules\[4\] "E": labels: label "core" must be a string/,
    /rules\[5\] "F": for: "-1m" is not a duration/,
    /rules\[5\] "F": nodata: must be one of ok, alerting, keep/,
    /rules\[6\]: must be an object/,
    /rules\[7\] "HostDown": name: HostDown is the built-in/,
    /rules\[8\] "G": window: must be between 1s and 1d/,
  );
  refuses(() => validateRules({ rules: [] }, "X"), /X: rules must be a list/);
});

Deno.test("config: YAML file with rules and receivers, plus ALERT_RULES and ALERT_RECEIVERS", () => {
  const yaml = `
rules:
  - name: HighCPU
    metric: cpu.usage_pct
    labels: { core: total }
    op: ">"
    threshold: 90
    for: 5m
receivers:
  - name: oncall
    type: webhook
    url: http://127.0.0.1:9/hook
    secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
    severities: [critical]
`;
  const cfg = parseAlertConfig({
    file: { path: "/etc/miniobserv/rules.yaml", text: yaml },
    rulesEnv: JSON.stringify([{ name: "LowMem", metric: "mem.used_pct", op: ">", threshold: 95 }]),
    receiversEnv: JSON.stringify([
      {
        name: "team",
        type: "slack",
        url: "https://hooks.slack.example/T/B/x",
        send_resolved: false,
      },
    ]),
  });
  assert.deepEqual(cfg.rules.map((r) => r.name), ["HighCPU", "LowMem"]);
  assert.equal(cfg.rules[0].forMs, 300_000);
  assert.deepEqual(cfg.receivers.map((r) => [r.name, r.type, r.sendResolved]), [
    ["oncall", "webhook", true],
    ["team", "slack", false],
  ]);
  assert.deepEqual(cfg.receivers[0].severities, ["critical"]);
  assert.equal(cfg.receivers[0].secret?.length, 24, "whsec_ secrets are base64 key bytes");
  assert.equal(cfg.receivers[1].secret, undefined);
});

Deno.test("config: a JSON file may be a bare list of rules; an empty file is no rules", () => {
  const cfg = parseAlertConfig({
    file: {
      path: "rules.json",
      text: JSON.stringify([{ name: "L", metric: "system.load5", op: ">", threshold: 8 }]),
    },
  });
  assert.equal(cfg.rules.length, 1);
  assert.deepEqual(parseAlertConfig({ file: { path: "empty.yaml", text: "" } }), {
    rules: [],
    receivers: [],
  });
  assert.deepEqual(parseAlertConfig({}), { rules: [], receivers: [] });
});

Deno.test("config: syntax errors, unknown keys, duplicates and bad receivers are refused", () => {
  refuses(
    () => parseAlertConfig({ file: { path: "r.yaml", text: "rules: [\n  - name: x\n" } }),
    /ALERT_RULES_FILE r.yaml: not valid YAML/,
  );
  refuses(
    () => parseAlertConfig({ file: { path: "r.json", text: "{" } }),
    /ALERT_RULES_FILE r.json: not valid JSON/,
  );
  refuses(() => parseAlertConfig({ rulesEnv: "[1," }), /ALERT_RULES: not valid JSON/);
  refuses(
    () => parseAlertConfig({ file: { path: "r.yaml", text: "rulez: []" } }),
    /r.yaml: rulez: unknown key; use rules, receivers/,
  );
  const rule = { name: "Same", metric: "cpu.usage_pct", op: ">", threshold: 1 };
  refuses(
    () =>
      parseAlertConfig({
        file: { path: "r.json", text: JSON.stringify([rule]) },
        rulesEnv: JSON.stringify([rule]),
      }),
    /ALERT_RULES: rules\[0\]: name: "Same" is already used by a rule in ALERT_RULES_FILE r.json: rules\[0\]/,
  );
  refuses(
    () =>
      parseAlertConfig({
        receiversEnv: JSON.stringify([
          { name: "a", type: "email", url: "mailto:x" },
          { name: "b", type: "webhook", url: "ftp://x/y" },
          { name: "c", type: "webhook", url: "http://x/", secret: "whsec_!!!" },
          { name: "d", type: "webhook", url: "http://x/", severities: ["page"] },
          { type: "webhook", url: "http://x/" },
        ]),
      }),
    /ALERT_RECEIVERS: receivers\[0\] "a": type: must be one of webhook, slack/,
    /receivers\[1\] "b": url: must use http or https/,
    /receivers\[2\] "c": secret: starts with whsec_ but is not valid base64/,
    /receivers\[3\] "d": severities: must be a non-empty list/,
    /receivers\[4\]: name: is required/,
  );
  const err = (() => {
    try {
      parseAlertConfig({
        receiversEnv: JSON.stringify([
          { name: "c", type: "webhook", url: "http://x/", secret: "whsec_!!!" },
        ]),
      });
    } catch (e) {
      return e as Error;
    }
  })()!;
  assert.ok(err instanceof AlertConfigError);
  assert.ok(!err.message.includes("!!!"), "a secret is never echoed");
});

Deno.test("glob: * and ? with every other character literal", () => {
  assert.ok(hostMatcher("*")("anything"));
  assert.ok(hostMatcher("web-*")("web-1"));
  assert.ok(hostMatcher("web-*")("web-eu-2"));
  assert.ok(!hostMatcher("web-*")("db-1"));
  assert.ok(hostMatcher("db-?")("db-1"));
  assert.ok(!hostMatcher("db-?")("db-10"));
  assert.ok(!hostMatcher("a.b")("axb"), "a dot is a dot");
  assert.ok(hostMatcher("web-1")("web-1"));
  assert.ok(!hostMatcher("web-1")("web-10"));
  assert.equal(globToRegExp("(x)+").test("(x)+"), true);
});

Deno.test("templates: placeholders, value formatting, missing labels, refusal of unknown", () => {
  const ctx = {
    host: "web-1",
    value: 91.2345,
    rule: "DiskFull",
    metric: "disk.used_pct",
    severity: "warning",
    threshold: 90,
    labels: { mount: "/data" },
  };
  assert.equal(
    renderTemplate(
      "{{rule}}: {{ host }} {{labels.mount}} {{value}} > {{threshold}} ({{severity}})",
      ctx,
    ),
    "DiskFull: web-1 /data 91.23 > 90 (warning)",
  );
  assert.equal(renderTemplate("[{{labels.device}}]", ctx), "[]");
  assert.equal(renderTemplate("{{value}}", { ...ctx, value: null }), "no data");
  assert.equal(templateError("{{host}} {{labels.mount}}"), null);
  assert.match(templateError("{{hostname}}")!, /unknown placeholder \{\{hostname\}\}/);
  assert.match(templateError("{{host}")!, /unbalanced/);
});
