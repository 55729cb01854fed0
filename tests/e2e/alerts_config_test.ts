/**
 * The real server with a YAML rules file: a bad file stops the start (exit 78) with the
 * problem located; SIGHUP and `POST /api/v1/alerts/reload` reload it; a bad reload keeps
 * the rules in force and says why.
 */
import assert from "node:assert/strict";
import { mintToken } from "../../shared/jwt.ts";
import { readApi } from "./alerts_processes.ts";
import { eventually, startServer } from "./processes.ts";
import { runServerToExit } from "./server_refusal.ts";

const SECRET = "e2e-config-secret-".padEnd(40, "x");

const RULES_V1 = `
rules:
  - name: HighLoad
    metric: system.load1
    op: ">"
    threshold: 4
    for: 1m
`;
const RULES_V2 = RULES_V1 + `
  - name: DiskFull
    metric: disk.used_pct
    labels: { mount: "/" }
    op: ">="
    threshold: 90
    severity: critical
`;
const RULES_BAD = `
rules:
  - name: HighLoad
    metric: system.load1
    op: ">"
    threshold: high
`;

async function ruleNames(baseUrl: string): Promise<string[]> {
  const body = await readApi(baseUrl, SECRET, "/api/v1/alerts/rules");
  return body.rules.map((r: { name: string }) => r.name);
}

Deno.test({
  name: "e2e alerts: a bad rules file stops the start with the rule and field named",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "miniobserv-rules-" });
    try {
      await Deno.writeTextFile(`${dir}/rules.yaml`, RULES_BAD);
      const out = await runServerToExit({
        AGENT_TOKEN: SECRET,
        MINIOBSERV_DATA_DIR: dir,
        LISTEN_ADDR: "127.0.0.1:0",
        ALERT_RULES_FILE: `${dir}/rules.yaml`,
      });
      assert.equal(out.code, 78);
      assert.match(
        out.stderr,
        /configuration error: ALERT_RULES_FILE .*rules\.yaml: rules\[0\] "HighLoad": threshold: must be a finite number/,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "e2e alerts: SIGHUP and POST /api/v1/alerts/reload reload the rules file; a bad one is kept out",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "miniobserv-rules-" });
    const file = `${dir}/rules.yaml`;
    await Deno.writeTextFile(file, RULES_V1);
    const server = await startServer({
      AGENT_TOKEN: SECRET,
      MINIOBSERV_DATA_DIR: dir,
      ALERT_RULES_FILE: file,
      LOG_LEVEL: "info",
    });
    try {
      assert.deepEqual(await ruleNames(server.baseUrl), ["HostDown", "HighLoad"]);

      await Deno.writeTextFile(file, RULES_V2);
      server.kill("SIGHUP");
      await eventually(
        "SIGHUP reload",
        10_000,
        async () => (await ruleNames(server.baseUrl)).includes("DiskFull") ? true : undefined,
      );

      await Deno.writeTextFile(file, RULES_BAD);
      server.kill("SIGHUP");
      const failed = await eventually("bad reload reported", 10_000, async () => {
        const body = await readApi(server.baseUrl, SECRET, "/api/v1/alerts/rules");
        return body.config.last_reload.ok === false ? body : undefined;
      });
      assert.match(failed.config.last_reload.error, /rules\[0\] "HighLoad": threshold/);
      assert.deepEqual(await ruleNames(server.baseUrl), ["HostDown", "HighLoad", "DiskFull"]);

      const admin = await mintToken({
        secret: SECRET,
        subject: "ops",
        scope: "admin",
        ttlSeconds: 60,
        now: Date.now,
      });
      const read = await mintToken({
        secret: SECRET,
        subject: "ops",
        scope: "read",
        ttlSeconds: 60,
        now: Date.now,
      });
      const reload = (token: string) =>
        fetch(`${server.baseUrl}/api/v1/alerts/reload`, {
          method: "POST",
          headers: { authorization: `Bearer ${token}` },
        });
      let res = await reload(read);
      assert.deepEqual([res.status, await res.json()], [401, { error: "unauthorized" }]);
      res = await reload(admin);
      assert.equal(res.status, 422);
      assert.match((await res.json()).error, /previous configuration stays in force/);

      await Deno.writeTextFile(file, RULES_V1);
      res = await reload(admin);
      assert.deepEqual([res.status, await res.json()], [200, {
        reloaded: true,
        rules: 1,
        receivers: 0,
      }]);
      assert.deepEqual(await ruleNames(server.baseUrl), ["HostDown", "HighLoad"]);
      assert.equal(await server.stop(), 0);
    } finally {
      server.kill("SIGKILL");
      await Deno.remove(dir, { recursive: true });
    }
  },
});
