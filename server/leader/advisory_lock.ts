/**
 * The leader lock on PostgreSQL: a session-level `pg_try_advisory_lock` held on a
 * dedicated connection (a pool of exactly one, opened for this purpose only). When the
 * process dies, even by `kill -9`, its connection closes and PostgreSQL releases the lock,
 * so another replica's next `check` takes it.
 *
 * Every check asks `pg_locks` whether this connection still holds the lock, and every
 * fenced write asks again inside its transaction: if the connection was lost and
 * silently replaced (the client reconnects), the new session holds nothing, and this
 * replica stops writing as the leader at once.
 *
 * (A connection pinned from the shared pool with `Db.session` is not used: the client
 * library throws an uncaught error when a query is sent on a pinned connection that the
 * server has closed, which would take the whole process down.)
 *
 * @example
 * ```ts
 * const lockDb = await openPostgres(url, { max: 1, log, applicationName: "miniobserv-leader" });
 * const lock = new AdvisoryLeaderLock(lockDb, { log });
 * if (await lock.check()) await lock.fenced(async (tx) => { … });
 * ```
 */
import type { Logger } from "../../shared/log.ts";
import { type Db, errorMessage, type Queryable } from "../db/db.ts";
import { Mutex } from "../db/mutex.ts";
import { type LeaderLock, LeadershipLost } from "./leader_lock.ts";

/** The advisory lock key of the leader ("MiniObLd"). */
export const LEADER_LOCK_KEY = 0x4d696e694f624c64n;
/** A check taking longer than this counts as not holding the lock. */
export const CHECK_TIMEOUT_MS = 10_000;

/** Options of the lock. */
export interface AdvisoryLockOptions {
  log: Logger;
  key?: bigint;
  checkTimeoutMs?: number;
}

const HELD_SQL = `SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'
    AND pid = pg_backend_pid() AND granted AND objsubid = 1
    AND classid::bigint = $1::bigint AND objid::bigint = $2::bigint) AS held`;

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The PostgreSQL advisory leader lock, on a `Db` with exactly one connection. */
export class AdvisoryLeaderLock implements LeaderLock {
  readonly #key: string;
  readonly #hi: string;
  readonly #lo: string;
  readonly #timeoutMs: number;
  #leading = false;
  #term = 0;
  readonly #checks = new Mutex();

  /** `db` must be a pool of one connection used for nothing else. */
  constructor(private readonly db: Db, private readonly opts: AdvisoryLockOptions) {
    const key = opts.key ?? LEADER_LOCK_KEY;
    this.#key = key.toString();
    this.#hi = String((key >> 32n) & 0xffffffffn);
    this.#lo = String(key & 0xffffffffn);
    this.#timeoutMs = opts.checkTimeoutMs ?? CHECK_TIMEOUT_MS;
  }

  get leading(): boolean {
    return this.#leading;
  }

  get term(): number {
    return this.#term;
  }

  /** Checks (and takes) the lock; concurrent calls take turns, so the lock is taken once. */
  check(): Promise<boolean> {
    return this.#checks.run(() => this.#check());
  }

  async #check(): Promise<boolean> {
    const was = this.#leading;
    try {
      this.#leading = await withTimeout(this.#holdOrTake(), this.#timeoutMs, "leader lock check");
    } catch (e) {
      this.opts.log.warn("leader lock check failed", { error: errorMessage(e) });
      this.#leading = false;
    }
    if (was && !this.#leading) this.opts.log.warn("leader lock lost");
    return this.#leading;
  }

  async #holdOrTake(): Promise<boolean> {
    const held = await this.db.query<{ held: boolean }>(HELD_SQL, [this.#hi, this.#lo]);
    if (held[0]?.held === true) return true;
    const took = await this.db.query<{ ok: boolean }>(
      "SELECT pg_try_advisory_lock($1::bigint) AS ok",
      [this.#key],
    );
    if (took[0]?.ok !== true) return false;
    this.#term++;
    return true;
  }

  async fenced(fn: (tx: Queryable) => Promise<void>): Promise<void> {
    if (!this.#leading) throw new LeadershipLost("not the leader");
    await this.db.transaction(async (tx) => {
      const rows = await tx.query<{ held: boolean }>(HELD_SQL, [this.#hi, this.#lo]);
      if (rows[0]?.held !== true) {
        this.#leading = false;
        throw new LeadershipLost("the leader lock is no longer held");
      }
      await fn(tx);
    });
  }

  async release(): Promise<void> {
    if (!this.#leading) return;
    this.#leading = false;
    await this.db.query("SELECT pg_advisory_unlock($1::bigint)", [this.#key]).catch((e) =>
      this.opts.log.warn("leader lock: releasing failed", { error: errorMessage(e) })
    );
  }
}
