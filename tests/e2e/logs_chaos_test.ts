/**
 * Chaos, end to end: a writer appends 2,000 lines/s for 60 s while Debian's `logrotate`
 * rotates the file every 5 s (`create`, then `copytruncate`); the agent is killed with SIGKILL
 * and restarted twice; the server is stopped for 15 s. Every line the writer wrote must arrive
 * on the server exactly once. With copytruncate, lines written between logrotate's copy and its
 * truncate are in no file at all: if the agent could not read them in time they are lost, which
 * the test reports (and the agent counts in `log_bytes_lost_total` / logs with `lost_bytes`);
 * every line that is in a file must still arrive exactly once.
 *
 * The programs: the real `agent/main.ts` and `server/main.ts`.
 *
 * Needs `TEST_DATABASE_URL` and `/usr/sbin/logrotate` (`apt-get install logrotate`).
 */
import assert from "node:assert/strict";
import { openPostgres } from "../../server/db/postgres_driver.ts";
import { silentLogger } from "../../shared/log.ts";
import { POSTGRES_SKIP, TEST_DATABASE_URL } from "../server/storage/backends.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SECRET = "e2e-logs-secret-".padEnd(40, "x");
const HOST = "chaos-host";
const RATE = 2000;
const SECONDS = 60;
const LOGROTATE = "/usr/sbin/logrotate";

const logrotateMissing = (() => {
  try {
    Deno.statSync(LOGROTATE);
    return undefined;
  } catch {
    return `${LOGROTATE} is not installed (apt-get install -y logrotate)`;
  }
})();

interface Proc {
  child: Deno.ChildProcess;
  lines: string[];
  exited: Promise<number>;
  seen(pred: (l: string) => boolean, timeoutMs: number): Promise<string>;
}

function spawn(args: string[], env: Record<string, string>): Proc {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    env: { ...env, NO_COLOR: "1" },
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const lines: string[] = [];
  const pump = async (s: ReadableStream<Uint8Array>) => {
    let buf = "";
    for await (const chunk of s.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const exited = child.status.then(async (s) => {
    await pumps;
    return s.code;
  });
  const seen = async (pred: (l: string) => boolean, timeoutMs: number) => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      const l = lines.find(pred);
      if (l) return l;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`no matching line in ${timeoutMs} ms:\n${lines.slice(-30).join("\n")}`);
  };
  return { child, lines, exited, seen };
}

async function kill(p: Proc, signal: Deno.Signal): Promise<number> {
  try {
    p.child.kill(signal);
  } catch { /* gone */ }
  return await p.exited;
}

function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every `seq=` number in the files of `dir` whose name starts with `app.log`. */
async function seqsOnDisk(dir: string): Promise<Set<number>> {
  const out = new Set<number>();
  for await (const e of Deno.readDir(dir)) {
    if (!e.name.startsWith("app.log")) continue;
    const text = await Deno.readTextFile(`${dir}/${e.name}`);
    for (const m of text.matchAll(/seq=(\d{7})/g)) out.add(Number(m[1]));
  }
  return out;
}

async function chaos(mode: "create" | "copytruncate"): Promise<void> {
  const admin = await openPostgres(TEST_DATABASE_URL!, { log: silentLogger, max: 1 });
  const dbName = `miniobserv_e2e_logs_${crypto.randomUUID().replaceAll("-", "").slice(0, 10)}`;
  await admin.exec(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(TEST_DATABASE_URL!);
  dbUrl.pathname = `/${dbName}`;
  const root = await Deno.makeTempDir({ prefix: `miniobserv-chaos-${mode}-` });
  const logDir = `${root}/log`;
  const stateDir = `${root}/state`;
  await Deno.mkdir(logDir);
  const logFile = `${logDir}/app.log`;
  await Deno.writeTextFile(logFile, "");
  await Deno.writeTextFile(
    `${root}/logrotate.conf`,
    `${logFile} {\n  ${mode}\n  rotate 100\n  missingok\n  notifempty\n  nocompress\n}\n`,
  );
  const port = freePort();
  const serverEnv = {
    DATABASE_URL: dbUrl.href,
    AGENT_TOKEN: SECRET,
    LISTEN_ADDR: `127.0.0.1:${port}`,
    LOG_LEVEL: "info",
    SHUTDOWN_TIMEOUT: "2s",
  };
  const agentEnv = {
    SERVER_URL: `http://127.0.0.1:${port}`,
    AGENT_TOKEN: SECRET,
    AGENT_HOST: HOST,
    AGENT_STATE_DIR: stateDir,
    LOG_PATHS: logFile,
    LOG_START_AT: "beginning",
    LOG_PARTIAL_FLUSH: "2s",
    COLLECT_INTERVAL: "10s",
    LOG_LEVEL: "info",
  };
  const startServer = async () => {
    const p = spawn(
      [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-net",
        "--allow-sys",
        "server/main.ts",
      ],
      serverEnv,
    );
    await p.seen((l) => l.includes('"msg":"listening"'), 60_000);
    return p;
  };
  const startAgent = async () => {
    const p = spawn(
      ["run", "--allow-all", "agent/main.ts"],
      agentEnv,
    );
    await p.seen((l) => l.includes('"msg":"agent started"'), 30_000);
    return p;
  };
  const agents: Proc[] = [];
  let server: Proc | null = null;
  let agent: Proc | null = null;
  let writer: Proc | null = null;
  let rotating = true;
  let rotations = 0;
  const db = await openPostgres(dbUrl.href, { log: silentLogger, max: 2 });
  try {
    server = await startServer();
    agent = await startAgent();
    agents.push(agent);
    writer = spawn(
      [
        "run",
        "--allow-read",
        "--allow-write",
        "tests/e2e/logs_writer.ts",
        logFile,
        String(RATE),
        String(SECONDS),
      ],
      {},
    );
    const rotator = (async () => {
      while (rotating) {
        await sleep(5000);
        if (!rotating) break;
        const r = await new Deno.Command(LOGROTATE, {
          args: ["-f", "-s", `${root}/logrotate.state`, `${root}/logrotate.conf`],
          stdout: "piped",
          stderr: "piped",
        }).output();
        if (r.code !== 0) {
          throw new Error(`logrotate failed: ${new TextDecoder().decode(r.stderr)}`);
        }
        rotations++;
      }
    })();
    const t0 = Date.now();
    const at = (s: number) => sleep(Math.max(0, t0 + s * 1000 - Date.now()));

    await at(13);
    await kill(agent, "SIGKILL");
    await sleep(700);
    agent = await startAgent();
    agents.push(agent);

    await at(24);
    await kill(server, "SIGKILL");
    server = null;
    await at(39);
    server = await startServer();

    await at(46);
    await kill(agent, "SIGKILL");
    await sleep(700);
    agent = await startAgent();
    agents.push(agent);

    const written = JSON.parse(
      await writer.seen((l) => l.startsWith('{"written"'), (SECONDS + 30) * 1000),
    ).written as number;
    rotating = false;
    await rotator;
    assert.equal(written, RATE * SECONDS);

    const onDisk = await seqsOnDisk(logDir);
    const stored = async () =>
      await db.query<{ seq: number; n: string }>(
        `SELECT substring(message from 'seq=(\\d{7})')::int AS seq, count(*)::text AS n
           FROM logs WHERE host = $1 GROUP BY 1`,
        [HOST],
      );
    // Wait until every line on disk has arrived (or a minute passes).
    const deadline = Date.now() + 90_000;
    let rows = await stored();
    while (Date.now() < deadline) {
      const have = new Set(rows.map((r) => Number(r.seq)));
      if ([...onDisk].every((s) => have.has(s))) break;
      await sleep(1000);
      rows = await stored();
    }
    await sleep(3000); // anything still in flight would show up as a duplicate now
    rows = await stored();

    const counts = new Map(rows.map((r) => [Number(r.seq), Number(r.n)]));
    const duplicated = [...counts].filter(([, n]) => n > 1).map(([s]) => s);
    const missing: number[] = [];
    for (let s = 0; s < written; s++) if (!counts.has(s)) missing.push(s);
    const missingOnDisk = missing.filter((s) => onDisk.has(s));
    const inNoFile = missing.filter((s) => !onDisk.has(s));
    const lostReports = agents.flatMap((a) =>
      a.lines.filter((l) => l.includes("file truncated") && /"lost_bytes":[1-9]/.test(l))
    );
    console.log(
      `chaos ${mode}: written ${written}, stored ${counts.size}, rotations ${rotations}, ` +
        `duplicated ${duplicated.length}, missing ${missing.length} (in no file: ${inNoFile.length}; ` +
        `agent reports of lost bytes: ${lostReports.length})`,
    );
    if (Deno.env.get("CHAOS_VERBOSE")) {
      for (const a of agents) for (const l of a.lines) if (l.includes("truncated")) console.log(l);
    }
    if (inNoFile.length > 0) {
      console.log(
        `  copytruncate window hit: lines ${inNoFile.slice(0, 10).join(", ")}${
          inNoFile.length > 10 ? " …" : ""
        } were truncated away by logrotate before they were read`,
      );
    }
    assert.deepEqual(duplicated.slice(0, 20), [], "lines stored twice");
    assert.deepEqual(missingOnDisk.slice(0, 20), [], "lines in a file that never arrived");
    if (mode === "create") assert.equal(missing.length, 0, "rename rotation loses nothing");
    // Lines in no file can only be logrotate's copy-to-truncate window (never with `create`).
    // The agent counts the bytes of it that it saw (`lost_bytes`); bytes written and truncated
    // between two of its reads leave no trace it could count, so the test reports those.
    if (inNoFile.length > 0) {
      assert.equal(mode, "copytruncate", "lines vanished without copytruncate");
    }
    const entries = await db.query<{ n: string }>(
      "SELECT count(DISTINCT file_id)::text AS n FROM logs WHERE host = $1",
      [HOST],
    );
    assert.ok(Number(entries[0].n) >= 2, "rotation made new files");
  } finally {
    rotating = false;
    if (writer) await kill(writer, "SIGTERM");
    if (agent) await kill(agent, "SIGTERM");
    if (server) await kill(server, "SIGTERM");
    await db.close();
    await admin.exec(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => {});
    await admin.close();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

const skip = POSTGRES_SKIP ?? logrotateMissing;
const via = "agent/main.ts + server/main.ts";

for (const mode of ["create", "copytruncate"] as const) {
  Deno.test({
    name:
      `e2e logs chaos (${mode}): 2,000 lines/s for 60 s, logrotate every 5 s, agent SIGKILLed twice, server down 15 s: every line once [${via}]`,
    ignore: !!skip,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => chaos(mode),
  });
}
