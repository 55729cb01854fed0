import assert from "node:assert/strict";
import { LoadCollector } from "../../../agent/collectors/load_collector.ts";
import { byKey, FakeClock, FakeProc, fixture } from "../helpers.ts";

Deno.test("LoadCollector: real loadavg, three metrics with the host and time", async () => {
  const proc = new FakeProc().set("/proc/loadavg", fixture("vm/loadavg"));
  const clock = new FakeClock();
  const metrics = await new LoadCollector({ host: "vm", readFile: proc.readFile, now: clock.now })
    .collect();
  assert.deepEqual(byKey(metrics), {
    "system.load1{}": 0.07,
    "system.load5{}": 0.13,
    "system.load15{}": 0.06,
  });
  assert.deepEqual(metrics[0], {
    time: "2024-01-01T12:00:00.000Z",
    host: "vm",
    name: "system.load1",
    value: 0.07,
    labels: {},
  });
});

Deno.test("LoadCollector: a malformed file is an error with context", async () => {
  const proc = new FakeProc().set("/proc/loadavg", fixture("edge/loadavg_not_a_number"));
  const load = new LoadCollector({ host: "vm", readFile: proc.readFile, now: Date.now });
  await assert.rejects(load.collect(), /^Error: load: parsing \/proc\/loadavg: load5 "abc"/);
});
