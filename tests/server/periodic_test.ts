import assert from "node:assert/strict";
import { createLogger } from "../../shared/log.ts";
import { startPeriodic } from "../../server/periodic.ts";

/** Manual timers: `fire()` runs the pending callback as if its delay had passed. */
function manualTimers() {
  const pending = new Map<number, { fn: () => void; ms: number }>();
  let next = 1;
  return {
    pending,
    setTimeout(fn: () => void, ms: number) {
      pending.set(next, { fn, ms });
      return next++;
    },
    clearTimeout(id: number) {
      pending.delete(id);
    },
    async fire() {
      const [[id, t]] = [...pending];
      pending.delete(id);
      t.fn();
      await new Promise((r) => setTimeout(r, 0));
    },
  };
}

Deno.test("periodic: first run after one interval, then again after each run; failures logged, not fatal", async () => {
  const lines: string[] = [];
  const log = createLogger("info", (l) => lines.push(l));
  const timers = manualTimers();
  let runs = 0;
  const job = startPeriodic(
    "job",
    5000,
    () => {
      runs++;
      if (runs === 1) return Promise.reject(new Error("boom"));
      return Promise.resolve();
    },
    log,
    timers,
  );
  assert.equal(runs, 0);
  assert.equal([...timers.pending.values()][0].ms, 5000);
  await timers.fire();
  assert.equal(runs, 1);
  assert.match(lines[0], /"msg":"job failed".*"error":"boom"/);
  assert.equal(timers.pending.size, 1, "rescheduled after a failure");
  await timers.fire();
  assert.equal(runs, 2);
  await job.stop();
  assert.equal(timers.pending.size, 0, "stop clears the timer");
  await job.runNow();
  assert.equal(runs, 2, "no run after stop");
});
