/**
 * `deno task start` as the README's first command runs it, for end-to-end tests: its stdout
 * collected as it comes, stopped with Ctrl-C (SIGINT).
 */
import { eventually } from "./processes.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A running `deno task start`. */
export interface StartTask {
  /** Everything it printed on stdout so far. */
  output(): string;
  /** Resolves once its output includes `text` (fails after 60 s). */
  printed(text: string): Promise<void>;
  /** Sends SIGINT (Ctrl-C); resolves with the exit code once it ended and its output is read. */
  interrupt(): Promise<number>;
}

/** Starts `deno task --quiet start` in the repository with `env` (and `NO_COLOR`). */
export function startTask(env: Record<string, string>): StartTask {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "start"],
    cwd: ROOT,
    env: { ...env, NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  let out = "";
  const reader = (async () => {
    for await (const c of child.stdout.pipeThrough(new TextDecoderStream())) out += c;
  })();
  return {
    output: () => out,
    printed: async (text) => {
      await eventually(
        "URL printed",
        60_000,
        () => Promise.resolve(out.includes(text) ? true : undefined),
      );
    },
    interrupt: async () => {
      child.kill("SIGINT");
      const status = await child.status;
      await reader;
      return status.code;
    },
  };
}
