/**
 * Who does the work that must happen once (alert evaluation, notification delivery): the
 * replica holding the leader lock. On PostgreSQL that is an advisory lock held on a
 * dedicated connection (`advisory_lock.ts`), released by the database the moment that
 * connection dies; on the embedded PGlite there is one process, which always leads and
 * pins nothing (its single connection stays shared).
 */
import type { Db, Queryable } from "../db/db.ts";

/** Thrown by `fenced` when this replica no longer holds the lock. */
export class LeadershipLost extends Error {}

/** The leader lock as the alerting runtime uses it. */
export interface LeaderLock {
  /** Takes the lock if free, or confirms it is still held; true while this replica leads. */
  check(): Promise<boolean>;
  /** What the last `check` found. */
  readonly leading: boolean;
  /** Counts the times this replica became the leader: a change means state cached under an earlier term is stale. */
  readonly term: number;
  /** Runs `fn` in a transaction that commits only if the lock is still held (fencing). */
  fenced(fn: (tx: Queryable) => Promise<void>): Promise<void>;
  /** Gives the lock up (shutdown). */
  release(): Promise<void>;
}

/** The lock of a single-process database (PGlite): always held, nothing to pin. */
export class SingleProcessLock implements LeaderLock {
  #leading = false;
  #term = 0;
  constructor(private readonly db: Db) {}

  check(): Promise<boolean> {
    if (!this.#leading) this.#term++;
    this.#leading = true;
    return Promise.resolve(true);
  }

  get leading(): boolean {
    return this.#leading;
  }

  get term(): number {
    return this.#term;
  }

  fenced(fn: (tx: Queryable) => Promise<void>): Promise<void> {
    return this.db.transaction((tx) => fn(tx));
  }

  release(): Promise<void> {
    this.#leading = false;
    return Promise.resolve();
  }
}
