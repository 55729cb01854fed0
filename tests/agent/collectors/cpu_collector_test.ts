import assert from "node:assert/strict";
import { CpuCollector } from "../../../agent/collectors/cpu_collector.ts";
import { busyTicks, cpuUsagePct, totalTicks } from "../../../agent/collectors/cpu_usage.ts";
import { byKey, FakeClock, FakeProc, fixture } from "../helpers.ts";

function setup() {
  const proc = new FakeProc();
  const clock = new FakeClock();
  const cpu = new CpuCollector({ host: "vm", readFile: proc.readFile, now: clock.now });
  const sample = async (file: string) => {
    proc.set("/proc/stat", fixture(file));
    clock.advance(1000);
    return await cpu.collect();
  };
  return { sample, clock };
}

Deno.test("CpuCollector: first call is a baseline only", async () => {
  const { sample } = setup();
  assert.deepEqual(await sample("vm/stat.1"), []);
});

Deno.test("CpuCollector: real samples one second apart, total and per core, exact", async () => {
  const { sample, clock } = setup();
  await sample("vm/stat.1");
  const metrics = await sample("vm/stat.2");
  // total: user 3113→3114, system 1792→1793, idle 40378→40578: busy +2, all +202.
  // cpu0:  user 1481→1482, system 711→712, idle 20634→20734:   busy +2, all +102.
  // cpu1:  system 1080→1081, idle 19743→19843:                  busy +1, all +101.
  assert.deepEqual(byKey(metrics), {
    "cpu.usage_pct{core=total}": 2 / 202 * 100,
    "cpu.usage_pct{core=0}": 2 / 102 * 100,
    "cpu.usage_pct{core=1}": 1 / 101 * 100,
  });
  assert.ok(Math.abs(metrics[0].value - 0.990099) < 1e-6);
  assert.equal(metrics[0].time, new Date(clock.ms).toISOString());
  assert.equal(metrics[0].host, "vm");
});

Deno.test("CpuCollector: guest is not added again; a core going backwards yields nothing", async () => {
  const { sample } = setup();
  await sample("edge/stat_backwards.1");
  const metrics = await sample("edge/stat_backwards.2");
  // total: user +100, system +50, softirq +10 → busy 160; idle +200 → all 360 (guest +50 ignored).
  // cpu0:  user +60, system +30, softirq +5 → busy 95; idle +90 → all 185.
  // cpu1:  idle 4000 → 3990 went backwards: no value, never a spike.
  assert.deepEqual(byKey(metrics), {
    "cpu.usage_pct{core=total}": 160 / 360 * 100,
    "cpu.usage_pct{core=0}": 95 / 185 * 100,
  });
  assert.ok(Math.abs(metrics[0].value - 44.4444444) < 1e-6);
});

Deno.test("CpuCollector: a core that disappears or appears yields no value that tick", async () => {
  const { sample } = setup();
  await sample("edge/stat_hotplug.1"); // cpu0 cpu1 cpu2
  const second = await sample("edge/stat_hotplug.2"); // cpu1 gone, cpu3 new
  assert.deepEqual(byKey(second), {
    "cpu.usage_pct{core=total}": 150 / 350 * 100, // busy +100 +50, idle +200
    "cpu.usage_pct{core=0}": 75 / 175 * 100, // busy +50 +25, idle +100
    "cpu.usage_pct{core=2}": 60 / 100 * 100, // busy +40 +20, idle +40
  });
  const third = await sample("edge/stat_hotplug.3"); // cpu1 back, cpu3 seen twice now
  assert.deepEqual(byKey(third), {
    "cpu.usage_pct{core=total}": 150 / 350 * 100,
    "cpu.usage_pct{core=0}": 75 / 175 * 100,
    "cpu.usage_pct{core=2}": 15 / 65 * 100, // busy +10 +5, idle +50
    "cpu.usage_pct{core=3}": 30 / 50 * 100, // busy +20 +10, idle +20
  });
});

Deno.test("CpuCollector: a read or parse failure carries context; the baseline survives", async () => {
  const proc = new FakeProc();
  const clock = new FakeClock();
  const cpu = new CpuCollector({ host: "vm", readFile: proc.readFile, now: clock.now });
  await assert.rejects(cpu.collect(), /^Error: cpu: reading \/proc\/stat: No such file/);
  proc.set("/proc/stat", fixture("vm/stat.1"));
  await cpu.collect();
  proc.set("/proc/stat", fixture("edge/stat_truncated"));
  await assert.rejects(cpu.collect(), /^Error: cpu: parsing \/proc\/stat: line 2/);
  proc.set("/proc/stat", fixture("vm/stat.2"));
  assert.equal((await cpu.collect()).length, 3);
});

Deno.test("CpuCollector: cores listed out of order are reported in ascending order", async () => {
  const proc = new FakeProc();
  const cpu = new CpuCollector({ host: "vm", readFile: proc.readFile, now: new FakeClock().now });
  proc.set(
    "/proc/stat",
    "cpu  30 0 0 30 0 0 0 0\ncpu10 10 0 0 10 0 0 0 0\ncpu2 20 0 0 20 0 0 0 0\n",
  );
  await cpu.collect();
  proc.set(
    "/proc/stat",
    "cpu  60 0 0 60 0 0 0 0\ncpu10 30 0 0 10 0 0 0 0\ncpu2 30 0 0 30 0 0 0 0\n",
  );
  const metrics = await cpu.collect();
  assert.deepEqual(metrics.map((m) => [m.labels.core, m.value]), [
    ["total", 50],
    ["2", 50],
    ["10", 100],
  ]);
});

Deno.test("cpuUsagePct: busy and total counts, zero elapsed ticks", () => {
  const t = { user: 1, nice: 2, system: 3, idle: 4, iowait: 5, irq: 6, softirq: 7, steal: 8 };
  assert.equal(busyTicks(t), 1 + 2 + 3 + 6 + 7);
  assert.equal(totalTicks(t), 36);
  assert.equal(cpuUsagePct(t, t), null);
  assert.equal(cpuUsagePct(t, { ...t, iowait: 9, steal: 10, user: 3 }), 2 / 8 * 100);
});
