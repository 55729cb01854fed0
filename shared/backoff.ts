/**
 * Exponential backoff with jitter, shared by every retry loop.
 *
 * @example
 * ```ts
 * const backoff = new Backoff({ random: Math.random });
 * await sleep(backoff.next()); // ~1 s, then ~2 s, ~4 s … up to ~60 s
 * backoff.reset();             // after a success
 * ```
 */

/** Defaults: base 1 s, cap 60 s, ±25 % jitter. */
export const BACKOFF_DEFAULTS = { baseMs: 1000, maxMs: 60_000, jitter: 0.25 } as const;

/** Options; `random` returns a number in [0, 1) and is injected so tests are exact. */
export interface BackoffOptions {
  baseMs?: number;
  maxMs?: number;
  jitter?: number;
  random: () => number;
}

/** The delay before retry `attempt` (0-based): min(max, base·2^attempt) scaled by 1 ± jitter. */
export function backoffDelay(attempt: number, opts: BackoffOptions): number {
  const base = opts.baseMs ?? BACKOFF_DEFAULTS.baseMs;
  const max = opts.maxMs ?? BACKOFF_DEFAULTS.maxMs;
  const jitter = opts.jitter ?? BACKOFF_DEFAULTS.jitter;
  const raw = Math.min(max, base * 2 ** Math.min(attempt, 30));
  const factor = 1 + jitter * (2 * opts.random() - 1);
  return Math.round(raw * factor);
}

/** Stateful backoff: `next()` grows the delay, `reset()` starts over after a success. */
export class Backoff {
  #attempt = 0;
  constructor(private readonly opts: BackoffOptions) {}

  /** The next delay in milliseconds. */
  next(): number {
    return backoffDelay(this.#attempt++, this.opts);
  }

  /** How many delays have been handed out since the last reset. */
  get attempts(): number {
    return this.#attempt;
  }

  /** Starts over at the base delay. */
  reset(): void {
    this.#attempt = 0;
  }
}
