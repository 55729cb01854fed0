/**
 * Slows down password guessing: after `maxFailures` failed sign-ins from one client within
 * `windowMs`, that client is refused (429) until the window has passed. Memory is bounded:
 * past `maxClients` tracked clients the oldest entry is forgotten.
 *
 * @example
 * ```ts
 * const limiter = new SignInLimiter({ maxFailures: 10, windowMs: 300_000, now: Date.now });
 * if (limiter.retryAfterMs(ip) > 0) return tooMany();
 * if (!ok) limiter.fail(ip); else limiter.succeed(ip);
 * ```
 */

/** Defaults: 10 failures per 5 minutes per client. */
export const SIGN_IN_LIMITS = { maxFailures: 10, windowMs: 5 * 60_000, maxClients: 10_000 };

/** Options of the limiter. */
export interface SignInLimiterOptions {
  maxFailures: number;
  windowMs: number;
  now: () => number;
  maxClients?: number;
}

/** Counts failed sign-ins per client key; see the module comment. */
export class SignInLimiter {
  readonly #failures = new Map<string, number[]>();

  constructor(private readonly opts: SignInLimiterOptions) {}

  #recent(key: string): number[] {
    const since = this.opts.now() - this.opts.windowMs;
    const list = (this.#failures.get(key) ?? []).filter((t) => t > since);
    if (list.length === 0) this.#failures.delete(key);
    else this.#failures.set(key, list);
    return list;
  }

  /** How long `key` must wait before trying again; 0 when it may try now. */
  retryAfterMs(key: string): number {
    const list = this.#recent(key);
    if (list.length < this.opts.maxFailures) return 0;
    return Math.max(
      1,
      list[list.length - this.opts.maxFailures] + this.opts.windowMs - this.opts.now(),
    );
  }

  /** Records a failed attempt of `key`. */
  fail(key: string): void {
    const list = this.#recent(key);
    list.push(this.opts.now());
    this.#failures.delete(key);
    this.#failures.set(key, list);
    const max = this.opts.maxClients ?? SIGN_IN_LIMITS.maxClients;
    while (this.#failures.size > max) {
      this.#failures.delete(this.#failures.keys().next().value!);
    }
  }

  /** Forgets the failures of `key` after it signed in. */
  succeed(key: string): void {
    this.#failures.delete(key);
  }
}
