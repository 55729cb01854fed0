/**
 * Memory snapshots and the bounded ring that keeps the last 24 hours of them, with the
 * peaks seen since the process started (kept even after their snapshot left the ring).
 *
 * @example
 * ```ts
 * const ring = new SnapshotRing(ringCapacity(30_000)); // 2 880 snapshots: 24 h at 30 s
 * ring.push(snapshot);
 * ring.peaks().rssBytes; // { value: 104857600, at: 1717243200000 }
 * ```
 */
import type { Signals } from "./signals.ts";

/** How long snapshots are kept. */
export const SNAPSHOT_RETENTION_MS = 24 * 3_600_000;

/** One snapshot of the process's memory, GC, event loop and signals. */
export interface MemorySnapshot {
  /** When it was taken, epoch milliseconds. */
  at: number;
  rssBytes: number;
  heapUsedBytes: number;
  heapTotalBytes: number;
  externalBytes: number;
  /** Collections since the process started. */
  gcCount: number;
  /** Total GC pause since the process started, in seconds. */
  gcPauseSeconds: number;
  /** Event-loop delay p99 since the previous snapshot; null when not measured. */
  eventLoopLagP99Seconds: number | null;
  /** Largest event-loop delay since the previous snapshot; null when not measured. */
  eventLoopLagMaxSeconds: number | null;
  /** Values of the self-metrics the advice rules read. */
  signals: Signals;
}

/** The largest value of one field and when it was seen. */
export interface Peak {
  value: number;
  at: number;
}

/** Fields whose peak is tracked. */
export const PEAK_FIELDS = [
  "rssBytes",
  "heapUsedBytes",
  "heapTotalBytes",
  "externalBytes",
  "eventLoopLagMaxSeconds",
] as const;
/** One tracked field. */
export type PeakField = typeof PEAK_FIELDS[number];
/** Every tracked peak; null until a snapshot had the field. */
export type Peaks = Record<PeakField, Peak | null>;

/** `peaks` raised by the fields of `s` where `s` exceeds them. */
export function withPeaksOf(peaks: Peaks, s: MemorySnapshot): Peaks {
  const out = { ...peaks };
  for (const field of PEAK_FIELDS) {
    const value = s[field];
    const peak = out[field];
    if (value !== null && (peak === null || value > peak.value)) out[field] = { value, at: s.at };
  }
  return out;
}

/** Snapshots needed to cover `retentionMs` at one per `intervalMs` (at least 2). */
export function ringCapacity(intervalMs: number, retentionMs = SNAPSHOT_RETENTION_MS): number {
  return Math.max(2, Math.ceil(retentionMs / intervalMs));
}

/** A fixed-capacity ring of snapshots, oldest first, with all-time peaks. */
export class SnapshotRing {
  readonly #items: (MemorySnapshot | undefined)[];
  #start = 0;
  #size = 0;
  #peaks: Peaks = {
    rssBytes: null,
    heapUsedBytes: null,
    heapTotalBytes: null,
    externalBytes: null,
    eventLoopLagMaxSeconds: null,
  };

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new Error(`snapshot ring: capacity must be a positive integer, got ${capacity}`);
    }
    this.#items = new Array(capacity);
  }

  /** How many snapshots the ring holds. */
  get size(): number {
    return this.#size;
  }

  /** Adds a snapshot, evicting the oldest when full, and updates the peaks. */
  push(s: MemorySnapshot): void {
    if (this.#size < this.capacity) {
      this.#items[(this.#start + this.#size) % this.capacity] = s;
      this.#size++;
    } else {
      this.#items[this.#start] = s;
      this.#start = (this.#start + 1) % this.capacity;
    }
    this.#peaks = withPeaksOf(this.#peaks, s);
  }

  /** Every snapshot, oldest first. */
  toArray(): MemorySnapshot[] {
    const out: MemorySnapshot[] = [];
    for (let i = 0; i < this.#size; i++) out.push(this.#items[(this.#start + i) % this.capacity]!);
    return out;
  }

  /** The newest snapshot, or null. */
  latest(): MemorySnapshot | null {
    return this.#size === 0 ? null : this.#items[(this.#start + this.#size - 1) % this.capacity]!;
  }

  /** Peaks since the first snapshot, including snapshots already evicted. */
  peaks(): Peaks {
    return { ...this.#peaks };
  }
}
