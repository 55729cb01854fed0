import assert from "node:assert/strict";
import { MemoryCollector } from "../../../agent/collectors/memory_collector.ts";
import { byKey, FakeClock, FakeProc, fixture } from "../helpers.ts";

function collector(file: string) {
  const proc = new FakeProc().set("/proc/meminfo", fixture(file));
  return new MemoryCollector({ host: "vm", readFile: proc.readFile, now: new FakeClock().now });
}

Deno.test("MemoryCollector: real meminfo: total, used = total − available, percent", async () => {
  const metrics = await collector("vm/meminfo").collect();
  const total = 24684084 * 1024; // MemTotal kB
  const used = (24684084 - 24108544) * 1024; // MemTotal − MemAvailable
  assert.deepEqual(byKey(metrics), {
    "mem.total_bytes{}": total,
    "mem.used_bytes{}": used,
    "mem.used_pct{}": used / total * 100,
  });
  assert.equal(metrics[1].value, 589352960);
});

Deno.test("MemoryCollector: small hand-made file, exact percent", async () => {
  const metrics = await collector("edge/meminfo_small").collect();
  assert.deepEqual(byKey(metrics), {
    "mem.total_bytes{}": 2048000 * 1024,
    "mem.used_bytes{}": 512000 * 1024,
    "mem.used_pct{}": 25,
  });
});

Deno.test("MemoryCollector: MemAvailable missing (old kernel) is an error with context", async () => {
  await assert.rejects(
    collector("edge/meminfo_no_available").collect(),
    /^Error: memory: parsing \/proc\/meminfo: MemAvailable missing/,
  );
});

Deno.test("MemoryCollector: a bad line and a missing file are errors with context", async () => {
  await assert.rejects(
    collector("edge/meminfo_bad_value").collect(),
    /memory: parsing \/proc\/meminfo: line 2/,
  );
  const none = new MemoryCollector({ host: "h", readFile: new FakeProc().readFile, now: Date.now });
  await assert.rejects(none.collect(), /memory: reading \/proc\/meminfo: No such file/);
});
