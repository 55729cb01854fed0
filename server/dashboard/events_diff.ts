/**
 * What changed since the last event sent to one page, so each event carries only the hosts
 * whose row differs (or that appeared or went away). Pure.
 */
import type { HostSummary } from "./fleet_summary.ts";

/** One `hosts` event: `full` on the first one of a connection. */
export interface HostsChange {
  full: boolean;
  hosts: HostSummary[];
  removed: string[];
}

/** Remembers what one connection was sent. */
export class HostDiffer {
  #sent: Map<string, string> | null = null;

  /** The change since the last call (all hosts on the first), or null when nothing changed. */
  diff(hosts: readonly HostSummary[]): HostsChange | null {
    const next = new Map(hosts.map((h) => [h.host, JSON.stringify(h)]));
    const prev = this.#sent;
    this.#sent = next;
    if (prev === null) return { full: true, hosts: [...hosts], removed: [] };
    const changed = hosts.filter((h) => prev.get(h.host) !== next.get(h.host));
    const removed = [...prev.keys()].filter((h) => !next.has(h));
    return changed.length === 0 && removed.length === 0
      ? null
      : { full: false, hosts: changed, removed };
  }
}

/** Remembers the last value of some JSON-able thing sent to one connection. */
export class ValueDiffer {
  #sent: string | null = null;

  /** True when `value` differs from the last one given (always on the first call). */
  changed(value: unknown): boolean {
    const text = JSON.stringify(value);
    if (text === this.#sent) return false;
    this.#sent = text;
    return true;
  }
}
