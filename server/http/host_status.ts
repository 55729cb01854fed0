/**
 * Whether a host is up, stale or down, from how long ago it was last seen.
 */

/** A host's liveness as the API reports it. */
export type HostStatus = "up" | "stale" | "down";

/** Thresholds in milliseconds; `downAfterMs` is longer than `staleAfterMs` (config checks it). */
export interface StatusThresholds {
  staleAfterMs: number;
  downAfterMs: number;
}

/**
 * `up` while seen within `staleAfterMs`, `stale` until `downAfterMs`, then `down`.
 * A last-seen time in the future (clock skew between replicas) counts as `up`.
 */
export function hostStatus(lastSeenMs: number, nowMs: number, t: StatusThresholds): HostStatus {
  const age = nowMs - lastSeenMs;
  if (age <= t.staleAfterMs) return "up";
  if (age <= t.downAfterMs) return "stale";
  return "down";
}
