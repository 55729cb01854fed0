/**
 * The `deno run` flags of a task in deno.json (permissions, V8 and runtime flags), so tests and
 * benchmarks run the agent and the server exactly as operators do, from one source.
 *
 * @example
 * ```ts
 * taskFlags("server", "server/main.ts"); // ["--allow-read", …, "--allow-run=ls,getconf"]
 * ```
 */

const CONFIG = new URL("../deno.json", import.meta.url);

/** The words between `deno run` and `entry` in task `name`; throws when the task is not so shaped. */
export function taskFlags(name: string, entry: string): string[] {
  const config = JSON.parse(Deno.readTextFileSync(CONFIG));
  const task = String(config.tasks?.[name] ?? "");
  const words = task.trim().split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "run" || words.at(-1) !== entry) {
    throw new Error(`deno.json: task ${name} is not "deno run <flags> ${entry}": ${task}`);
  }
  return words.slice(2, -1);
}

/** The `agent` task's flags. */
export const agentTaskFlags = (): string[] => taskFlags("agent", "agent/main.ts");

/** The `server` task's flags. */
export const serverTaskFlags = (): string[] => taskFlags("server", "server/main.ts");
