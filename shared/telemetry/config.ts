/**
 * `SELF_SNAPSHOT_INTERVAL`, read the same way by both programs.
 */
import { type Env, readDuration } from "../config_env.ts";

/** Default snapshot interval: 30 s. */
export const DEFAULT_SNAPSHOT_INTERVAL_MS = 30_000;
/** Shortest allowed interval: 1 s. */
export const MIN_SNAPSHOT_INTERVAL_MS = 1_000;
/**
 * Longest allowed interval: 5 min. The memory analysis fits the last hour and needs at
 * least 10 snapshots in it; a longer interval would leave it without a verdict for ever.
 */
export const MAX_SNAPSHOT_INTERVAL_MS = 300_000;

/** `SELF_SNAPSHOT_INTERVAL` in milliseconds (default 30 s, 1 s to 5 min); throws `ConfigError`. */
export function readSnapshotInterval(env: Env): number {
  return readDuration(
    env,
    "SELF_SNAPSHOT_INTERVAL",
    DEFAULT_SNAPSHOT_INTERVAL_MS,
    MIN_SNAPSHOT_INTERVAL_MS,
    MAX_SNAPSHOT_INTERVAL_MS,
  );
}
