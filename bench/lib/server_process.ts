/**
 * Starts `bench_server.ts` as a child process (its own JS thread, as in production) and
 * waits for the port it prints; `stop()` closes its stdin and waits for it to exit.
 *
 * @example
 * ```ts
 * const server = await startBenchServer({ backend: { kind: "postgres", url }, secret });
 * await waitReady(server.baseUrl);
 * await server.stop();
 * ```
 */
import { onInterrupt } from "./bench_db.ts";
import { serverTaskFlags } from "../../scripts/task_flags.ts";

/** Which database the child server runs on. */
export type ServerBackend = { kind: "postgres"; url: string } | { kind: "pglite" };

/** Options of `startBenchServer`. */
export interface BenchServerOptions {
  backend: ServerBackend;
  /** The HS256 secret the server verifies tokens with. */
  secret: string;
  /** Extra `deno run` flags for the server, e.g. `--v8-flags=--prof` to profile it. */
  denoFlags?: string[];
  /** The server's `LOG_LEVEL` (default warn). */
  logLevel?: string;
}

/** A running benchmark server. */
export interface BenchServer {
  baseUrl: string;
  pid: number;
  stop(): Promise<void>;
}

const SERVER_ENTRY = new URL("./bench_server.ts", import.meta.url).pathname;
const REPO_ROOT = new URL("../../", import.meta.url).pathname;
const START_TIMEOUT_MS = 60_000;

async function readPort(stdout: ReadableStream<Uint8Array>): Promise<number> {
  const text = stdout.pipeThrough(new TextDecoderStream());
  const reader = text.getReader();
  let buffered = "";
  while (true) {
    const { done, value } = await reader.read();
    if (done) throw new Error("bench server exited before it listened");
    buffered += value;
    const newline = buffered.indexOf("\n");
    if (newline < 0) continue;
    const line = buffered.slice(0, newline);
    reader.releaseLock();
    const port = (JSON.parse(line) as { port?: unknown }).port;
    if (typeof port !== "number") throw new Error(`bench server printed ${line}`);
    // Keep draining whatever else it prints so it never blocks on a full pipe. (`stdout` itself
    // stays locked by `pipeThrough`: piping it again would fail, quietly, and drain nothing.)
    text.pipeTo(new WritableStream()).catch(() => {});
    return port;
  }
}

/** Spawns the server, waits until it listens (up to 60 s) and returns its base URL. */
export async function startBenchServer(opts: BenchServerOptions): Promise<BenchServer> {
  const args = [
    "run",
    ...serverTaskFlags(),
    ...(opts.denoFlags ?? []),
    SERVER_ENTRY,
    ...(opts.backend.kind === "pglite" ? ["--pglite"] : ["--database-url", opts.backend.url]),
  ];
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: REPO_ROOT,
    env: { MINIOBSERV_BENCH_SECRET: opts.secret, LOG_LEVEL: opts.logLevel ?? "warn" },
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const stdin = child.stdin.getWriter();
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    unregister();
    await stdin.close().catch(() => {});
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch { /* already gone */ }
    }, 15_000);
    try {
      await child.status;
    } finally {
      clearTimeout(timer);
    }
  };
  const unregister = onInterrupt(stop);
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    const port = await Promise.race([
      readPort(child.stdout),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`bench server did not listen within ${START_TIMEOUT_MS} ms`)),
          START_TIMEOUT_MS,
        );
      }),
    ]);
    return { baseUrl: `http://127.0.0.1:${port}`, pid: child.pid, stop };
  } catch (e) {
    await stop();
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

/** Resolves once `GET /readyz` of the server at `baseUrl` answers 200 (the database answers). */
export async function waitReady(baseUrl: string): Promise<void> {
  const res = await fetch(`${baseUrl}/readyz`);
  const text = await res.text();
  if (!res.ok) throw new Error(`server not ready: ${res.status} ${text}`);
}
