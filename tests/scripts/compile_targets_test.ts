/**
 * The permissions `deno task compile` bakes into each executable are enough for it to work:
 * the agent, run with exactly its target's flags, prints a full round of metrics with
 * `--once`, and the server, with its flags, starts and answers `/healthz`. (Compiling
 * itself needs the `denort` runtime, which is not always downloadable; the flags are what
 * can silently go wrong.)
 */
import assert from "node:assert/strict";
import { TARGETS } from "../../scripts/compile_targets.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

function target(name: string) {
  const t = TARGETS.find((t) => t.name === name);
  assert.ok(t, name);
  return t;
}

Deno.test("compile targets: the agent's permissions let --once read /proc", async () => {
  const t = target("miniobserv-agent");
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...t.permissions, t.entry, "--once"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, stderr);
  assert.doesNotMatch(stderr, /Requires all access/);
  const batch = JSON.parse(new TextDecoder().decode(out.stdout));
  const names = new Set(batch.metrics.map((m: { name: string }) => m.name));
  for (const n of ["cpu.usage_pct", "mem.used_pct", "system.load1"]) assert.ok(names.has(n), n);
});

Deno.test({
  name: "compile targets: the server's permissions let it start on PGlite and serve",
  sanitizeResources: false,
  async fn() {
    const t = target("miniobserv-server");
    const dataDir = await Deno.makeTempDir({ prefix: "miniobserv-compile-" });
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...t.permissions, t.entry],
      cwd: ROOT,
      env: {
        AGENT_TOKEN: "c".repeat(40),
        LISTEN_ADDR: "127.0.0.1:0",
        MINIOBSERV_DATA_DIR: dataDir,
      },
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let log = "";
    try {
      let port = 0;
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        log += chunk;
        const m = /"msg":"listening".*?"port":(\d+)/.exec(log);
        if (m) {
          port = Number(m[1]);
          break;
        }
      }
      assert.ok(port > 0, `server did not listen:\n${log}`);
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      assert.deepEqual(await r.json(), { status: "ok" });
    } finally {
      child.kill("SIGTERM");
      assert.equal((await child.status).code, 0, log);
      await Deno.remove(dataDir, { recursive: true });
    }
  },
});
