/**
 * Prints the median (and p90, p99) of one full agent collection tick over many ticks,
 * since `deno bench` reports mean and p75 but no median. Target: median under 2 ms.
 *
 * Run: `deno task bench` (or `deno run -A bench/tick/median.ts [ticks]`).
 */
import { realTickRegistry } from "./real_registry.ts";

const TARGET_MS = 2;
const ticks = Number(Deno.args[0] ?? 2000);
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
console.log(
  `agent tick over ${ticks} ticks: median ${median.toFixed(3)} ms, p90 ${at(0.9).toFixed(3)} ms, ` +
    `p99 ${at(0.99).toFixed(3)} ms — target median < ${TARGET_MS} ms: ${
      median < TARGET_MS ? "PASS" : "MISS"
    }`,
);
