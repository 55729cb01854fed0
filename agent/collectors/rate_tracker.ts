/**
 * Turns cumulative counters into per-second rates between two samples.
 *
 * The first sample of a key only seeds it; a counter that goes backwards (reset or wrap)
 * reseeds and yields nothing, never a spike; the elapsed time is the measured one.
 *
 * @example
 * ```ts
 * const rates = new RateTracker();
 * rates.update("eth0", [100], 0);      // null: seeding
 * rates.update("eth0", [300], 2000);   // [100] per second
 * ```
 */

interface Sample {
  timeMs: number;
  values: readonly number[];
}

/** Per-key counter memory producing rates per second. */
export class RateTracker {
  #previous = new Map<string, Sample>();

  /** Records `values` for `key` at `timeMs` and returns the rates since the last sample, or null. */
  update(key: string, values: readonly number[], timeMs: number): number[] | null {
    const prev = this.#previous.get(key);
    this.#previous.set(key, { timeMs, values });
    if (!prev || prev.values.length !== values.length) return null;
    const seconds = (timeMs - prev.timeMs) / 1000;
    if (!(seconds > 0)) return null;
    if (values.some((v, i) => v < prev.values[i])) return null;
    return values.map((v, i) => (v - prev.values[i]) / seconds);
  }

  /** Forgets every key not in `seen`, so a device that vanishes and returns is seeded afresh. */
  retainOnly(seen: ReadonlySet<string>): void {
    for (const key of this.#previous.keys()) {
      if (!seen.has(key)) this.#previous.delete(key);
    }
  }
}
