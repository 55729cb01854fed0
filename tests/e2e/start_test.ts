/**
 * The README's first command: `deno task start` runs the server on the embedded database
 * and an agent for this host, prints the URL, and data reaches the query API within one
 * collection interval. Ctrl-C (SIGINT) stops everything with exit 0.
 */
import assert from "node:assert/strict";
import { mintToken } from "../../shared/jwt.ts";
import { eventually } from "./processes.ts";
import { startTask } from "./start_task.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

function relativeTo(from: string, to: string): string {
  const a = from.replace(/\/+$/, "").split("/");
  const b = to.split("/");
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return [...a.slice(i).map(() => ".."), ...b.slice(i)].join("/");
}

Deno.test({
  name: "e2e: deno task start prints the URL and the local host's data arrives",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const dataDir = await Deno.makeTempDir({ prefix: "miniobserv-start-" });
    const port = 20000 + Math.floor(Math.random() * 20000);
    const task = startTask({
      // Relative, as the default "./data" is: both programs must still find it.
      MINIOBSERV_DATA_DIR: relativeTo(ROOT, dataDir),
      LISTEN_ADDR: `127.0.0.1:${port}`,
      AGENT_HOST: "start-test-host",
    });
    try {
      await task.printed(`http://127.0.0.1:${port}/`);
      const secret = (await Deno.readTextFile(`${dataDir}/agent_token`)).trim();
      assert.equal((await Deno.stat(`${dataDir}/agent_token`)).mode! & 0o777, 0o600);
      const token = await mintToken({
        secret,
        subject: "t",
        scope: "read",
        ttlSeconds: 300,
        now: Date.now,
      });
      // The agent's first tick sends memory, disk and load at once: well within one 10 s interval.
      const latest = await eventually("memory of this host in latest", 10_000, async () => {
        const r = await fetch(
          `http://127.0.0.1:${port}/api/v1/metrics/latest?host=start-test-host`,
          { headers: { authorization: `Bearer ${token}` } },
        );
        const body = await r.json();
        return body.metrics?.some((m: { name: string }) => m.name === "mem.used_pct")
          ? body
          : undefined;
      });
      assert.equal(latest.host, "start-test-host");
    } finally {
      const code = await task.interrupt();
      await Deno.remove(dataDir, { recursive: true });
      assert.equal(code, 0, `start exits 0 on Ctrl-C; output:\n${task.output()}`);
    }
  },
});
