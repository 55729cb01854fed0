/**
 * Chaos, end to end: a writer appends 2,000 lines/s for 60 s while Debian's `logrotate`
 * rotates the file every 5 s (`create`, then `copytruncate`); the agent is killed with SIGKILL
 * and restarted twice (the second time with a rotation while it is down); the server is stopped
 * for 15 s. Every line in a file must arrive on the server exactly once.
 *
 * With copytruncate a second file is written at the same time, at 2,000 lines/s too, by a writer
 * that does not append (it keeps its own offset, so the file begins with a hole after each
 * truncation). Lines written between logrotate's copy and its truncate are in no file at all;
 * the test counts their bytes (and the rest of a line the copy cut) and checks them against the
 * agent's `lost_bytes` reports for each file, and the sum against its
 * `log_bytes_lost_total{reason="truncated"}` metric, read from `/metrics` just before each kill
 * (at least 1.5 s after a rotation) and at the end:
 * - writer without O_APPEND: reported == lost, exactly (the hole tells how long the file was);
 * - appending writer: reported <= lost (only sizes the agent saw before the truncation tell;
 *   it never counts a byte that was read or is in the copy); both are printed.
 *
 * The programs: the real `agent/main.ts` and `server/main.ts`.
 *
 * Needs `TEST_DATABASE_URL` and `/usr/sbin/logrotate` (`apt-get install logrotate`).
 */
import assert from "node:assert/strict";
import { openPostgres } from "../../server/db/postgres_driver.ts";
import { silentLogger } from "../../shared/log.ts";
import { POSTGRES_SKIP, TEST_DATABASE_URL } from "../server/storage/backends.ts";
import { writerLine, type WriterMode } from "./logs_writer.ts";
import { serverTaskFlags } from "../../scripts/task_flags.ts";

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

/** Every `seq=` number in the files of `dir` whose name starts with `prefix`. */
async function seqsOnDisk(dir: string, prefix: string): Promise<Set<number>> {
  const out = new Set<number>();
  for await (const e of Deno.readDir(dir)) {
    if (!e.name.startsWith(prefix)) continue;
    const text = await Deno.readTextFile(`${dir}/${e.name}`);
    for (const m of text.matchAll(/seq=(\d{7})/g)) out.add(Number(m[1]));
  }
  return out;
}

/** Bytes of line `n` as the writer writes it (its length does not depend on the time). */
const lineBytes = (n: number, mode: WriterMode) => writerLine(n, new Date(0), mode).length;

/** `miniobserv_agent_log_bytes_lost_total{reason="truncated"}` from an agent's `/metrics` (0 when absent). */
async function scrapeLostBytes(port: number): Promise<number> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  const text = await res.text();
  if (res.status !== 200) throw new Error(`agent /metrics: ${res.status}`);
  const m = text.match(/^miniobserv_agent_log_bytes_lost_total\{reason="truncated"\} (\S+)$/m);
  return m ? Number(m[1]) : 0;
}

/** One log file and its writer. */
interface Stream {
  path: string;
  name: string;
  /** `append`: O_APPEND; `offset`: the writer keeps its own offset (a hole after copytruncate). */
  writing: WriterMode;
}

/** The agent's lost-bytes reports (`lost_bytes` of its log lines) for the file at `path`. */
function reportedLost(agents: Proc[], path: string): number {
  let sum = 0;
  for (const a of agents) {
    for (const l of a.lines) {
      if (!l.includes('"lost_bytes"')) continue;
      const o = JSON.parse(l) as { path?: string; lost_bytes?: number };
      if (o.path === path) sum += o.lost_bytes ?? 0;
    }
  }
  return sum;
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
  // copytruncate: a second file, written at the same rate by a writer that does not append.
  const streams: Stream[] = [{ path: `${logDir}/app.log`, name: "app.log", writing: "append" }];
  if (mode === "copytruncate") {
    streams.push({ path: `${logDir}/raw.log`, name: "raw.log", writing: "offset" });
  }
  for (const s of streams) await Deno.writeTextFile(s.path, "");
  await Deno.writeTextFile(
    `${root}/logrotate.conf`,
    `${streams.map((s) => s.path).join(" ")} {\n  ${mode}\n  rotate 100\n  missingok\n` +
      `  notifempty\n  nocompress\n}\n`,
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
    AGENT_METRICS_ADDR: "127.0.0.1:0",
    LOG_PATHS: streams.map((s) => s.path).join(","),
    LOG_START_AT: "beginning",
    LOG_PARTIAL_FLUSH: "2s",
    COLLECT_INTERVAL: "10s",
    LOG_LEVEL: "info",
  };
  const startServer = async () => {
    const p = spawn(
      ["run", ...serverTaskFlags(), "server/main.ts"],
      serverEnv,
    );
    await p.seen((l) => l.includes('"msg":"listening"'), 60_000);
    return p;
  };
  /** Each agent run with the port of its `/metrics` and the last lost-bytes value read there. */
  const agents: { proc: Proc; metricsPort: number; lostMetric: number }[] = [];
  const startAgent = async () => {
    const p = spawn(["run", "--allow-all", "agent/main.ts"], agentEnv);
    const listening = await p.seen((l) => l.includes('"msg":"metrics listening"'), 30_000);
    await p.seen((l) => l.includes('"msg":"agent started"'), 30_000);
    const run = { proc: p, metricsPort: JSON.parse(listening).port as number, lostMetric: 0 };
    agents.push(run);
    return run;
  };
  let server: Proc | null = null;
  let agent: { proc: Proc; metricsPort: number; lostMetric: number } | null = null;
  const writers: Proc[] = [];
  let rotating = true;
  let rotations = 0;
  let rotation: Promise<void> = Promise.resolve();
  let lastRotationEnd = 0;
  let paused = false;
  /** One `logrotate -f` run, never two at once. */
  const rotate = () => {
    rotation = rotation.then(async () => {
      const r = await new Deno.Command(LOGROTATE, {
        args: ["-f", "-s", `${root}/logrotate.state`, `${root}/logrotate.conf`],
        stdout: "piped",
        stderr: "piped",
      }).output();
      if (r.code !== 0) {
        throw new Error(`logrotate failed: ${new TextDecoder().decode(r.stderr)}`);
      }
      rotations++;
      lastRotationEnd = Date.now();
    });
    return rotation;
  };
  /**
   * Kills the agent with SIGKILL, its lost-bytes metric read just before: at least 1.5 s after
   * the last rotation, with none meanwhile, so the agent has counted all it will count.
   */
  const killAgent = async () => {
    paused = true;
    try {
      await rotation;
      while (Date.now() - lastRotationEnd < 1500) await sleep(50);
      agent!.lostMetric = await scrapeLostBytes(agent!.metricsPort);
      await kill(agent!.proc, "SIGKILL");
    } finally {
      paused = false;
    }
  };
  const db = await openPostgres(dbUrl.href, { log: silentLogger, max: 2 });
  try {
    server = await startServer();
    agent = await startAgent();
    for (const s of streams) {
      writers.push(spawn(
        [
          "run",
          "--allow-read",
          "--allow-write",
          "tests/e2e/logs_writer.ts",
          s.path,
          String(RATE),
          String(SECONDS),
          s.writing,
        ],
        {},
      ));
    }
    const rotator = (async () => {
      while (rotating) {
        await sleep(5000);
        while (paused && rotating) await sleep(50);
        if (!rotating) break;
        await rotate();
      }
    })();
    const t0 = Date.now();
    const at = (s: number) => sleep(Math.max(0, t0 + s * 1000 - Date.now()));

    await at(13);
    await killAgent();
    await sleep(700);
    agent = await startAgent();

    await at(24);
    await kill(server, "SIGKILL");
    server = null;
    await at(39);
    server = await startServer();

    await at(46);
    await killAgent();
    // A rotation while the agent is down: it must find the copy when it starts again.
    await rotate();
    await sleep(700);
    agent = await startAgent();

    const written: number[] = [];
    for (const w of writers) {
      written.push(
        JSON.parse(
          await w.seen((l) => l.startsWith('{"written"'), (SECONDS + 30) * 1000),
        ).written as number,
      );
    }
    rotating = false;
    await rotator;
    await rotation;
    for (const n of written) assert.equal(n, RATE * SECONDS);

    const onDisk = await Promise.all(streams.map((s) => seqsOnDisk(logDir, s.name)));
    const stored = async (s: Stream) =>
      await db.query<{ seq: number; n: string; bytes: string }>(
        `SELECT substring(message from 'seq=(\\d{7})')::int AS seq, count(*)::text AS n,
                min(octet_length(message))::text AS bytes
           FROM logs WHERE host = $1 AND source = $2 AND message ~ 'seq=[0-9]{7}' GROUP BY 1`,
        [HOST, s.path],
      );
    // Wait until every line on disk has arrived (or 90 s pass).
    const deadline = Date.now() + 90_000;
    let rows = await Promise.all(streams.map(stored));
    while (Date.now() < deadline) {
      const all = streams.every((_, i) => {
        const have = new Set(rows[i].map((r) => Number(r.seq)));
        return [...onDisk[i]].every((s) => have.has(s));
      });
      if (all) break;
      await sleep(1000);
      rows = await Promise.all(streams.map(stored));
    }
    await sleep(3000); // anything still in flight would show up as a duplicate now
    rows = await Promise.all(streams.map(stored));
    agent.lostMetric = await scrapeLostBytes(agent.metricsPort);
    const lostMetric = agents.reduce((n, a) => n + a.lostMetric, 0);
    const procs = agents.map((a) => a.proc);

    if (Deno.env.get("CHAOS_VERBOSE")) {
      for (const a of procs) for (const l of a.lines) if (l.includes("truncat")) console.log(l);
    }
    let reportedAll = 0;
    for (const [i, s] of streams.entries()) {
      const counts = new Map(rows[i].map((r) => [Number(r.seq), Number(r.n)]));
      const duplicated = [...counts].filter(([, n]) => n > 1).map(([q]) => q);
      const missing: number[] = [];
      for (let q = 0; q < written[i]; q++) if (!counts.has(q)) missing.push(q);
      const missingOnDisk = missing.filter((q) => onDisk[i].has(q));
      const inNoFile = missing.filter((q) => !onDisk[i].has(q));
      // What really went missing, in bytes: the lines in no file, and the rest of any line cut
      // by logrotate's copy (its start is in the copy and arrived, its end was truncated away).
      let missingBytes = inNoFile.reduce((n, q) => n + lineBytes(q, s.writing), 0);
      for (const r of rows[i]) {
        const cut = lineBytes(Number(r.seq), s.writing) - 1 - Number(r.bytes);
        if (cut > 0) missingBytes += cut + 1;
      }
      const reported = reportedLost(procs, s.path);
      reportedAll += reported;
      console.log(
        `chaos ${mode} ${s.name} (${s.writing} writer): written ${
          written[i]
        }, stored ${counts.size}, ` +
          `rotations ${rotations}, duplicated ${duplicated.length}, missing ${missing.length} ` +
          `(in no file: ${inNoFile.length} lines, ${missingBytes} bytes; the agent reported ` +
          `${reported} bytes lost)`,
      );
      if (inNoFile.length > 0) {
        console.log(
          `  copytruncate window hit: lines ${inNoFile.slice(0, 10).join(", ")}${
            inNoFile.length > 10 ? " …" : ""
          } were written between logrotate's copy and its truncate`,
        );
      }
      assert.deepEqual(duplicated.slice(0, 20), [], `${s.name}: lines stored twice`);
      assert.deepEqual(missingOnDisk.slice(0, 20), [], `${s.name}: lines in a file never arrived`);
      if (mode === "create") assert.equal(missing.length, 0, "rename rotation loses nothing");
      // Lines in no file can only be logrotate's copy-to-truncate window (never with `create`).
      if (inNoFile.length > 0) {
        assert.equal(mode, "copytruncate", "lines vanished without copytruncate");
      }
      if (s.writing === "offset") {
        // The hole the writer leaves tells how long the file was: every lost byte is counted.
        assert.equal(reported, missingBytes, `${s.name}: lost bytes reported exactly`);
      } else {
        // Appending: only sizes the agent saw before the truncation tell; it never counts a
        // byte that did not go missing (and counts those it saw, see the tailer's tests).
        assert.ok(reported <= missingBytes, `${s.name}: ${reported} > ${missingBytes} bytes`);
      }
    }
    console.log(
      `  log_bytes_lost_total{reason="truncated"} over ${agents.length} agent runs: ${lostMetric}`,
    );
    assert.equal(lostMetric, reportedAll, "the metric counts what the agent reported");
    const entries = await db.query<{ n: string }>(
      "SELECT count(DISTINCT file_id)::text AS n FROM logs WHERE host = $1",
      [HOST],
    );
    assert.ok(Number(entries[0].n) >= 2, "rotation made new files");
  } finally {
    rotating = false;
    for (const w of writers) await kill(w, "SIGTERM");
    if (agent) await kill(agent.proc, "SIGTERM");
    if (server) await kill(server, "SIGTERM");
    await rotation.catch(() => {});
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
