/**
 * `loadAlertSettings`: the alerting environment variables, their defaults and refusals.
 */
import assert from "node:assert/strict";
import { loadAlertSettings } from "../../../server/config.ts";
import { ConfigError } from "../../../shared/config_env.ts";

Deno.test("alert settings: defaults", () => {
  assert.deepEqual(loadAlertSettings({}), {
    rulesFile: undefined,
    rulesJson: undefined,
    receiversJson: undefined,
    evalIntervalMs: 15_000,
    repeatIntervalMs: 4 * 3_600_000,
    externalUrl: "",
  });
});

Deno.test("alert settings: every variable set", () => {
  assert.deepEqual(
    loadAlertSettings({
      ALERT_RULES_FILE: "/etc/miniobserv/rules.yaml",
      ALERT_RULES: "[]",
      ALERT_RECEIVERS: "[]",
      ALERT_EVAL_INTERVAL: "30s",
      ALERT_REPEAT_INTERVAL: "1h",
      ALERT_EXTERNAL_URL: "https://mo.example.com/",
    }),
    {
      rulesFile: "/etc/miniobserv/rules.yaml",
      rulesJson: "[]",
      receiversJson: "[]",
      evalIntervalMs: 30_000,
      repeatIntervalMs: 3_600_000,
      externalUrl: "https://mo.example.com",
    },
  );
});

Deno.test("alert settings: refusals name the variable", () => {
  for (
    const [env, msg] of [
      [
        { ALERT_EVAL_INTERVAL: "500ms" },
        /ALERT_EVAL_INTERVAL="500ms" is out of range; allowed 1s to 1h/,
      ],
      [{ ALERT_EVAL_INTERVAL: "often" }, /ALERT_EVAL_INTERVAL="often" is not a duration/],
      [{ ALERT_REPEAT_INTERVAL: "10s" }, /ALERT_REPEAT_INTERVAL="10s" is out of range/],
      [{ ALERT_EXTERNAL_URL: "mo.example" }, /ALERT_EXTERNAL_URL="mo.example" is not a URL/],
      [{ ALERT_EXTERNAL_URL: "ftp://x" }, /ALERT_EXTERNAL_URL="ftp:\/\/x" must use http/],
    ] as const
  ) {
    assert.throws(() => loadAlertSettings(env), (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      assert.match(e.message, msg);
      return true;
    });
  }
});
