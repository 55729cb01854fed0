/**
 * Runs the real programs as child processes for end-to-end tests: the server (its port
 * read from its "listening" log line) and the agent, each stopped with SIGTERM (or killed
 * with any signal, e.g. SIGKILL to simulate a crash).
 */

import { agentTaskFlags, serverTaskFlags } from "../../scripts/task_flags.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A running child program; `stop()` sends SIGTERM and resolves with its exit code. */
export interface RunningProgram {
  /** Every line the program wrote to stderr so far (its structured log). */
  readonly logLines: string[];
  stop(): Promise<number>;
  /** Resolves with the exit code when the program ends by itself. */
  readonly exited: Promise<number>;
  /** The child's process id. */
  readonly pid: number;
  /** Sends `signal` (SIGKILL: a crash) and resolves with the exit code once it ended. */
  kill(signal: Deno.Signal): Promise<number>;
  /** Resolves with the first log line (so far or to come) matching `pred`. */
  lineSeen(pred: (line: string) => boolean, timeoutMs: number): Promise<string>;
}

/** A running server and the base URL it listens on. */
export interface RunningServer extends RunningProgram {
  baseUrl: string;
}

function spawn(entry: string, env: Record<string, string>, perms: string[]): {
  child: Deno.ChildProcess;
  logLines: string[];
  lineSeen: (pred: (line: string) => boolean, timeoutMs: number) => Promise<string>;
  exited: Promise<number>;
} {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...perms, entry],
    cwd: ROOT,
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const logLines: string[] = [];
  const waiters: { pred: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        logLines.push(line);
        for (const w of [...waiters]) {
          if (w.pred(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const exited = child.status.then(async (s) => {
    await pumps;
    return s.code;
  });
  const lineSeen = (pred: (l: string) => boolean, timeoutMs: number) => {
    const found = logLines.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `${entry}: no matching log line within ${timeoutMs} ms:\n${logLines.join("\n")}`,
          ),
        );
      }, timeoutMs);
      waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
      exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${entry} exited with ${code}:\n${logLines.join("\n")}`));
      });
    });
  };
  return { child, logLines, lineSeen, exited };
}

function killer(child: Deno.ChildProcess, exited: Promise<number>) {
  return async (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // already exited
    }
    return await exited;
  };
}

function stopper(child: Deno.ChildProcess, exited: Promise<number>) {
  return () => killer(child, exited)("SIGTERM");
}

function controls(p: ReturnType<typeof spawn>) {
  return {
    logLines: p.logLines,
    exited: p.exited,
    pid: p.child.pid,
    stop: stopper(p.child, p.exited),
    kill: killer(p.child, p.exited),
    lineSeen: p.lineSeen,
  };
}

/**
 * Starts `server/main.ts` on 127.0.0.1 and a free port with the `server` task's permissions;
 * resolves once it listens. PATH is passed on (the environment is otherwise cleared): Deno
 * finds the `ls` and `getconf` of `--allow-run=ls,getconf` through it.
 */
export async function startServer(env: Record<string, string>): Promise<RunningServer> {
  const p = spawn("server/main.ts", {
    LISTEN_ADDR: "127.0.0.1:0",
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    ...env,
  }, serverTaskFlags());
  const line = await p.lineSeen((l) => l.includes('"msg":"listening"'), 60_000);
  const { port } = JSON.parse(line) as { port: number };
  return { baseUrl: `http://127.0.0.1:${port}`, ...controls(p) };
}

/** Starts `agent/main.ts` with the `agent` task's flags (plus `args`, more `deno run` flags). */
export async function startAgent(
  env: Record<string, string>,
  args: string[] = [],
): Promise<RunningProgram> {
  const p = spawn("agent/main.ts", env, [...agentTaskFlags(), ...args]);
  await p.lineSeen((l) => l.includes('"msg":"agent started"'), 30_000);
  return controls(p);
}

/** Polls `fn` every 200 ms until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  what: string,
  timeoutMs: number,
  fn: () => Promise<T | undefined>,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(
    `${what}: not true within ${timeoutMs} ms${last ? ` (last error: ${last})` : ""}`,
  );
}
