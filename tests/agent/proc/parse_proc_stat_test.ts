import assert from "node:assert/strict";
import { parseProcStat } from "../../../agent/proc/parse_proc_stat.ts";
import { ProcParseError } from "../../../agent/proc/parse_error.ts";
import { fixture } from "../helpers.ts";

Deno.test("parseProcStat: real /proc/stat of the VM: total and both cores, exact", () => {
  const stat = parseProcStat(fixture("vm/stat.1"));
  // "cpu  3113 0 1792 40378 331 0 57 11 0 0"
  assert.deepEqual(stat.total, {
    user: 3113,
    nice: 0,
    system: 1792,
    idle: 40378,
    iowait: 331,
    irq: 0,
    softirq: 57,
    steal: 11,
  });
  assert.deepEqual([...stat.cores.keys()], [0, 1]);
  // "cpu1 1632 0 1080 19743 315 0 40 9 0 0"
  assert.equal(stat.cores.get(1)!.idle, 19743);
  assert.equal(stat.cores.get(1)!.steal, 9);
});

Deno.test("parseProcStat: guest and guest_nice are read past and ignored", () => {
  const stat = parseProcStat(fixture("edge/stat_backwards.1"));
  assert.equal(stat.total.user, 1000);
  assert.equal(stat.total.steal, 3);
  assert.equal("guest" in stat.total, false);
});

Deno.test("parseProcStat: an old kernel's 7-field lines count steal as 0", () => {
  const stat = parseProcStat(fixture("edge/stat_old_kernel"));
  assert.deepEqual(stat.cores.get(0), {
    user: 100,
    nice: 2,
    system: 30,
    idle: 1000,
    iowait: 5,
    irq: 1,
    softirq: 4,
    steal: 0,
  });
});

Deno.test("parseProcStat: a truncated line is refused, naming the line", () => {
  assert.throws(
    () => parseProcStat(fixture("edge/stat_truncated")),
    (e: unknown) =>
      e instanceof ProcParseError &&
      /^line 2 \("cpu0 100 2"\): expected at least 4/.test(e.message),
  );
});

Deno.test("parseProcStat: a non-number is refused, naming the line and field", () => {
  assert.throws(
    () => parseProcStat(fixture("edge/stat_not_a_number")),
    /line 2 .*system is not a whole number/,
  );
});

Deno.test("parseProcStat: a file without the cpu line is refused", () => {
  assert.throws(() => parseProcStat(fixture("edge/stat_no_cpu_line")), /no "cpu" line/);
  assert.throws(() => parseProcStat(""), /no "cpu" line/);
});
