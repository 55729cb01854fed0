/**
 * Real server processes for the alerting end-to-end tests: like `processes.ts`, plus the
 * process id (to tell replicas apart), any signal (`SIGKILL` for a crash), a wait for a
 * log line, and helpers to post metrics and read the API.
 */
import { mintToken } from "../../shared/jwt.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A running server process. */
export interface ServerProcess {
  baseUrl: string;
  pid: number;
  /** Every log line so far. */
  logLines: string[];
  /** Resolves with the first log line (so far or later) matching `pred`. */
  waitLog(pred: (line: string) => boolean, timeoutMs: number): Promise<string>;
  kill(signal: Deno.Signal): void;
  exited: Promise<number>;
  /** SIGTERM, then the exit code. */
  stop(): Promise<number>;
}

/** Starts `server/main.ts` on 127.0.0.1 and a free port; resolves once it listens. */
export async function startServerProcess(env: Record<string, string>): Promise<ServerProcess> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      "--allow-sys",
      "server/main.ts",
    ],
    cwd: ROOT,
    env: { LISTEN_ADDR: "127.0.0.1:0", NO_COLOR: "1", ...env },
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
  const waitLog = (pred: (l: string) => boolean, timeoutMs: number) => {
    const found = logLines.find(pred);
    if (found) return Promise.resolve(found);
    return new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(new Error(`no matching log line within ${timeoutMs} ms:\n${logLines.join("\n")}`)),
        timeoutMs,
      );
      waiters.push({
        pred,
        resolve: (l) => {
          clearTimeout(timer);
          resolve(l);
        },
      });
      exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`server exited with ${code}:\n${logLines.join("\n")}`));
      });
    });
  };
  const line = await waitLog((l) => l.includes('"msg":"listening"'), 60_000);
  const { port } = JSON.parse(line) as { port: number };
  const kill = (signal: Deno.Signal) => {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  };
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    pid: child.pid,
    logLines,
    waitLog,
    kill,
    exited,
    stop: async () => {
      kill("SIGTERM");
      return await exited;
    },
  };
}

/** Posts one sample of `name` for `host` at the current time. */
export async function postSample(
  baseUrl: string,
  secret: string,
  host: string,
  name: string,
  value: number,
): Promise<void> {
  const token = await mintToken({
    secret,
    subject: host,
    scope: "ingest",
    ttlSeconds: 300,
    now: Date.now,
  });
  const res = await fetch(`${baseUrl}/api/v1/metrics`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      id: `e2e-${crypto.randomUUID()}`,
      host,
      metrics: [{ host, name, time: new Date().toISOString(), value, labels: {} }],
    }),
  });
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  await res.body?.cancel();
}

/** GETs an API path with a read token and returns the JSON body. */
// deno-lint-ignore no-explicit-any -- bodies are asserted field by field
export async function readApi(baseUrl: string, secret: string, path: string): Promise<any> {
  const token = await mintToken({
    secret,
    subject: "e2e",
    scope: "read",
    ttlSeconds: 300,
    now: Date.now,
  });
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return await res.json();
}

/** The URL of the database `db` is connected to, on the `TEST_DATABASE_URL` server. */
export async function databaseUrlOf(
  db: { query: (sql: string) => Promise<Record<string, unknown>[]> },
) {
  const [{ name }] = await db.query("SELECT current_database() AS name");
  const url = new URL(Deno.env.get("TEST_DATABASE_URL")!);
  url.pathname = `/${name}`;
  return url.href;
}
