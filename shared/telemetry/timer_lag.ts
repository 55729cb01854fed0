/**
 * Event-loop lag measured from the timers a program runs anyway: how late each one fired.
 *
 * `monitorEventLoopDelay` (event_loop.ts) samples the loop with a timer of its own, every
 * 10 ms by default, and under Deno each of those wake-ups costs the process CPU even when
 * it has nothing to do: measured on the agent at a 10 s interval, prom-client's monitor and
 * the snapshots' one together cost about 15 s of CPU per hour, fifteen times the agent's
 * whole budget (`deno task bench:agent`). A program that sleeps between short bursts of
 * work (the agent) measures instead how late its own sleeps end: a timer that fires late is
 * exactly what a blocked loop causes, and it costs nothing extra. The figures cover only
 * the moments those timers were due (one per tick and per delivery wait), which is where
 * the agent's work happens.
 *
 * Two windows are kept: one read (and reset) by each memory snapshot (`sample`, the
 * `LagSampler` the snapshots use) and one read (and reset) by each `/metrics` scrape
 * (`scrape`, the `nodejs_eventloop_lag_*` gauges), so a scrape never erases what the next
 * snapshot reports. Each window keeps at most `capacity` delays (the newest), enough for
 * one per second over a 5-minute snapshot interval.
 *
 * @example
 * ```ts
 * const lag = new TimerLagRecorder();
 * const sleep = lagRecordingSleep(realSleep, lag, performance.now.bind(performance));
 * await sleep(1000);   // fires 3 ms late → lag.record(3)
 * lag.sample();        // { p99Seconds: 0.003, maxSeconds: 0.003, meanSeconds: 0.003 }
 * ```
 */
import type { LagSample, LagSampler } from "./event_loop.ts";

/** Statistics of one window, in seconds, as prom-client's `nodejs_eventloop_lag_*` gauges. */
export interface LagStats {
  /** The most recent delay. */
  lastSeconds: number;
  minSeconds: number;
  maxSeconds: number;
  meanSeconds: number;
  stddevSeconds: number;
  p50Seconds: number;
  p90Seconds: number;
  p99Seconds: number;
}

/** Waits `ms` (or less when `signal` aborts); the agent's `Sleep`. */
type SleepFn = (ms: number, signal?: AbortSignal) => Promise<void>;

const DEFAULT_CAPACITY = 512;

class Window {
  #values: number[] = [];
  constructor(private readonly capacity: number) {}

  add(ms: number): void {
    if (this.#values.length >= this.capacity) this.#values.shift();
    this.#values.push(ms);
  }

  /** The delays since the previous call, oldest first; the window is emptied. */
  take(): number[] {
    const v = this.#values;
    this.#values = [];
    return v;
  }
}

/** Nearest-rank percentile of sorted values. */
function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

/** Lag recorded from timer delays; see the module comment. */
export class TimerLagRecorder implements LagSampler {
  readonly #snapshot: Window;
  readonly #scrape: Window;

  constructor(capacity = DEFAULT_CAPACITY) {
    if (!(Number.isInteger(capacity) && capacity > 0)) {
      throw new Error(`timer lag: capacity must be a positive integer, got ${capacity}`);
    }
    this.#snapshot = new Window(capacity);
    this.#scrape = new Window(capacity);
  }

  /** Records that a timer fired `lateMs` milliseconds after it was due (negative counts as 0). */
  record(lateMs: number): void {
    if (!Number.isFinite(lateMs)) return;
    const ms = Math.max(0, lateMs);
    this.#snapshot.add(ms);
    this.#scrape.add(ms);
  }

  /** The snapshots' figures since the previous call; null when no timer fired meanwhile. */
  sample(): LagSample | null {
    const s = stats(this.#snapshot.take());
    return s && { p99Seconds: s.p99Seconds, maxSeconds: s.maxSeconds, meanSeconds: s.meanSeconds };
  }

  /** The scrape's figures since the previous scrape; null when no timer fired meanwhile. */
  scrape(): LagStats | null {
    return stats(this.#scrape.take());
  }

  stop(): void {}
}

function stats(values: number[]): LagStats | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const variance = values.reduce((a, b) => a + (b - mean) ** 2, 0) / values.length;
  const s = (ms: number) => ms / 1000;
  return {
    lastSeconds: s(values[values.length - 1]),
    minSeconds: s(sorted[0]),
    maxSeconds: s(sorted[sorted.length - 1]),
    meanSeconds: s(mean),
    stddevSeconds: s(Math.sqrt(variance)),
    p50Seconds: s(percentile(sorted, 50)),
    p90Seconds: s(percentile(sorted, 90)),
    p99Seconds: s(percentile(sorted, 99)),
  };
}

/**
 * `sleep` that records how late each full wait ended (a wait cut short by `signal` is not a
 * measurement). `now` is a monotonic clock in milliseconds (`performance.now`).
 */
export function lagRecordingSleep(
  sleep: SleepFn,
  recorder: Pick<TimerLagRecorder, "record">,
  now: () => number,
): SleepFn {
  return async (ms, signal) => {
    const due = now() + Math.max(0, ms);
    await sleep(ms, signal);
    if (!signal?.aborted) recorder.record(now() - due);
  };
}
