/**
 * Bounds `statfs` on mounts that may hang (a dead NFS server blocks the call for ever).
 *
 * A call that outlasts the timeout marks its mount stuck; until that very call returns,
 * later calls for the mount fail at once instead of piling up more blocked threads.
 *
 * @example
 * ```ts
 * const guard = new StatfsGuard(realStatfs, STATFS_TIMEOUT_MS);
 * try { await guard.statfs("/mnt/nfs"); } catch (e) { if (e instanceof StuckMountError) … }
 * ```
 */
import type { Statfs, StatfsResult } from "./statfs.ts";

/** A mount is (still) stuck: `alreadyStuck` is false on the call that timed out, true after. */
export class StuckMountError extends Error {
  constructor(readonly mountPoint: string, readonly alreadyStuck: boolean, timeoutMs: number) {
    super(
      alreadyStuck
        ? `statfs on ${JSON.stringify(mountPoint)} is still blocked; skipped`
        : `statfs on ${JSON.stringify(mountPoint)} did not return within ${timeoutMs} ms; skipped`,
    );
  }
}

const TIMED_OUT = Symbol("timed out");

/** Wraps a Statfs with a per-call timeout and per-mount stuck tracking. */
export class StatfsGuard {
  #stuck = new Set<string>();

  constructor(
    private readonly inner: Statfs,
    private readonly timeoutMs: number,
    private readonly onRecovered: (mountPoint: string) => void = () => {},
  ) {}

  /** Mount points whose earlier call has not returned yet. */
  get stuckMounts(): string[] {
    return [...this.#stuck];
  }

  /** statfs with the timeout; throws StuckMountError when the mount is or becomes stuck. */
  async statfs(path: string): Promise<StatfsResult> {
    if (this.#stuck.has(path)) throw new StuckMountError(path, true, this.timeoutMs);
    const call = this.inner(path);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<typeof TIMED_OUT>((resolve) => {
      timer = setTimeout(() => resolve(TIMED_OUT), this.timeoutMs);
    });
    try {
      const result = await Promise.race([call, timeout]);
      if (result !== TIMED_OUT) return result;
    } finally {
      clearTimeout(timer);
    }
    this.#markStuck(path, call);
    throw new StuckMountError(path, false, this.timeoutMs);
  }

  #markStuck(path: string, call: Promise<unknown>): void {
    this.#stuck.add(path);
    const release = () => {
      this.#stuck.delete(path);
      this.onRecovered(path);
    };
    call.then(release, release);
  }
}
