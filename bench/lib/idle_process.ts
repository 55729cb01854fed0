/**
 * The floor under `bench:agent`'s CPU figure: a Deno process that does nothing but wake
 * every 10 s (one empty interval timer), run with the agent task's flags. What it costs per
 * hour is what the runtime and the machine charge for being alive at a 10 s cadence before
 * any work (on the 2-core VMs measured: 0.3–0.5 s/h, with wake-ups of even a C program
 * costing about 0.1 ms each).
 */
setInterval(() => {}, 10_000);
