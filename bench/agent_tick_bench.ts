/**
 * One full agent collection tick: every standard collector over the real `/proc`, with the
 * real statfs (libc through FFI), after a warm-up. Target: under 2 ms per tick.
 *
 * Run: `deno task bench` (which also prints the median with bench/tick/median.ts).
 */
import { realTickRegistry } from "./tick/real_registry.ts";

const registry = await realTickRegistry();

Deno.bench("agent: one full collection tick (real /proc, real statfs)", async () => {
  await registry.collectAll();
});
