/**
 * Prints the median (and p90, p99) of one full agent collection tick over many ticks,
 * since `deno bench` reports mean and p75 but no median. Target: median under 2 ms.
 *
 * Then runs itself again under the `agent` task's flags from deno.json (`--jitless` among
 * them, so every bytecode is interpreted, as in the running agent) and prints that median
 * too, with what it comes to per hour at the default 10 s interval. That second figure is
 * the one the agent's CPU per hour is made of; the first is what `deno bench` compares.
 *
 * Run: `deno task bench` (or `deno run -A bench/tick/median.ts [ticks]`; add `--as-agent`
 * to measure only in the current process, labelled as the agent's run).
 */
import { agentTaskFlags } from "../../scripts/task_flags.ts";
import { realTickRegistry } from "./real_registry.ts";

const TARGET_MS = 2;
/** The agent's default collection interval: ticks per hour at 10 s. */
const TICKS_PER_HOUR = 360;
const asAgent = Deno.args.includes("--as-agent");
const ticks = Number(Deno.args.find((a) => a !== "--as-agent") ?? 2000);

const registry = await realTickRegistry();
const ms: number[] = [];
for (let i = 0; i < ticks; i++) {
  const t0 = performance.now();
  await registry.collectAll();
  ms.push(performance.now() - t0);
}
ms.sort((a, b) => a - b);
const at = (q: number) => ms[Math.min(ms.length - 1, Math.floor(q * ms.length))];
const median = at(0.5);
const spread = `median ${median.toFixed(3)} ms, p90 ${at(0.9).toFixed(3)} ms, ` +
  `p99 ${at(0.99).toFixed(3)} ms`;

if (asAgent) {
  console.log(
    `agent tick under the agent task's flags (jitless) over ${ticks} ticks: ${spread} — ` +
      `${(median * TICKS_PER_HOUR / 1000).toFixed(3)} s of tick time per hour at a 10 s interval`,
  );
} else {
  console.log(
    `agent tick over ${ticks} ticks: ${spread} — target median < ${TARGET_MS} ms: ${
      median < TARGET_MS ? "PASS" : "MISS"
    }`,
  );
  const self = new URL(import.meta.url).pathname;
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...agentTaskFlags(), self, String(ticks), "--as-agent"],
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!run.success) throw new Error(`the run under the agent task's flags failed (${run.code})`);
}
