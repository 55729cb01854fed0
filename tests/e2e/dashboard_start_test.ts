/**
 * `deno task start` on 127.0.0.1 serves the dashboard without a sign-in, says so on the page
 * and in its output; the server refuses `DASHBOARD_AUTH=none` on an address other machines
 * can reach (exit 78, naming the variable).
 */
import assert from "node:assert/strict";
import { freePort } from "./dashboard_browser.ts";
import { eventually } from "./processes.ts";
import { runServerToExit } from "./server_refusal.ts";
import { startTask } from "./start_task.ts";

Deno.test({
  name: "e2e: deno task start on loopback serves the dashboard without sign-in and says so",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "miniobserv-dash-start-" });
    const port = freePort();
    const task = startTask({
      MINIOBSERV_DATA_DIR: dataDir,
      LISTEN_ADDR: `127.0.0.1:${port}`,
      AGENT_HOST: "dash-start-host",
    });
    try {
      await task.printed("Dashboard:");
      assert.match(
        task.output(),
        new RegExp(
          `Dashboard: http://127\\.0\\.0\\.1:${port}/  \\(no sign-in: this address is loopback only`,
        ),
      );
      const html = await eventually("the host on the overview", 20_000, async () => {
        const r = await fetch(`http://127.0.0.1:${port}/`);
        const text = await r.text();
        return r.status === 200 && text.includes('data-host="dash-start-host"') ? text : undefined;
      });
      assert.match(html, /No sign-in required: this server listens on a loopback address only/);
      // Still refused: the JSON API without a token.
      const api = await fetch(`http://127.0.0.1:${port}/api/v1/hosts`);
      assert.equal(api.status, 401);
      await api.body?.cancel();
    } finally {
      const code = await task.interrupt();
      await Deno.remove(dataDir, { recursive: true });
      assert.equal(code, 0, `start exits 0 on Ctrl-C; output:\n${task.output()}`);
    }
  },
});

Deno.test({
  name: "e2e: the server refuses DASHBOARD_AUTH=none on a non-loopback address",
  async fn() {
    const { code, stderr: text } = await runServerToExit({
      AGENT_TOKEN: "x".repeat(40),
      LISTEN_ADDR: "0.0.0.0:0",
      DASHBOARD_AUTH: "none",
      MINIOBSERV_DATA_DIR: "/nonexistent-never-created",
    });
    assert.equal(code, 78, text);
    assert.match(text, /DASHBOARD_AUTH=none is refused: the server listens on 0\.0\.0\.0/);
  },
});
