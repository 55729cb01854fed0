/**
 * The one reader behind every live page of a replica: while at least one page listens, it
 * reads the fleet (hosts, newest values, statuses from the clock) and the active alerts every
 * `refreshMs`, and hands each snapshot to every subscriber. However many pages are open, the
 * database sees one set of queries per interval. Pages rendered on the server reuse a
 * snapshot no older than the interval. Sparklines (a heavier query) are cached for a minute.
 *
 * A failed read does not end anything: the snapshot carries the error (and the last good
 * hosts), the pages say so, and the next interval tries again.
 *
 * @example
 * ```ts
 * const sub = feed.subscribe();
 * const snap = await sub.next(signal); // the next snapshot (or the current one at once)
 * sub.close();
 * ```
 */
import type { Logger } from "../../shared/log.ts";
import type { StatusThresholds } from "../http/host_status.ts";
import type { Timers } from "../periodic.ts";
import type { MetricStore } from "../storage/metric_store.ts";
import type { FleetReader, SparkPoint } from "./fleet_reader.ts";
import { type HostSummary, summarizeFleet } from "./fleet_summary.ts";

/** An active alert as the banner and the alerts page list it. */
export interface AlertBrief {
  rule: string;
  host: string;
  labels: Record<string, string>;
  fingerprint: string;
  state: string;
  severity: string;
  value: number | null;
  since: string;
  summary: string;
  silenced: boolean;
}

/** What the pages show at one moment. */
export interface FleetSnapshot {
  at: number;
  hosts: HostSummary[];
  /** Pending and firing alerts; null when alerting is not configured. */
  alerts: AlertBrief[] | null;
  /** Why the last read failed (hosts and alerts are then the last good ones), or null. */
  error: string | null;
}

/** Sparklines of every host, and when they were read. */
export interface SparkSet {
  at: number;
  fromMs: number;
  bucketMs: number;
  byHost: Map<string, SparkPoint[]>;
}

/** One listener. */
export interface FeedSubscription {
  /** The next snapshot (at once when one arrived since the last call); null when closed or aborted. */
  next(signal?: AbortSignal): Promise<FleetSnapshot | null>;
  close(): void;
  /** True once closed (by `close()` or the feed stopping). */
  readonly closed: boolean;
}

/** How far back the newest values are looked for; older ones show as unknown. */
export const LATEST_LOOKBACK_MS = 3_600_000;
/** The sparkline window and bucket. */
export const SPARK_WINDOW_MS = 3_600_000;
/** Sparkline bucket width: one point per minute. */
export const SPARK_BUCKET_MS = 60_000;
/** How long sparklines are reused. */
export const SPARK_MAX_AGE_MS = 30_000;

/** What the feed reads from. */
export interface LiveFeedOptions {
  store: Pick<MetricStore, "hosts">;
  reader: FleetReader;
  /** Pending and firing alerts; absent when alerting is not configured. */
  alerts?: () => Promise<AlertBrief[]>;
  thresholds: StatusThresholds;
  refreshMs: number;
  now: () => number;
  timers: Timers;
  log: Logger;
}

interface Subscriber {
  pending: FleetSnapshot | null;
  wake: (() => void) | null;
}

/** See the module comment. */
export class LiveFeed {
  readonly #o: LiveFeedOptions;
  readonly #subs = new Set<Subscriber>();
  #last: FleetSnapshot | null = null;
  #reading: Promise<FleetSnapshot> | null = null;
  #timer: number | null = null;
  #sparks: SparkSet | null = null;
  #sparkReading: Promise<SparkSet> | null = null;
  #stopped = false;

  constructor(opts: LiveFeedOptions) {
    this.#o = opts;
  }

  /** Listeners now. */
  get size(): number {
    return this.#subs.size;
  }

  async #read(): Promise<FleetSnapshot> {
    const now = this.#o.now();
    try {
      const [hosts, latest, alerts] = await Promise.all([
        this.#o.store.hosts(),
        this.#o.reader.latest(now - LATEST_LOOKBACK_MS),
        this.#o.alerts ? this.#o.alerts() : Promise.resolve(null),
      ]);
      return {
        at: now,
        hosts: summarizeFleet(hosts, latest, now, this.#o.thresholds),
        alerts,
        error: null,
      };
    } catch (e) {
      this.#o.log.warn("dashboard: live feed read failed", { error: (e as Error).message });
      return {
        at: now,
        hosts: this.#last?.hosts ?? [],
        alerts: this.#last?.alerts ?? null,
        error: "the server cannot read the database right now",
      };
    }
  }

  /** A snapshot no older than `maxAgeMs` (default the refresh interval); concurrent callers share one read. */
  snapshot(maxAgeMs = this.#o.refreshMs): Promise<FleetSnapshot> {
    const last = this.#last;
    if (last && last.error === null && this.#o.now() - last.at <= maxAgeMs) {
      return Promise.resolve(last);
    }
    if (!this.#reading) {
      this.#reading = this.#read().then((s) => {
        if (s.error === null || !this.#last) this.#last = s;
        else this.#last = { ...this.#last, error: s.error, at: s.at };
        return s;
      }).finally(() => {
        this.#reading = null;
      });
    }
    return this.#reading;
  }

  /** Sparklines of the last hour, reused for `maxAgeMs` (default 30 s). Throws when the read fails. */
  sparklines(maxAgeMs: number = SPARK_MAX_AGE_MS): Promise<SparkSet> {
    const now = this.#o.now();
    if (this.#sparks && now - this.#sparks.at <= maxAgeMs) {
      return Promise.resolve(this.#sparks);
    }
    if (!this.#sparkReading) {
      const fromMs = Math.floor((now - SPARK_WINDOW_MS) / SPARK_BUCKET_MS) * SPARK_BUCKET_MS;
      this.#sparkReading = this.#o.reader.sparklines(fromMs, now + 1, SPARK_BUCKET_MS)
        .then((byHost) => (this.#sparks = { at: now, fromMs, bucketMs: SPARK_BUCKET_MS, byHost }))
        .finally(() => {
          this.#sparkReading = null;
        });
    }
    return this.#sparkReading;
  }

  /** Starts listening; the first `next()` answers with a fresh snapshot. */
  subscribe(): FeedSubscription {
    const sub: Subscriber = { pending: null, wake: null };
    const subs = this.#subs;
    subs.add(sub);
    // The first answer is immediate: the current snapshot.
    this.snapshot().then((s) => {
      if (this.#subs.has(sub) && sub.pending === null) {
        sub.pending = s;
        sub.wake?.();
      }
    }, () => {});
    this.#schedule();
    return {
      next: (signal) => {
        if (sub.pending || !this.#subs.has(sub) || signal?.aborted) {
          const s = sub.pending;
          sub.pending = null;
          return Promise.resolve(this.#subs.has(sub) && !signal?.aborted ? s : null);
        }
        return new Promise((resolve) => {
          const done = () => {
            signal?.removeEventListener("abort", done);
            sub.wake = null;
            const s = sub.pending;
            sub.pending = null;
            resolve(this.#subs.has(sub) && !signal?.aborted ? s : null);
          };
          sub.wake = done;
          signal?.addEventListener("abort", done, { once: true });
        });
      },
      close: () => {
        this.#subs.delete(sub);
        sub.wake?.();
        if (this.#subs.size === 0) this.#unschedule();
      },
      get closed() {
        return !subs.has(sub);
      },
    };
  }

  #schedule(): void {
    if (this.#timer !== null || this.#stopped) return;
    this.#timer = this.#o.timers.setTimeout(() => this.#tick(), this.#o.refreshMs);
  }

  #unschedule(): void {
    if (this.#timer !== null) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = null;
  }

  async #tick(): Promise<void> {
    this.#timer = null;
    if (this.#subs.size === 0 || this.#stopped) return;
    const snap = await this.snapshot(0);
    for (const sub of this.#subs) {
      sub.pending = snap;
      sub.wake?.();
    }
    if (this.#subs.size > 0) this.#schedule();
  }

  /** Ends every subscription (their `next()` answers null) and stops reading. */
  stop(): void {
    this.#stopped = true;
    this.#unschedule();
    for (const sub of [...this.#subs]) {
      this.#subs.delete(sub);
      sub.wake?.();
    }
  }
}
