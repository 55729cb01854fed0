/**
 * Runs an async job every `intervalMs`, never two at once, logging failures
 * without stopping. Timers are injected so tests drive it without waiting.
 */
import type { Logger } from "../shared/log.ts";

/** Timer functions (the global ones in `main.ts`). */
export interface Timers {
  setTimeout(fn: () => void, ms: number): number;
  clearTimeout(id: number): void;
}

/** A started periodic job; `stop()` waits for a run in progress. */
export interface PeriodicJob {
  stop(): Promise<void>;
  /** Resolves after the current (or next) run completes; for tests and start-up. */
  runNow(): Promise<void>;
}

/** Runs `job` every `intervalMs` (the first run one interval from now), each run after the previous ends. */
export function startPeriodic(
  name: string,
  intervalMs: number,
  job: () => Promise<void>,
  log: Logger,
  timers: Timers,
): PeriodicJob {
  let timer: number | undefined;
  let running: Promise<void> = Promise.resolve();
  let stopped = false;
  const run = (): Promise<void> => {
    running = running.then(async () => {
      if (stopped) return;
      try {
        await job();
      } catch (e) {
        log.error(`${name} failed`, { error: e });
      }
    });
    return running;
  };
  const loop = async () => {
    await run();
    if (!stopped) timer = timers.setTimeout(loop, intervalMs);
  };
  timer = timers.setTimeout(loop, intervalMs);
  return {
    runNow: run,
    async stop() {
      stopped = true;
      if (timer !== undefined) timers.clearTimeout(timer);
      await running;
    },
  };
}
