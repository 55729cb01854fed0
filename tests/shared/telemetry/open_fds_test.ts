import assert from "node:assert/strict";
import { Registry } from "prom-client";
import {
  lintMetricFamilies,
  type MetricFamilyDescription,
} from "../../../shared/telemetry/names.ts";
import {
  CommandFdReader,
  type CommandResult,
  countOpenFds,
  createFdReader,
  type FdReader,
  lsFdArgs,
  MAX_FDS_UNAVAILABLE,
  parseOpenMax,
  registerFdFallback,
  runCommand,
} from "../../../shared/telemetry/open_fds.ts";
import {
  FD_UNAVAILABLE,
  registerProcessMetrics,
} from "../../../shared/telemetry/process_metrics.ts";

/**
 * `ls -l /proc/4242/fd /proc/self/fd` as captured on Deno 2.9.6 while the listing ran: the
 * server's fds 21/22 (read and write end of ls's stdout pipe 61765), 23 (a pidfd for ls)
 * and 24 (ls's stderr pipe 61766) exist only for this run; 9 others are the server's own.
 */
const LISTING = `/proc/4242/fd:
total 0
lr-x------ 1 root root 64 Nov 27 00:50 0 -> /dev/null
l-wx------ 1 root root 64 Nov 27 00:50 1 -> /tmp/out
l-wx------ 1 root root 64 Nov 27 00:50 2 -> /tmp/err
lrwx------ 1 root root 64 Nov 27 00:50 3 -> anon_inode:[eventpoll]
lrwx------ 1 root root 64 Nov 27 00:50 4 -> anon_inode:[eventfd]
lrwx------ 1 root root 64 Nov 27 00:50 6 -> socket:[59293]
lrwx------ 1 root root 64 Nov 27 00:50 9 -> /data/pglite/base/16384/1259
lrwx------ 1 root root 64 Nov 27 00:50 10 -> /data/a file -> with arrow (deleted)
lr-x------ 1 root root 64 Nov 27 00:50 11 -> pipe:[1000]
lr-x------ 1 root root 64 Nov 27 00:50 21 -> pipe:[61765]
l-wx------ 1 root root 64 Nov 27 00:50 22 -> pipe:[61765]
lrwx------ 1 root root 64 Nov 27 00:50 23 -> anon_inode:[pidfd]
lr-x------ 1 root root 64 Nov 27 00:50 24 -> pipe:[61766]

/proc/self/fd:
total 0
lr-x------ 1 root root 64 Nov 27 00:50 0 -> /dev/null
l-wx------ 1 root root 64 Nov 27 00:50 1 -> pipe:[61765]
l-wx------ 1 root root 64 Nov 27 00:50 2 -> pipe:[61766]
lr-x------ 1 root root 64 Nov 27 00:50 3 -> /proc/5555/fd
`;

Deno.test("countOpenFds: the server's own descriptors, not those made for the ls run", () => {
  assert.equal(countOpenFds(LISTING, 4242), 9);
  // The sections may come in any order.
  const [pidPart, selfPart] = LISTING.split("\n\n");
  assert.equal(countOpenFds(`${selfPart}\n${pidPart}\n`, 4242), 9);
});

Deno.test("countOpenFds: only one pidfd is ls's; one closed while listed is not counted", () => {
  const more = LISTING.replace(
    "lr-x------ 1 root root 64 Nov 27 00:50 24 -> pipe:[61766]\n",
    "lr-x------ 1 root root 64 Nov 27 00:50 24 -> pipe:[61766]\n" +
      "lrwx------ 1 root root 64 Nov 27 00:50 30 -> anon_inode:[pidfd]\n" +
      "l????????? ? ?    ?     ?            ? 31\n",
  );
  assert.equal(countOpenFds(more, 4242), 10);
});

Deno.test("countOpenFds: a stdout or stderr that is not a pipe is never left out", () => {
  // ls's stderr inherited from the server: the server's fd 2 is its own, not ls's.
  const inherited = LISTING.replace("2 -> pipe:[61766]", "2 -> /tmp/err");
  assert.equal(countOpenFds(inherited, 4242), 10);
});

Deno.test("countOpenFds: output without both directories is an error", () => {
  assert.throws(() => countOpenFds(LISTING, 1), /unexpected ls output/);
  assert.throws(() => countOpenFds("", 4242), /unexpected ls output/);
  assert.throws(() => countOpenFds(LISTING.split("\n\n")[0], 4242), /unexpected ls output/);
});

Deno.test("parseOpenMax: a whole number, else an error", () => {
  assert.equal(parseOpenMax("65536\n"), 65536);
  assert.throws(() => parseOpenMax("undefined\n"), /getconf OPEN_MAX printed "undefined"/);
  assert.throws(() => parseOpenMax(""), /printed ""/);
});

/** A runner answering from `answers` per program, recording each call. */
function fakeRunner(answers: Record<string, () => Promise<CommandResult>>) {
  const calls: { program: string; args: readonly string[] }[] = [];
  const run = (program: string, args: readonly string[]) => {
    calls.push({ program, args });
    const answer = answers[program];
    return answer ? answer() : Promise.reject(new Error(`unexpected ${program}`));
  };
  return { run, calls };
}

const ok = (stdout: string) => () => Promise.resolve({ code: 0, stdout, stderr: "" });

Deno.test("CommandFdReader: runs ls on the pid and counts; getconf for the limit", async () => {
  const { run, calls } = fakeRunner({ ls: ok(LISTING), getconf: ok("65536\n") });
  const reader = new CommandFdReader({ pid: 4242, run, now: () => 0 });
  assert.equal(await reader.openFds(), 9);
  assert.equal(await reader.maxFds!(), 65536);
  assert.deepEqual(calls, [
    { program: "ls", args: ["-l", "/proc/4242/fd", "/proc/self/fd"] },
    { program: "getconf", args: ["OPEN_MAX"] },
  ]);
  assert.deepEqual(lsFdArgs(7), ["-l", "/proc/7/fd", "/proc/self/fd"]);
});

Deno.test("CommandFdReader: a count is reused for cacheMs; parallel reads share one ls", async () => {
  const clock = { now: 1_000 };
  const { run, calls } = fakeRunner({ ls: ok(LISTING) });
  const reader = new CommandFdReader({ pid: 4242, run, now: () => clock.now, cacheMs: 1_000 });
  assert.deepEqual(await Promise.all([reader.openFds(), reader.openFds(), reader.openFds()]), [
    9,
    9,
    9,
  ]);
  assert.equal(calls.length, 1);
  clock.now += 999;
  assert.equal(await reader.openFds(), 9);
  assert.equal(calls.length, 1);
  clock.now += 1;
  assert.equal(await reader.openFds(), 9);
  assert.equal(calls.length, 2);
});

Deno.test("CommandFdReader: failures give null, are told once per metric, and are retried", async () => {
  const clock = { now: 0 };
  let ls: () => Promise<CommandResult> = () =>
    Promise.reject(new Deno.errors.NotFound("Failed to spawn 'ls': entity not found"));
  let getconf: () => Promise<CommandResult> = ok("undefined\n");
  const errors: string[] = [];
  const { run, calls } = fakeRunner({ ls: () => ls(), getconf: () => getconf() });
  const reader = new CommandFdReader({
    pid: 4242,
    run,
    now: () => clock.now,
    onError: (metric, e) => errors.push(`${metric}: ${e.message}`),
  });
  assert.equal(await reader.openFds(), null);
  assert.equal(await reader.maxFds!(), null);
  // Within cacheMs the failure is reused: no new run.
  assert.equal(await reader.openFds(), null);
  assert.equal(calls.length, 2);

  clock.now += 1_000;
  ls = () => Promise.resolve({ code: 2, stdout: "", stderr: "ls: cannot open directory\n" });
  assert.equal(await reader.openFds(), null);
  clock.now += 1_000;
  ls = ok("garbage");
  assert.equal(await reader.openFds(), null);
  assert.deepEqual(errors, [
    "process_open_fds: Failed to spawn 'ls': entity not found",
    'process_max_fds: getconf OPEN_MAX printed "undefined"',
  ]);

  // Exit 1 (a descriptor closed during the listing) still gives the count.
  clock.now += 1_000;
  ls = () => Promise.resolve({ code: 1, stdout: LISTING, stderr: "ls: cannot access …\n" });
  assert.equal(await reader.openFds(), 9);
  clock.now += 1_000;
  getconf = ok("1024\n");
  assert.equal(await reader.maxFds!(), 1024);
  // The limit, once read, is kept: getconf runs no more.
  const before = calls.filter((c) => c.program === "getconf").length;
  clock.now += 3_600_000;
  assert.equal(await reader.maxFds!(), 1024);
  assert.equal(calls.filter((c) => c.program === "getconf").length, before);
  assert.equal(errors.length, 2);
});

Deno.test("CommandFdReader: never runs ls beside getconf (ls would count its pipes)", async () => {
  let running = 0;
  let most = 0;
  const slow = (stdout: string) => async () => {
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, 5));
    running--;
    return { code: 0, stdout, stderr: "" };
  };
  const { run, calls } = fakeRunner({ ls: slow(LISTING), getconf: slow("1024\n") });
  const reader = new CommandFdReader({ pid: 4242, run, now: () => 0 });
  assert.deepEqual(await Promise.all([reader.maxFds!(), reader.openFds()]), [1024, 9]);
  assert.equal(calls.length, 2);
  assert.equal(most, 1);
});

Deno.test("createFdReader: null without ls; no maxFds without getconf", () => {
  assert.equal(createFdReader({ pid: 1, canRun: () => false }), null);
  const noGetconf = createFdReader({ pid: 1, canRun: (p) => p === "ls" });
  assert.ok(noGetconf);
  assert.equal(noGetconf.maxFds, undefined);
  assert.ok(createFdReader({ pid: 1, canRun: () => true })?.maxFds);
});

function sandboxedProcessMetrics() {
  const registry = new Registry();
  const proc = registerProcessMetrics(registry, {
    program: "server",
    version: "9.9.9",
    runtimeVersion: "2.9.6",
    procFdReadable: false,
    gcProfiler: null,
  });
  return { registry, proc };
}

Deno.test("registerFdFallback: prom-client's gauges from the reader, taken off unavailable", async () => {
  const { registry, proc } = sandboxedProcessMetrics();
  assert.ok(proc.unavailable.includes(FD_UNAVAILABLE));
  registerFdFallback(registry, proc, {
    openFds: () => Promise.resolve(42),
    maxFds: () => Promise.resolve(65536),
  });
  assert.ok(!proc.unavailable.some((u) => u.includes("fds")), proc.unavailable.join("; "));
  const text = await registry.metrics();
  assert.match(
    text,
    /^# HELP miniobserv_process_open_fds Number of open file descriptors\.\n# TYPE miniobserv_process_open_fds gauge\nminiobserv_process_open_fds 42$/m,
  );
  assert.match(
    text,
    /^# HELP miniobserv_process_max_fds Maximum number of open file descriptors\.\n# TYPE miniobserv_process_max_fds gauge\nminiobserv_process_max_fds 65536$/m,
  );
  const families = await registry.getMetricsAsJSON() as unknown as MetricFamilyDescription[];
  assert.deepEqual(lintMetricFamilies(families), []);
});

Deno.test("registerFdFallback: without getconf only the limit is unavailable", async () => {
  const { registry, proc } = sandboxedProcessMetrics();
  registerFdFallback(registry, proc, { openFds: () => Promise.resolve(7) });
  assert.ok(proc.unavailable.includes(MAX_FDS_UNAVAILABLE));
  assert.ok(!proc.unavailable.includes(FD_UNAVAILABLE));
  const text = await registry.metrics();
  assert.match(text, /^miniobserv_process_open_fds 7$/m);
  assert.doesNotMatch(text, /process_max_fds/);
});

Deno.test("registerFdFallback: a failed count leaves the sample out, the scrape goes on", async () => {
  const { registry, proc } = sandboxedProcessMetrics();
  let value: number | null = null;
  const reader: FdReader = { openFds: () => Promise.resolve(value) };
  registerFdFallback(registry, proc, reader);
  const text = await registry.metrics();
  assert.match(text, /^# TYPE miniobserv_process_open_fds gauge$/m);
  assert.doesNotMatch(text, /^miniobserv_process_open_fds /m);
  assert.match(text, /^miniobserv_process_resident_memory_bytes /m);
  value = 12;
  assert.match(await registry.metrics(), /^miniobserv_process_open_fds 12$/m);
  value = null;
  assert.doesNotMatch(await registry.metrics(), /^miniobserv_process_open_fds /m);
});

Deno.test("registerFdFallback: nothing to do when /proc/self/fd gave prom-client's gauges", () => {
  const registry = new Registry();
  const proc = registerProcessMetrics(registry, {
    program: "agent",
    version: "9.9.9",
    runtimeVersion: "2.9.6",
    procFdReadable: true,
    gcProfiler: null,
  });
  const before = [...proc.unavailable];
  registerFdFallback(registry, proc, { openFds: () => Promise.resolve(1) });
  assert.deepEqual(proc.unavailable, before);
});

const LINUX = Deno.build.os === "linux";

function procSelfFdCount(): number {
  // As prom-client counts: every entry but the one readDir itself opened.
  return [...Deno.readDirSync("/proc/self/fd")].length - 1;
}

Deno.test({
  name: "CommandFdReader over real ls and getconf: prom-client's count (within one) and limit",
  ignore: !LINUX,
  async fn() {
    // Spawning may hold a socket for an instant (seen once in 1,200 runs under load): each
    // count within one of prom-client's, and most of them exactly it.
    const diffs: number[] = [];
    for (let i = 0; i < 10; i++) {
      const reader = new CommandFdReader({ pid: Deno.pid, run: runCommand });
      const before = procSelfFdCount();
      const counted = await reader.openFds();
      if (procSelfFdCount() !== before || counted === null) continue;
      diffs.push(counted - before);
    }
    assert.ok(diffs.every((d) => Math.abs(d) <= 1), `differences ${diffs}`);
    assert.ok(diffs.filter((d) => d === 0).length > diffs.length / 2, `differences ${diffs}`);
    const limits = Deno.readTextFileSync("/proc/self/limits");
    const soft = Number(
      limits.split("\n").find((l) => l.startsWith("Max open files"))!.split(/  +/)[1],
    );
    const reader = new CommandFdReader({ pid: Deno.pid, run: runCommand });
    assert.equal(await reader.maxFds!(), soft);
  },
});
