/** Waiting that a shutdown can cut short, on any timers. */

/** Waits `ms`, or less when `signal` aborts; never rejects. */
export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

/** One-shot timers: the global ones, or the agent's AlarmClock (alarm_clock.ts). */
export interface TimeoutTimers {
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number): void;
}

/** The global `setTimeout`/`clearTimeout`. */
export const globalTimeouts: TimeoutTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms) as unknown as number,
  clearTimeout: (id) => clearTimeout(id),
};

/** A Sleep on `timers`: resolves after `ms`, or at once when `signal` aborts (clearing its timer). */
export function timerSleep(timers: TimeoutTimers): Sleep {
  return (ms, signal) =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const done = () => {
        timers.clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      };
      const timer = timers.setTimeout(done, Math.max(0, ms));
      signal?.addEventListener("abort", done, { once: true });
    });
}

/** The real Sleep, on the global timers. */
export const sleep: Sleep = timerSleep(globalTimeouts);
