import assert from "node:assert/strict";
import {
  DEFAULT_FS_TYPES_EXCLUDE,
  DEFAULT_MOUNT_POINTS_EXCLUDE,
} from "../../../agent/collectors/defaults.ts";
import { FilesystemCollector } from "../../../agent/collectors/filesystem_collector.ts";
import { Counters } from "../../../agent/counters.ts";
import type { StatfsResult } from "../../../agent/statfs/statfs.ts";
import { StatfsGuard } from "../../../agent/statfs/statfs_guard.ts";
import { byKey, capturedLogger, FakeClock, FakeProc, fixture } from "../helpers.ts";

/** statvfs("/") on the VM, as captured: frsize 4096. */
const VM_ROOT: StatfsResult = { frsize: 4096, blocks: 66053021, bfree: 60236284, bavail: 20780991 };
const VM_SANDBOX: StatfsResult = { frsize: 4096, blocks: 1, bfree: 1, bavail: 1 };

function setup(mountinfo: string, statfs: (path: string) => Promise<StatfsResult>) {
  const proc = new FakeProc().set("/proc/self/mountinfo", fixture(mountinfo));
  const counters = new Counters();
  const { logger, lines } = capturedLogger();
  const fs = new FilesystemCollector({
    host: "vm",
    readFile: proc.readFile,
    now: new FakeClock().now,
    statfs,
    logger,
    counters,
  });
  return { fs, counters, lines };
}

Deno.test("FilesystemCollector: real VM mounts: df's total, used and percent", async () => {
  const stats: Record<string, StatfsResult> = {
    "/": VM_ROOT,
    "/mnt/sandboxing/model_tools_env/v1/python": VM_SANDBOX,
  };
  const { fs } = setup("vm/self_mountinfo", (p) => Promise.resolve(stats[p]));
  const metrics = byKey(await fs.collect());
  const root = "{mount=/,device=/dev/vda,fstype=ext4}";
  const used = (66053021 - 60236284) * 4096;
  assert.equal(metrics[`disk.total_bytes${root}`], 66053021 * 4096);
  assert.equal(metrics[`disk.total_bytes${root}`], 270553174016); // df -B1 "1B-blocks"
  assert.equal(metrics[`disk.used_bytes${root}`], used);
  assert.equal(metrics[`disk.used_pct${root}`], used / (used + 20780991 * 4096) * 100);
  assert.equal(Math.ceil(metrics[`disk.used_pct${root}`]), 22); // df's "Use%"
  const sandbox =
    "{mount=/mnt/sandboxing/model_tools_env/v1/python,device=model_tools_unavailable,fstype=tmpfs}";
  assert.equal(metrics[`disk.used_pct${sandbox}`], 0);
  assert.equal(Object.keys(metrics).length, 6);
});

Deno.test("FilesystemCollector: escaped mount point and bind mounts: one series per device", async () => {
  const called: string[] = [];
  const { fs } = setup("edge/mountinfo_edge", (p) => {
    called.push(p);
    return Promise.resolve({ frsize: 1024, blocks: 1000, bfree: 400, bavail: 300 });
  });
  const metrics = await fs.collect();
  assert.deepEqual(called, [
    "/",
    "/mnt/my disk",
    "/run",
    "/mnt/tab\tand\\back",
    "/boot",
    "/device",
    "/data",
  ]);
  const disk = metrics.filter((m) => m.labels.mount === "/mnt/my disk");
  assert.deepEqual(byKey(disk), {
    "disk.total_bytes{mount=/mnt/my disk,device=/dev/sda2,fstype=xfs}": 1024000,
    "disk.used_bytes{mount=/mnt/my disk,device=/dev/sda2,fstype=xfs}": 614400,
    "disk.used_pct{mount=/mnt/my disk,device=/dev/sda2,fstype=xfs}": 600 / 900 * 100,
  });
});

Deno.test("FilesystemCollector: a failing statfs skips that mount only, counted and logged", async () => {
  const { fs, counters, lines } = setup(
    "vm/self_mountinfo",
    (p) =>
      p === "/" ? Promise.reject(new Error('statvfs("/") failed')) : Promise.resolve(VM_SANDBOX),
  );
  const metrics = await fs.collect();
  assert.deepEqual(
    new Set(metrics.map((m) => m.labels.mount)),
    new Set(["/mnt/sandboxing/model_tools_env/v1/python"]),
  );
  assert.equal(counters.get("filesystem_mounts_skipped_total", { reason: "statfs_error" }), 1);
  const warn = lines.find((l) => l.msg === "filesystem: statfs failed; mount skipped")!;
  assert.equal(warn.mount, "/");
  assert.equal(warn.error, 'filesystem: statvfs("/") failed');
});

Deno.test("FilesystemCollector: zero-block file systems are hidden, as df does", async () => {
  const { fs } = setup(
    "vm/self_mountinfo",
    (p) => Promise.resolve(p === "/" ? VM_ROOT : { frsize: 4096, blocks: 0, bfree: 0, bavail: 0 }),
  );
  const mounts = new Set((await fs.collect()).map((m) => m.labels.mount));
  assert.deepEqual(mounts, new Set(["/"]));
});

Deno.test("FilesystemCollector: a stuck statfs is skipped and reported, and never piles up", async () => {
  let release!: (r: StatfsResult) => void;
  const stuck = new Promise<StatfsResult>((resolve) => release = resolve);
  const calls: string[] = [];
  const statfs = (p: string) => {
    calls.push(p);
    return p === "/" ? stuck : Promise.resolve(VM_SANDBOX);
  };
  const recovered: string[] = [];
  const guard = new StatfsGuard(statfs, 20, (m) => recovered.push(m));
  const { fs, counters, lines } = setup("vm/self_mountinfo", (p) => guard.statfs(p));

  const first = await fs.collect(); // waits for the 20 ms timeout on "/"
  assert.deepEqual(
    new Set(first.map((m) => m.labels.mount)),
    new Set(["/mnt/sandboxing/model_tools_env/v1/python"]),
  );
  assert.equal(
    lines.filter((l) => l.msg === "filesystem: statfs timed out; mount skipped until it answers")
      .length,
    1,
  );

  const second = await fs.collect(); // "/" still blocked: skipped at once, no new call
  assert.equal(second.length, 3);
  assert.deepEqual(calls.filter((c) => c === "/"), ["/"]);
  assert.equal(counters.get("filesystem_mounts_skipped_total", { reason: "stuck" }), 2);
  assert.ok(
    lines.some((l) => l.msg === "filesystem: mount still stuck, skipped" && l.level === "debug"),
  );

  release(VM_ROOT); // the blocked call finally returns
  await stuck;
  await Promise.resolve();
  assert.deepEqual(recovered, ["/"]);
  const third = await fs.collect();
  assert.equal(third.length, 6);
  assert.deepEqual(calls.filter((c) => c === "/"), ["/", "/"]);
});

Deno.test("FilesystemCollector: a mount point longer than a label allows is skipped and counted", async () => {
  const long = "/mnt/" + "x".repeat(200);
  const proc = new FakeProc().set(
    "/proc/self/mountinfo",
    `20 1 8:1 / / rw - ext4 /dev/sda1 rw\n21 20 8:2 / ${long} rw - ext4 /dev/sda2 rw\n`,
  );
  const counters = new Counters();
  const { logger } = capturedLogger();
  const fs = new FilesystemCollector({
    host: "vm",
    readFile: proc.readFile,
    now: Date.now,
    statfs: () => Promise.resolve(VM_ROOT),
    logger,
    counters,
  });
  assert.deepEqual(new Set((await fs.collect()).map((m) => m.labels.mount)), new Set(["/"]));
  assert.equal(counters.get("filesystem_mounts_skipped_total", { reason: "label_too_long" }), 1);
});

Deno.test("FilesystemCollector: reading or parsing mountinfo fails with context", async () => {
  const { fs } = setup("edge/mountinfo_no_separator", () => Promise.resolve(VM_ROOT));
  await assert.rejects(fs.collect(), /^Error: filesystem: parsing \/proc\/self\/mountinfo: line 1/);
});

/** A RegExp that counts its `test` calls: how often the mount filter ran. */
class CountingRegExp extends RegExp {
  calls = 0;
  override test(text: string): boolean {
    this.calls++;
    return super.test(text);
  }
}

Deno.test("FilesystemCollector: an unchanged mount table reuses its selection; a changed one is read afresh", async () => {
  const vm = fixture("vm/self_mountinfo");
  const proc = new FakeProc().set("/proc/self/mountinfo", vm);
  const called: string[] = [];
  const mountPointsExclude = new CountingRegExp(DEFAULT_MOUNT_POINTS_EXCLUDE.source);
  const { logger } = capturedLogger();
  const fs = new FilesystemCollector({
    host: "vm",
    readFile: proc.readFile,
    now: new FakeClock().now,
    statfs: (p) => {
      called.push(p);
      return Promise.resolve(VM_ROOT);
    },
    logger,
    counters: new Counters(),
    filter: { mountPointsExclude, fsTypesExclude: DEFAULT_FS_TYPES_EXCLUDE },
  });
  const mounts = async () => [...new Set((await fs.collect()).map((m) => m.labels.mount))];
  const sandbox = "/mnt/sandboxing/model_tools_env/v1/python";

  assert.deepEqual(await mounts(), ["/", sandbox]);
  const filtered = mountPointsExclude.calls;
  assert.ok(filtered > 0);

  // The same text again (a fresh copy, as each read returns): same mounts, not filtered again.
  proc.set("/proc/self/mountinfo", vm.split("").join(""));
  assert.deepEqual(await mounts(), ["/", sandbox]);
  assert.equal(mountPointsExclude.calls, filtered);
  assert.equal(proc.reads.length, 2);

  // A mount added: picked up on the next tick.
  const added = `${vm}42 27 8:16 / /srv rw,relatime - xfs /dev/sdb rw\n`;
  proc.set("/proc/self/mountinfo", added);
  assert.deepEqual(await mounts(), ["/", sandbox, "/srv"]);
  assert.ok(mountPointsExclude.calls > filtered);

  // A broken table fails every tick it is read, and is never taken for the last good one.
  proc.set("/proc/self/mountinfo", fixture("edge/mountinfo_no_separator"));
  for (let i = 0; i < 2; i++) {
    await assert.rejects(
      fs.collect(),
      /^Error: filesystem: parsing \/proc\/self\/mountinfo: line 1/,
    );
  }
  proc.set("/proc/self/mountinfo", added);
  assert.deepEqual(await mounts(), ["/", sandbox, "/srv"]);

  // The mount removed again: gone on the next tick.
  proc.set("/proc/self/mountinfo", vm);
  assert.deepEqual(await mounts(), ["/", sandbox]);
  assert.deepEqual(called, [
    ...["/", sandbox],
    ...["/", sandbox],
    ...["/", sandbox, "/srv"],
    ...["/", sandbox, "/srv"],
    ...["/", sandbox],
  ]);
});
