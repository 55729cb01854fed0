/**
 * agent/main.ts as a real process on this machine: `--once`, configuration errors, and a
 * normal run against a local server ended by SIGTERM. Expectations follow what this
 * machine has, so a family the machine has but the output lacks fails the test.
 */
import assert from "node:assert/strict";
import { AGENT_ENV_VARIABLES } from "../../agent/config.ts";
import { DEFAULT_DISK_DEVICES_EXCLUDE } from "../../agent/collectors/defaults.ts";
import { DEFAULT_MOUNT_FILTER, selectMounts } from "../../agent/collectors/select_mounts.ts";
import { parseMountinfo } from "../../agent/proc/parse_mountinfo.ts";
import { verifyToken } from "../../shared/jwt.ts";
import { type MetricBatch, validateBatch } from "../../shared/metric.ts";
import { VERSION } from "../../shared/version.ts";
import { assertEachCollectedSampleStoredOnce, collectedBatches } from "../e2e/agent_oracle.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const SECRET = "test-secret-test-secret-test-secret!";

/** The parent environment without any agent variable, plus `vars`. */
function agentEnv(vars: Record<string, string>): Record<string, string> {
  const env = Deno.env.toObject();
  for (const name of AGENT_ENV_VARIABLES) delete env[name];
  return { ...env, ...vars };
}

function agentCommand(args: string[], vars: Record<string, string>, piped = true) {
  return new Deno.Command(Deno.execPath(), {
    args: ["task", "-q", "agent", ...args],
    cwd: ROOT,
    env: agentEnv(vars),
    clearEnv: true,
    stdin: "null",
    stdout: piped ? "piped" : "null",
    stderr: "piped",
  });
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** Block devices, interfaces, cores and mounts this machine has, read independently of the agent. */
async function machine() {
  const stat = await Deno.readTextFile("/proc/stat");
  const cores = [...stat.matchAll(/^cpu(\d+)\s/gm)].map((m) => m[1]);
  const net = await Deno.readTextFile("/proc/net/dev");
  const ifaces = [...net.matchAll(/^\s*([^\s:|]+):/gm)].map((m) => m[1]).filter((i) => i !== "lo");
  const diskstats = await Deno.readTextFile("/proc/diskstats");
  const disks = diskstats.trim().split("\n").map((l) => l.trim().split(/\s+/)[2])
    .filter((d) => !DEFAULT_DISK_DEVICES_EXCLUDE.test(d));
  const mounts: string[] = [];
  const selected = selectMounts(
    parseMountinfo(await Deno.readTextFile("/proc/self/mountinfo")),
    DEFAULT_MOUNT_FILTER,
  );
  for (const m of selected) {
    const df = await new Deno.Command("df", { args: ["-B1", "-P", m.mountPoint] }).output();
    const size = Number(text(df.stdout).trim().split("\n")[1]?.split(/\s+/)[1] ?? 0);
    if (df.success && size > 0) mounts.push(m.mountPoint);
  }
  return { cores, ifaces, disks, mounts };
}

Deno.test("main --once: one valid batch with every metric family this machine has", async () => {
  const out = await agentCommand(["--once"], { LOG_LEVEL: "warn" }).output();
  assert.equal(out.code, 0, text(out.stderr));
  const lines = text(out.stdout).trim().split("\n");
  assert.equal(lines.length, 1);
  const result = validateBatch(JSON.parse(lines[0]));
  assert.ok(result.ok, result.ok ? "" : result.error);
  const batch = result.value;
  assert.equal(batch.host, Deno.hostname());
  const has = (name: string, labels: Record<string, string> = {}) =>
    batch.metrics.some((m) =>
      m.name === name && Object.entries(labels).every(([k, v]) => m.labels[k] === v)
    );
  const { cores, ifaces, disks, mounts } = await machine();

  assert.ok(has("cpu.usage_pct", { core: "total" }), "cpu total");
  assert.ok(cores.length > 0);
  for (const core of cores) assert.ok(has("cpu.usage_pct", { core }), `cpu core ${core}`);
  for (const name of ["mem.total_bytes", "mem.used_bytes", "mem.used_pct"]) {
    assert.ok(has(name), name);
  }
  for (const name of ["system.load1", "system.load5", "system.load15"]) assert.ok(has(name), name);
  for (const iface of ifaces) {
    assert.ok(has("net.bytes_in", { iface }) && has("net.bytes_out", { iface }), `net ${iface}`);
  }
  assert.equal(has("net.bytes_in", { iface: "lo" }), false, "lo is excluded by default");
  for (const device of disks) {
    assert.ok(
      has("disk.read_bytes", { device }) && has("disk.write_bytes", { device }),
      `disk io ${device}`,
    );
  }
  for (const mount of mounts) {
    for (const name of ["disk.total_bytes", "disk.used_bytes", "disk.used_pct"]) {
      assert.ok(has(name, { mount }), `${name} ${mount}`);
    }
  }
  const families = new Set(batch.metrics.map((m) => m.name.split(".")[0]));
  assert.ok(families.has("cpu") && families.has("mem") && families.has("system"));
});

Deno.test("main: an invalid variable stops the agent at once, naming variable, value and range", async () => {
  const out = await agentCommand([], {
    SERVER_URL: "http://127.0.0.1:1",
    AGENT_TOKEN: SECRET,
    COLLECT_INTERVAL: "0s",
  }).output();
  assert.equal(out.code, 78);
  const line = JSON.parse(text(out.stderr).trim().split("\n").at(-1)!);
  assert.equal(line.level, "error");
  assert.match(line.msg, /COLLECT_INTERVAL="0s" is out of range; allowed 1s to 5m/);
});

Deno.test("main: SERVER_URL is required outside --once; an unknown argument is refused", async () => {
  const missing = await agentCommand([], { AGENT_TOKEN: SECRET }).output();
  assert.equal(missing.code, 78);
  assert.match(text(missing.stderr), /SERVER_URL is required/);
  const bad = await agentCommand(["--bogus"], {}).output();
  assert.equal(bad.code, 64);
  assert.match(text(bad.stderr), /unknown argument "--bogus"/);
});

/** Reads a request body, gunzipping it when the agent compressed it. */
async function bodyOf(req: Request): Promise<MetricBatch> {
  const gz = req.headers.get("content-encoding") === "gzip";
  return await new Response(gz ? req.body!.pipeThrough(new DecompressionStream("gzip")) : req.body)
    .json();
}

Deno.test("main: runs against a server, authenticates, and exits 0 on SIGTERM", async () => {
  const batches: MetricBatch[] = [];
  const auth: string[] = [];
  const versions: string[] = [];
  const encodings: string[] = [];
  let gotOne!: () => void;
  const first = new Promise<void>((r) => gotOne = r);
  const stateDir = await Deno.makeTempDir({ prefix: "agent-main-" });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    auth.push(req.headers.get("authorization") ?? "");
    versions.push(req.headers.get("x-agent-version") ?? "");
    encodings.push(req.headers.get("content-encoding") ?? "");
    batches.push(await bodyOf(req));
    gotOne();
    return new Response(null, { status: 202 });
  });
  try {
    const child = agentCommand([], {
      SERVER_URL: `http://127.0.0.1:${server.addr.port}`,
      AGENT_TOKEN: SECRET,
      AGENT_HOST: "test-host",
      AGENT_STATE_DIR: stateDir,
      COLLECT_INTERVAL: "1s",
      LOG_LEVEL: "info",
    }, false).spawn();
    const stderrText = new Response(child.stderr).text();
    await first;
    child.kill("SIGTERM");
    const status = await child.status;
    const stderr = await stderrText;
    assert.equal(status.code, 0, stderr);
    const logs = stderr.trim().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(logs.at(-1)?.msg, "agent stopped", stderr);
    assert.ok(logs.some((l) => l.msg === "stopping; sending what is queued"));
    const result = validateBatch(batches[0]);
    assert.ok(result.ok);
    assert.equal(batches[0].host, "test-host");
    assert.match(batches[0].id, /^test-host-\d+-\d+$/);
    assert.equal(encodings[0], "gzip");
    const claims = await verifyToken(auth[0].replace(/^Bearer /, ""), SECRET, Date.now);
    assert.deepEqual([claims.sub, claims.scope], ["test-host", "ingest"]);
    assert.equal(versions[0], VERSION);
    assert.ok(
      (await Deno.stat(`${stateDir}/spool/checkpoint.log`)).isFile,
      "spool in the state dir",
    );
  } finally {
    await server.shutdown();
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("main: a state directory that cannot be created stops the agent with exit 73", async () => {
  const file = await Deno.makeTempFile();
  try {
    const out = await agentCommand([], {
      SERVER_URL: "http://127.0.0.1:9",
      AGENT_TOKEN: SECRET,
      AGENT_STATE_DIR: `${file}/state`,
    }).output();
    assert.equal(out.code, 73);
    const line = JSON.parse(text(out.stderr).trim().split("\n").at(-1)!);
    assert.equal(line.msg, "cannot use the state directory (AGENT_STATE_DIR)");
    assert.match(line.error, /spool: opening .*\/state\/spool/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("main: SIGTERM with the server down exits 0 in SHUTDOWN_TIMEOUT; the next start delivers the spool", async () => {
  const stateDir = await Deno.makeTempDir({ prefix: "agent-main-" });
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close(); // nothing listens: connection refused
  const vars = {
    SERVER_URL: `http://127.0.0.1:${port}`,
    AGENT_TOKEN: SECRET,
    AGENT_HOST: "test-host",
    AGENT_STATE_DIR: stateDir,
    COLLECT_INTERVAL: "1s",
    SHUTDOWN_TIMEOUT: "1s",
    LOG_LEVEL: "debug",
  };
  try {
    const child = agentCommand([], vars, false).spawn();
    const stderrText = new Response(child.stderr).text();
    await new Promise((r) => setTimeout(r, 3500));
    const t0 = Date.now();
    child.kill("SIGTERM");
    const status = await child.status;
    const took = Date.now() - t0;
    const logs = (await stderrText).trim().split("\n").map((l) => JSON.parse(l));
    assert.equal(status.code, 0);
    assert.ok(took < 1000 + 1500, `stopped ${took} ms after SIGTERM (SHUTDOWN_TIMEOUT 1s)`);
    const collected = logs.filter((l) => l.msg === "collected").flatMap((l) => l.batches);
    assert.ok(collected.length >= 2);
    const kept = logs.find((l) =>
      l.msg === "stopped with unsent batches; they stay in the spool for the next start"
    );
    // Every batch logged as collected is in the spool (a tick under way at the signal may
    // have added one more).
    assert.ok(kept.unsent >= collected.length && kept.unsent <= collected.length + 1);

    // The server is back: the next start sends every spooled batch, each sample once.
    const samples = new Map<string, { series: string; ms: number; n: number }>();
    const ids: string[] = [];
    const server = Deno.serve({ hostname: "127.0.0.1", port, onListen() {} }, async (req) => {
      const batch = await bodyOf(req);
      ids.push(batch.id);
      for (const m of batch.metrics) {
        const series = `${m.name}${JSON.stringify(m.labels)}`;
        const ms = Date.parse(m.time);
        const s = samples.get(`${series}@${ms}`) ?? { series, ms, n: 0 };
        s.n++;
        samples.set(`${series}@${ms}`, s);
      }
      return new Response(null, { status: 202 });
    });
    try {
      const again = agentCommand([], { ...vars, COLLECT_INTERVAL: "5m" }, false).spawn();
      const againLog = new Response(again.stderr).text();
      const deadline = Date.now() + 15_000;
      const spooled = collected.reduce((n: number, b: { metrics: number }) => n + b.metrics, 0);
      while (samples.size < spooled && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
      }
      again.kill("SIGTERM");
      assert.equal((await again.status).code, 0);
      const opened = (await againLog).split("\n").find((l) => l.includes('"spool opened"'))!;
      assert.equal(JSON.parse(opened).pending_batches, kept.unsent);
      const report = assertEachCollectedSampleStoredOnce(
        collectedBatches(logs.map((l) => JSON.stringify(l))),
        [...samples.values()],
      );
      assert.ok(report.totalStored >= spooled);
      assert.ok(
        ids.some((id) => /:\d+$/.test(id)) || collected.length <= 2,
        `the backlog went in merged requests: ${ids}`,
      );
    } finally {
      await server.shutdown();
    }
  } finally {
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("main: with HTTP_PROXY set, requests go through the proxy (Deno's fetch), not straight to SERVER_URL", async () => {
  const seen: string[] = [];
  let gotOne!: () => void;
  const first = new Promise<void>((r) => gotOne = r);
  const stateDir = await Deno.makeTempDir({ prefix: "agent-proxy-" });
  // Nothing listens on SERVER_URL's port: only a request through the proxy can arrive.
  const closed = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const deadPort = (closed.addr as Deno.NetAddr).port;
  closed.close();
  // A forward proxy that answers for the origin itself: it sees the absolute-form target.
  const proxy = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    seen.push(`${req.method} ${req.url}`);
    await req.arrayBuffer();
    gotOne();
    return new Response(null, { status: 202 });
  });
  try {
    const child = agentCommand([], {
      SERVER_URL: `http://127.0.0.1:${deadPort}`,
      AGENT_TOKEN: SECRET,
      AGENT_HOST: "proxied-host",
      AGENT_STATE_DIR: stateDir,
      COLLECT_INTERVAL: "1s",
      LOG_LEVEL: "info",
      HTTP_PROXY: `http://127.0.0.1:${proxy.addr.port}`,
    }, false).spawn();
    const stderrText = new Response(child.stderr).text();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const arrived = await Promise.race([
      first.then(() => true),
      new Promise<boolean>((r) => timer = setTimeout(() => r(false), 20_000)),
    ]);
    clearTimeout(timer);
    child.kill("SIGTERM");
    assert.equal((await child.status).code, 0);
    const stderr = await stderrText;
    assert.ok(arrived, `no request reached the proxy within 20 s: ${stderr}`);
    assert.match(stderr, /"msg":"sending through fetch, which honours the proxy settings"/);
    assert.equal(seen[0], `POST http://127.0.0.1:${deadPort}/api/v1/metrics`);
  } finally {
    await proxy.shutdown();
    await Deno.remove(stateDir, { recursive: true });
  }
});
