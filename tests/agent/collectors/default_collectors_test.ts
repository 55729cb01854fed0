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
