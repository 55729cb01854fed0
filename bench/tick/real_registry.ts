/**
 * The agent's standard collectors over the real `/proc` and the real statfs, warmed up:
 * what one collection tick costs on this machine. Shared by the `deno bench` file and the
 * median script.
 */
import { createCollectors } from "../../agent/collectors/default_collectors.ts";
import {
  DEFAULT_MOUNT_POINTS_EXCLUDE,
  DEFAULT_NET_EXCLUDE,
} from "../../agent/collectors/defaults.ts";
import { CollectorRegistry } from "../../agent/collectors/registry.ts";
import { Counters } from "../../agent/counters.ts";
import { openStatfs } from "../../agent/statfs/statfs_ffi.ts";
import { createLogger } from "../../shared/log.ts";

const WARM_UP_TICKS = 20;

/** Builds the registry and runs warm-up ticks; throws if any warm-up tick had a failure. */
export async function realTickRegistry(): Promise<CollectorRegistry> {
  const logger = createLogger("error", (line) => console.error(line));
  const counters = new Counters();
  const statfs = openStatfs();
  const registry = new CollectorRegistry(
    createCollectors(
      {
        netInclude: [],
        netExclude: [...DEFAULT_NET_EXCLUDE],
        diskMountsExclude: DEFAULT_MOUNT_POINTS_EXCLUDE,
      },
      {
        host: "bench",
        readFile: (path) => Deno.readTextFile(path),
        now: Date.now,
        statfs: statfs.statfs,
        statfsSync: statfs.statfsSync,
        logger,
        counters,
      },
    ),
    logger,
    counters,
  );
  for (let i = 0; i < WARM_UP_TICKS; i++) await registry.collectAll();
  if (Object.keys(counters.snapshot()).length > 0) {
    throw new Error(`warm-up had failures: ${JSON.stringify(counters.snapshot())}`);
  }
  return registry;
}
