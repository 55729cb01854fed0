/** One full tick of the standard collectors over the VM's real /proc captures. */
import assert from "node:assert/strict";
import { createCollectors } from "../../../agent/collectors/default_collectors.ts";
import { DEFAULT_MOUNT_POINTS_EXCLUDE } from "../../../agent/collectors/defaults.ts";
import { CollectorRegistry } from "../../../agent/collectors/registry.ts";
import { Counters } from "../../../agent/counters.ts";
import { validateBatch } from "../../../shared/metric.ts";
import { byKey, capturedLogger, FakeClock, FakeProc, fixture } from "../helpers.ts";

function vmProc(sample: 1 | 2): FakeProc {
  return new FakeProc()
    .set("/proc/stat", fixture(`vm/stat.${sample}`))
    .set("/proc/net/dev", fixture(`vm/net_dev.${sample}`))
    .set("/proc/diskstats", fixture(`vm/diskstats.${sample}`))
    .set("/proc/meminfo", fixture("vm/meminfo"))
    .set("/proc/loadavg", fixture("vm/loadavg"))
    .set("/proc/self/mountinfo", fixture("vm/self_mountinfo"));
}

const config = {
  netInclude: [],
  netExclude: [/^lo$/],
  diskMountsExclude: DEFAULT_MOUNT_POINTS_EXCLUDE,
};

Deno.test("createCollectors: the six collectors, filesystem only when statfs exists", () => {
  const { logger } = capturedLogger();
  const env = {
    host: "vm",
    readFile: new FakeProc().readFile,
    now: Date.now,
    logger,
    counters: new Counters(),
  };
  assert.deepEqual(
    createCollectors(config, { ...env, statfs: () => Promise.reject(new Error("x")) }).map((c) =>
      c.name
    ),
    ["cpu", "memory", "filesystem", "diskio", "network", "load"],
  );
  assert.deepEqual(createCollectors(config, { ...env, statfs: null }).map((c) => c.name), [
    "cpu",
    "memory",
    "diskio",
    "network",
    "load",
  ]);
});

Deno.test("createCollectors: two ticks over the VM captures give every family, valid as a batch", async () => {
  let proc = vmProc(1);
  const clock = new FakeClock();
  const { logger } = capturedLogger();
  const counters = new Counters();
  const collectors = createCollectors(config, {
    host: "vm",
    readFile: (p) => proc.readFile(p),
    now: clock.now,
    statfs: () => Promise.resolve({ frsize: 4096, blocks: 100, bfree: 50, bavail: 40 }),
    logger,
    counters,
  });
  const registry = new CollectorRegistry(collectors, logger, counters);
  await registry.collectAll();
  proc = vmProc(2);
  clock.advance(1000);
  const metrics = await registry.collectAll();
  const families = [...new Set(metrics.map((m) => m.name))].sort();
  assert.deepEqual(families, [
    "cpu.usage_pct",
    "disk.read_bytes",
    "disk.total_bytes",
    "disk.used_bytes",
    "disk.used_pct",
    "disk.write_bytes",
    "mem.total_bytes",
    "mem.used_bytes",
    "mem.used_pct",
    "net.bytes_in",
    "net.bytes_out",
    "system.load1",
    "system.load15",
    "system.load5",
  ]);
  assert.equal(metrics.length, 3 + 3 + 6 + 2 + 6 + 3);
  assert.equal(byKey(metrics)["net.bytes_in{iface=eth0}"], 5006508);
  assert.ok(validateBatch({ id: "vm-1-1", host: "vm", metrics }).ok);
  assert.deepEqual(counters.snapshot(), {});
});

Deno.test("createCollectors: local file systems are statted on this thread, others through the guard", async () => {
  const { logger } = capturedLogger();
  const onThread: string[] = [];
  const guarded: string[] = [];
  const result = { frsize: 1024, blocks: 1000, bfree: 400, bavail: 300 };
  const [fs] = createCollectors(config, {
    host: "vm",
    readFile: new FakeProc().set("/proc/self/mountinfo", fixture("edge/mountinfo_edge")).readFile,
    now: Date.now,
    statfs: (p) => {
      guarded.push(p);
      return Promise.resolve(result);
    },
    statfsSync: (p) => {
      onThread.push(p);
      if (p === "/boot") throw new Error('statvfs("/boot") failed');
      return result;
    },
    logger,
    counters: new Counters(),
  }).filter((c) => c.name === "filesystem");
  const metrics = await fs.collect();
  // ext4, xfs, tmpfs and vfat answer from memory; the NFS mount may hang, so it is guarded.
  assert.deepEqual(onThread, ["/", "/mnt/my disk", "/run", "/boot", "/device", "/data"]);
  assert.deepEqual(guarded, ["/mnt/tab\tand\\back"]);
  // A synchronous failure skips that mount only, like an asynchronous one.
  const mounts = new Set(metrics.map((m) => m.labels.mount));
  assert.ok(!mounts.has("/boot"));
  assert.equal(mounts.size, 6);
});
