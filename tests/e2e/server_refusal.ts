/**
 * `server/main.ts` run with a configuration it refuses, for end-to-end tests: with the
 * `server` task's permissions and only the environment given, until it exits by itself.
 */
import { serverTaskFlags } from "../../scripts/task_flags.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** Runs the server with `env` (and `NO_COLOR`) only; resolves with its exit code and stderr. */
export async function runServerToExit(
  env: Record<string, string>,
): Promise<{ code: number; stderr: string }> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...serverTaskFlags(), "server/main.ts"],
    cwd: ROOT,
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}
