/**
 * `deno task start` on 127.0.0.1 serves the dashboard without a sign-in, says so on the page
 * and in its output; the server refuses `DASHBOARD_AUTH=none` on an address other machines
 * can reach (exit 78, naming the variable).
 */
import assert from "node:assert/strict";
import { freePort } from "./dashboard_browser.ts";
import { eventually } from "./processes.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

Deno.test({
  name: "e2e: deno task start on loopback serves the dashboard without sign-in and says so",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "miniobserv-dash-start-" });
    const port = freePort();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["task", "--quiet", "start"],
      cwd: ROOT,
      env: {
        MINIOBSERV_DATA_DIR: dataDir,
        LISTEN_ADDR: `127.0.0.1:${port}`,
        AGENT_HOST: "dash-start-host",
        NO_COLOR: "1",
      },
      stdin: "null",
      stdout: "piped",
      stderr: "null",
    }).spawn();
    let out = "";
    const reader = (async () => {
      for await (const c of child.stdout.pipeThrough(new TextDecoderStream())) out += c;
    })();
    try {
      await eventually(
        "URL printed",
        60_000,
        () => Promise.resolve(out.includes("Dashboard:") ? true : undefined),
      );
      assert.match(
        out,
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
      child.kill("SIGINT");
      const status = await child.status;
      await reader;
      await Deno.remove(dataDir, { recursive: true });
      assert.equal(status.code, 0, `start exits 0 on Ctrl-C; output:\n${out}`);
    }
  },
});

Deno.test({
  name: "e2e: the server refuses DASHBOARD_AUTH=none on a non-loopback address",
  async fn() {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net",
        "--allow-sys",
        "server/main.ts",
      ],
      cwd: ROOT,
      env: {
        AGENT_TOKEN: "x".repeat(40),
        LISTEN_ADDR: "0.0.0.0:0",
        DASHBOARD_AUTH: "none",
        MINIOBSERV_DATA_DIR: "/nonexistent-never-created",
        NO_COLOR: "1",
      },
      clearEnv: true,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stderr);
    assert.equal(code, 78, text);
    assert.match(text, /DASHBOARD_AUTH=none is refused: the server listens on 0\.0\.0\.0/);
  },
});
