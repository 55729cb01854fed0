/**
 * Child programs for the dashboard's end-to-end tests that `processes.ts` does not start:
 * any entry point, ready when a log line says so; stopped with SIGTERM.
 */

const ROOT = new URL("../../", import.meta.url).pathname;

/** A running child program. */
export interface Program {
  readonly logLines: string[];
  /** The `port` of its `listening` line, when it logged one. */
  port: number | null;
  stop(): Promise<number>;
}

/** Starts `deno run <perms> <entry>` with only `env`; resolves once a line contains `ready`. */
export async function startProgram(
  entry: string,
  env: Record<string, string>,
  perms: string[],
  ready: string,
  timeoutMs = 60_000,
): Promise<Program> {
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
  const seen = Promise.withResolvers<string>();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    let buf = "";
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        logLines.push(line);
        if (line.includes(ready)) seen.resolve(line);
      }
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const exited = child.status.then(async (s) => {
    await pumps;
    return s.code;
  });
  exited.then((code) =>
    seen.reject(new Error(`${entry} exited with ${code}:\n${logLines.join("\n")}`))
  );
  const timer = setTimeout(
    () =>
      seen.reject(
        new Error(`${entry}: no "${ready}" within ${timeoutMs} ms:\n${logLines.join("\n")}`),
      ),
    timeoutMs,
  );
  try {
    const line = await seen.promise;
    let port: number | null = null;
    try {
      port = (JSON.parse(line) as { port?: number }).port ?? null;
    } catch {
      // not JSON
    }
    return {
      logLines,
      port,
      stop: async () => {
        try {
          child.kill("SIGTERM");
        } catch {
          // already gone
        }
        return await exited;
      },
    };
  } catch (e) {
    try {
      child.kill("SIGKILL");
    } catch {
      // already gone
    }
    await exited;
    throw e;
  } finally {
    clearTimeout(timer);
  }
}
