/**
 * The agent's timers (its collect-loop sleep, request timeouts, backoff pauses and
 * self-snapshot interval) multiplexed onto ONE one-shot timer that is re-armed for the
 * earliest deadline and disarmed when nothing is due.
 *
 * Why: the agent idles between ticks, and on the machines it was measured on every
 * wake-up of an idle Deno process costs 0.1–0.5 ms of CPU (`deno task bench:agent`), while
 * its budget is under 1 s of CPU per hour. Deno's own timers cost extra wake-ups:
 * - a far timer sits in a coarse slot of tokio's timer wheel, and the runtime wakes up to
 *   move it to a finer slot: a 10 s sleep wakes the process two or three times, not once;
 * - a cleared timer still wakes the process when it would have been due (each request's
 *   10 s timeout did, after the answer had long arrived).
 * Behind this clock, the one-shot timer is a POSIX timer (posix_timer.ts): the kernel wakes
 * the process once, at the deadline, and cancelling costs nothing. Where that is
 * unavailable, `webOneShot` runs the same clock on a web timer.
 *
 * @example
 * ```ts
 * const clock = new AlarmClock(webOneShot, () => performance.now());
 * await clock.sleep(10_000, signal);
 * const id = clock.setTimeout(() => controller.abort(), 10_000);
 * clock.clearTimeout(id);
 * ```
 */
import { type Sleep, type TimeoutTimers, timerSleep } from "./sleep.ts";

/** A one-shot timer: `arm` (re)sets it to fire once after `delayMs`; `disarm` cancels it. */
export interface OneShotTimer {
  arm(delayMs: number): void;
  disarm(): void;
  /** Releases what the timer holds (the clock is unusable afterwards). */
  close(): void;
}

/** Makes the one-shot timer that calls `onFire` when due. */
export type OneShotFactory = (onFire: () => void) => OneShotTimer;

/** setTimeout/clearTimeout and setInterval/clearInterval, as the agent's modules take them. */
export interface Timers extends TimeoutTimers {
  setInterval(fn: () => void, ms: number): number;
  clearInterval(id: number): void;
}

/**
 * Deadlines within this much of the present run in the wake-up at hand: the one-shot timer
 * rounds to its own clock, and a second wake-up for a fraction of a millisecond would cost
 * more than it is worth to anyone waiting on the agent's timers.
 */
export const DUE_SLACK_MS = 1;

interface Entry {
  id: number;
  at: number;
  fn: () => void;
  /** Repeat period for intervals, else 0. */
  every: number;
  /** How much earlier than `at` the entry may run when the process is awake anyway. */
  slack: number;
}

/** Options of a timer on the clock. */
export interface TimerOptions {
  /**
   * Timer coalescing: the callback may run up to this many milliseconds early, in a wake-up
   * that happens anyway (a tick), instead of waking the process on its own. It never runs
   * late for it: the deadline stays a deadline. Default 0.
   */
  slackMs?: number;
}

/** A one-shot timer on the web `setTimeout`. */
export const webOneShot: OneShotFactory = (onFire) => {
  let id: ReturnType<typeof setTimeout> | undefined;
  const disarm = () => {
    if (id !== undefined) clearTimeout(id);
    id = undefined;
  };
  return {
    arm(delayMs) {
      disarm();
      id = setTimeout(() => {
        id = undefined;
        onFire();
      }, Math.max(0, delayMs));
    },
    disarm,
    close: disarm,
  };
};

/** Timers multiplexed onto one one-shot timer; see the module comment. */
export class AlarmClock implements Timers {
  readonly #timer: OneShotTimer;
  readonly #now: () => number;
  /** Pending entries, earliest first. */
  #entries: Entry[] = [];
  #nextId = 1;
  /** The deadline the one-shot timer is armed for, or null when disarmed. */
  #armedAt: number | null = null;
  #firing = false;
  /** While firing: the ids of the entries due in this wake-up that were not cleared. */
  #due = new Set<number>();

  readonly #onError: (error: unknown) => void;

  /**
   * `now`: a monotonic clock in milliseconds (`performance.now` in main.ts). `onError`: told
   * about an exception a callback threw (default: re-thrown outside the clock, as a web
   * timer's would be); the other callbacks of the wake-up still run.
   */
  constructor(oneShot: OneShotFactory, now: () => number, onError?: (error: unknown) => void) {
    this.#timer = oneShot(() => this.#fire());
    this.#now = now;
    this.#onError = onError ?? ((error) =>
      queueMicrotask(() => {
        throw error;
      }));
  }

  /** How many timers are pending (for tests and the report). */
  get pending(): number {
    return this.#entries.length;
  }

  setTimeout(fn: () => void, ms: number, options?: TimerOptions): number {
    return this.#add(fn, ms, 0, options?.slackMs ?? 0);
  }

  clearTimeout(id: number): void {
    this.#due.delete(id);
    const i = this.#entries.findIndex((e) => e.id === id);
    if (i < 0) return;
    this.#entries.splice(i, 1);
    if (!this.#firing) this.#rearm();
  }

  setInterval(fn: () => void, ms: number, options?: TimerOptions): number {
    if (!(ms > 0)) throw new RangeError(`interval must be positive, got ${ms} ms`);
    return this.#add(fn, ms, ms, Math.min(options?.slackMs ?? 0, ms / 2));
  }

  clearInterval(id: number): void {
    this.clearTimeout(id);
  }

  /** The Sleep of sleep.ts on this clock: waits `ms`, or less when `signal` aborts. */
  readonly sleep: Sleep = timerSleep(this);

  /** Cancels every timer and releases the one-shot timer. */
  close(): void {
    this.#entries = [];
    this.#armedAt = null;
    this.#timer.close();
  }

  #add(fn: () => void, ms: number, every: number, slack: number): number {
    const id = this.#nextId++;
    const at = this.#now() + Math.max(0, Number.isFinite(ms) ? ms : 0);
    const entry = { id, at, fn, every, slack: Math.max(0, slack) };
    this.#insert(entry);
    if (!this.#firing) this.#rearm();
    return id;
  }

  #insert(entry: Entry): void {
    let i = this.#entries.length;
    while (i > 0 && this.#entries[i - 1].at > entry.at) i--;
    this.#entries.splice(i, 0, entry);
  }

  /** Arms the one-shot timer for the earliest deadline, unless it already is. */
  #rearm(): void {
    const first = this.#entries[0];
    if (!first) {
      if (this.#armedAt !== null) this.#timer.disarm();
      this.#armedAt = null;
      return;
    }
    if (this.#armedAt === first.at) return;
    this.#armedAt = first.at;
    this.#timer.arm(Math.max(0, first.at - this.#now()));
  }

  /** Runs every entry due now (intervals are put back for their next period), then re-arms. */
  #fire(): void {
    this.#armedAt = null;
    this.#firing = true;
    try {
      const now = this.#now();
      const due: Entry[] = [];
      const later: Entry[] = [];
      for (const e of this.#entries) {
        (e.at <= now + Math.max(DUE_SLACK_MS, e.slack) ? due : later).push(e);
      }
      this.#entries = later;
      for (const e of due) {
        this.#due.add(e.id);
        if (e.every > 0) {
          // The next period counts from its own deadline (no drift), skipping missed ones.
          const missed = Math.max(1, Math.ceil((now - e.at) / e.every));
          this.#insert({ ...e, at: e.at + missed * e.every });
        }
      }
      for (const e of due) {
        // An entry cleared by an earlier callback of this same wake-up does not run.
        if (this.#due.delete(e.id)) this.#run(e);
      }
    } finally {
      this.#due.clear();
      this.#firing = false;
      this.#rearm();
    }
  }

  #run(e: Entry): void {
    try {
      e.fn();
    } catch (error) {
      this.#onError(error);
    }
  }
}
