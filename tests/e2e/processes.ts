/**
 * Runs the real programs as child processes for end-to-end tests: the server (its port
 * read from its "listening" log line) and the agent, each stopped with SIGTERM.
 */

const ROOT = new URL("../../", import.meta.url).pathname;

/** A running child program; `stop()` sends SIGTERM and resolves with its exit code. */
export interface RunningProgram {
  /** Every line the program wrote to stderr so far (its structured log). */
  readonly logLines: string[];
  stop(): Promise<number>;
  /** Resolves with the exit code when the program ends by itself. */
  readonly exited: Promise<number>;
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

function stopper(child: Deno.ChildProcess, exited: Promise<number>) {
  return async () => {
    try {
      child.kill("SIGTERM");
    } catch {
      // already exited
    }
    return await exited;
  };
}

/** Starts `server/main.ts` on 127.0.0.1 and a free port; resolves once it listens. */
export async function startServer(env: Record<string, string>): Promise<RunningServer> {
  const p = spawn("server/main.ts", { LISTEN_ADDR: "127.0.0.1:0", ...env }, [
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-net",
    "--allow-sys",
  ]);
  const line = await p.lineSeen((l) => l.includes('"msg":"listening"'), 60_000);
  const { port } = JSON.parse(line) as { port: number };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    logLines: p.logLines,
    exited: p.exited,
    stop: stopper(p.child, p.exited),
  };
}

/** Starts `agent/main.ts` (all permissions: Deno requires them to read /proc). */
export async function startAgent(
  env: Record<string, string>,
  args: string[] = [],
): Promise<RunningProgram> {
  const p = spawn("agent/main.ts", env, ["--allow-all", ...args]);
  await p.lineSeen((l) => l.includes('"msg":"agent started"'), 30_000);
  return { logLines: p.logLines, exited: p.exited, stop: stopper(p.child, p.exited) };
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
