/**
 * The server fails to start cleanly: a bad variable exits 78 naming it; an unreachable
 * database exits 1 with one JSON log line giving the cause, never a stack trace.
 */
import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url).pathname;

async function runServer(env: Record<string, string>) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "server/main.ts"],
    cwd: ROOT,
    env: { LISTEN_ADDR: "127.0.0.1:0", NO_COLOR: "1", ...env },
    clearEnv: true,
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("server start: an unreachable database exits 1 with a JSON fatal line", async () => {
  const { code, stderr } = await runServer({
    AGENT_TOKEN: "s".repeat(40),
    DATABASE_URL: "postgres://postgres@127.0.0.1:1/nothing",
  });
  assert.equal(code, 1);
  const lines = stderr.trim().split("\n");
  const fatal = JSON.parse(lines.at(-1)!);
  assert.equal(fatal.level, "error");
  assert.equal(fatal.msg, "fatal: the server could not start");
  assert.match(fatal.error, /connecting to PostgreSQL failed/);
  assert.doesNotMatch(stderr, /^\s+at /m, "no stack trace");
});

Deno.test("server start: an invalid variable exits 78 naming it", async () => {
  const { code, stderr } = await runServer({
    AGENT_TOKEN: "s".repeat(40),
    HOST_STALE_AFTER: "soon",
  });
  assert.equal(code, 78);
  assert.match(stderr, /HOST_STALE_AFTER="soon" is not a duration/);
});
