/** Fakes for the self-monitor: timers fired by hand, a fixed memory reading, a GC tracker. */
import type { IntervalTimers } from "../../../shared/telemetry/self_monitor.ts";

/** Interval timers that run only when `fire(ms)` is called for their interval. */
export class ManualTimers implements IntervalTimers {
  readonly active = new Map<number, { fn: () => void; ms: number }>();
  #next = 1;
  setInterval = (fn: () => void, ms: number): number => {
    const id = this.#next++;
    this.active.set(id, { fn, ms });
    return id;
  };
  clearInterval = (id: number): void => {
    this.active.delete(id);
  };
  /** Runs every active timer of interval `ms`. */
  fire(ms: number): void {
    for (const t of [...this.active.values()]) if (t.ms === ms) t.fn();
  }
}

/** A GC tracker whose totals tests set. */
export class FakeGc {
  harvests = 0;
  count = 0;
  pauseSeconds = 0;
  harvest = (): void => {
    this.harvests++;
  };
  totals = () => ({ count: this.count, pauseSeconds: this.pauseSeconds });
}

/** Lets pending promise callbacks run. */
export function settle(): Promise<void> {
  return new Promise((r) => setTimeout(r, 0));
}
