/** The standard set of collectors, wired from the configuration and injected OS access. */
import type { Logger } from "../../shared/log.ts";
import type { AgentConfig } from "../config.ts";
import type { Counters } from "../counters.ts";
import { answersFromMemory, type Statfs, type StatfsSync } from "../statfs/statfs.ts";
import { StatfsGuard } from "../statfs/statfs_guard.ts";
import type { Collector, CollectorDeps } from "./collector.ts";
import { CpuCollector } from "./cpu_collector.ts";
import { DEFAULT_FS_TYPES_EXCLUDE, STATFS_TIMEOUT_MS } from "./defaults.ts";
import { DiskIoCollector } from "./disk_io_collector.ts";
import { FilesystemCollector } from "./filesystem_collector.ts";
import { LoadCollector } from "./load_collector.ts";
import { MemoryCollector } from "./memory_collector.ts";
import { NetworkCollector } from "./network_collector.ts";

/** OS access and reporting the collectors are given; `statfs` null leaves out the filesystem collector. */
export interface CollectorEnvironment extends CollectorDeps {
  statfs: Statfs | null;
  /** statfs on this thread, used for local file systems (`answersFromMemory`) when given. */
  statfsSync?: StatfsSync;
  logger: Logger;
  counters: Counters;
  statfsTimeoutMs?: number;
}

/** Builds cpu, memory, filesystem (when statfs exists), disk I/O, network and load collectors. */
export function createCollectors(
  config: Pick<AgentConfig, "netInclude" | "netExclude" | "diskMountsExclude">,
  env: CollectorEnvironment,
): Collector[] {
  const deps: CollectorDeps = { host: env.host, readFile: env.readFile, now: env.now };
  const collectors: Collector[] = [new CpuCollector(deps), new MemoryCollector(deps)];
  if (env.statfs) {
    const guard = new StatfsGuard(
      env.statfs,
      env.statfsTimeoutMs ?? STATFS_TIMEOUT_MS,
      (mount) => env.logger.info("filesystem: stuck mount answered again", { mount }),
    );
    collectors.push(
      new FilesystemCollector({
        ...deps,
        statfs: (path, fsType) => {
          const sync = env.statfsSync;
          if (!sync || !answersFromMemory(fsType)) return guard.statfs(path);
          try {
            return Promise.resolve(sync(path));
          } catch (e) {
            return Promise.reject(e);
          }
        },
        logger: env.logger,
        counters: env.counters,
        filter: {
          mountPointsExclude: config.diskMountsExclude,
          fsTypesExclude: DEFAULT_FS_TYPES_EXCLUDE,
        },
      }),
    );
  }
  collectors.push(
    new DiskIoCollector(deps),
    new NetworkCollector(deps, { include: config.netInclude, exclude: config.netExclude }),
    new LoadCollector(deps),
  );
  return collectors;
}
