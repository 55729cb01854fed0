/**
 * The live tail's fan-out: the ingest route publishes every entry it stored (after the commit)
 * and each `GET /api/v1/logs/stream` subscriber receives those its filter matches.
 *
 * A subscriber that reads slower than entries arrive does not hold the server's memory: past
 * `maxQueue` entries the oldest are dropped and counted, and the stream tells the client how
 * many it missed. In-process: a replica streams what that replica ingested (see the README).
 *
 * @example
 * ```ts
 * const sub = broadcaster.subscribe((e) => e.level === "error");
 * const { entries, dropped } = await sub.next(signal);
 * sub.close();
 * ```
 */
import { levelRank } from "../../shared/log_levels.ts";
import type { LogSearch, StoredLogEntry } from "./log_store.ts";

/** Default most entries waiting for one subscriber. */
export const DEFAULT_MAX_QUEUE = 1000;

/** One subscriber's view. */
export interface LogSubscription {
  /** Waits for entries (or `signal`): what arrived since the last call, and how many were dropped. */
  next(signal?: AbortSignal): Promise<{ entries: StoredLogEntry[]; dropped: number }>;
  close(): void;
}

/** A filter of the live tail: the same meaning as the search's. */
export function matchesSearch(
  s: Pick<LogSearch, "q" | "host" | "minLevel" | "source">,
): (e: StoredLogEntry) => boolean {
  const q = s.q?.toLowerCase() ?? null;
  const min = s.minLevel === null ? 0 : levelRank(s.minLevel);
  return (e) =>
    (s.host === null || e.host === s.host) &&
    (s.source === null || e.source === s.source) &&
    levelRank(e.level) >= min &&
    (q === null || e.message.toLowerCase().includes(q));
}

interface Subscriber {
  filter: (e: StoredLogEntry) => boolean;
  queue: StoredLogEntry[];
  dropped: number;
  wake: (() => void) | null;
}

/** Publishes stored entries to subscribers; see the module comment. */
export class LogBroadcaster {
  readonly #subs = new Set<Subscriber>();

  constructor(
    private readonly opts: { maxSubscribers: number; maxQueue?: number },
  ) {}

  /** Subscribers now. */
  get size(): number {
    return this.#subs.size;
  }

  /** A new subscription, or null when `maxSubscribers` are connected already. */
  subscribe(filter: (e: StoredLogEntry) => boolean): LogSubscription | null {
    if (this.#subs.size >= this.opts.maxSubscribers) return null;
    const sub: Subscriber = { filter, queue: [], dropped: 0, wake: null };
    this.#subs.add(sub);
    return {
      next: (signal) => {
        const take = () => {
          const out = { entries: sub.queue, dropped: sub.dropped };
          sub.queue = [];
          sub.dropped = 0;
          return out;
        };
        if (sub.queue.length > 0 || sub.dropped > 0 || signal?.aborted || !this.#subs.has(sub)) {
          return Promise.resolve(take());
        }
        return new Promise((resolve) => {
          const done = () => {
            signal?.removeEventListener("abort", done);
            sub.wake = null;
            resolve(take());
          };
          sub.wake = done;
          signal?.addEventListener("abort", done, { once: true });
        });
      },
      close: () => {
        this.#subs.delete(sub);
        sub.wake?.();
      },
    };
  }

  /** Hands stored entries to every subscriber whose filter they match. */
  publish(entries: readonly StoredLogEntry[]): void {
    if (entries.length === 0 || this.#subs.size === 0) return;
    const maxQueue = this.opts.maxQueue ?? DEFAULT_MAX_QUEUE;
    for (const sub of this.#subs) {
      let added = false;
      for (const e of entries) {
        if (!sub.filter(e)) continue;
        sub.queue.push(e);
        added = true;
      }
      if (sub.queue.length > maxQueue) {
        const excess = sub.queue.length - maxQueue;
        sub.queue.splice(0, excess);
        sub.dropped += excess;
      }
      if (added) sub.wake?.();
    }
  }
}
