/** `net.bytes_in` and `net.bytes_out` per interface, in bytes per second, from `/proc/net/dev`. */
import type { Metric } from "../../shared/metric.ts";
import { type NetDevCounters, parseNetDev } from "../proc/parse_net_dev.ts";
import { type Collector, type CollectorDeps, metricStamper, readParsed } from "./collector.ts";
import { DEFAULT_NET_EXCLUDE } from "./defaults.ts";
import { RateTracker } from "./rate_tracker.ts";

/** Where the kernel publishes interface counters. */
export const PROC_NET_DEV = "/proc/net/dev";

/** Which interfaces to report: those matching any `include` (all when empty) and no `exclude`. */
export interface InterfaceFilter {
  include: readonly RegExp[];
  exclude: readonly RegExp[];
}

/** The default: every interface but `lo`. */
export const DEFAULT_INTERFACE_FILTER: InterfaceFilter = {
  include: [],
  exclude: DEFAULT_NET_EXCLUDE,
};

/** True when any of `patterns` matches `text`: a plain loop, no closure per call in the jitless agent. */
function anyMatches(patterns: readonly RegExp[], text: string): boolean {
  for (let i = 0; i < patterns.length; i++) {
    if (patterns[i].test(text)) return true;
  }
  return false;
}

/** True when `iface` passes the filter. */
export function interfaceSelected(iface: string, filter: InterfaceFilter): boolean {
  if (filter.include.length > 0 && !anyMatches(filter.include, iface)) return false;
  return !anyMatches(filter.exclude, iface);
}

/** Reports traffic since the previous call; the first call seeds, a counter reset skips a tick. */
export class NetworkCollector implements Collector {
  readonly name = "network";
  #rates = new RateTracker();

  constructor(
    private readonly deps: CollectorDeps,
    private readonly filter: InterfaceFilter = DEFAULT_INTERFACE_FILTER,
  ) {}

  /** Reads `/proc/net/dev` and returns rates for every selected interface seen twice. */
  async collect(): Promise<Metric[]> {
    const counters: NetDevCounters[] = await readParsed(
      this.deps.readFile,
      "network",
      PROC_NET_DEV,
      parseNetDev,
    );
    const timeMs = this.deps.now();
    const metric = metricStamper(this.deps.host, timeMs);
    const out: Metric[] = [];
    const seen = new Set<string>();
    for (let i = 0; i < counters.length; i++) {
      const c = counters[i];
      if (!interfaceSelected(c.iface, this.filter)) continue;
      seen.add(c.iface);
      const rates = this.#rates.update(c.iface, [c.rxBytes, c.txBytes], timeMs);
      if (!rates) continue;
      out.push(metric("net.bytes_in", rates[0], { iface: c.iface }));
      out.push(metric("net.bytes_out", rates[1], { iface: c.iface }));
    }
    this.#rates.retainOnly(seen);
    return out;
  }
}
