/**
 * The server's self-telemetry settings, read from the environment like `loadServerConfig`:
 * pure, throwing a `ConfigError` that names the variable.
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `METRICS_PUBLIC` | `false` | serve `GET /metrics` without a token |
 * | `SELF_SNAPSHOT_INTERVAL` | `30s` | memory snapshot interval, 1 s to 5 min |
 *
 * @example
 * ```ts
 * const telemetry = loadServerTelemetryConfig(Deno.env.toObject());
 * ```
 */
import { type Env, readBoolean } from "../../shared/config_env.ts";
import { readSnapshotInterval } from "../../shared/telemetry/config.ts";

/** The validated settings. */
export interface ServerTelemetryConfig {
  metricsPublic: boolean;
  snapshotIntervalMs: number;
}

/** Reads `METRICS_PUBLIC` and `SELF_SNAPSHOT_INTERVAL`; throws `ConfigError`. */
export function loadServerTelemetryConfig(env: Env): ServerTelemetryConfig {
  return {
    metricsPublic: readBoolean(env, "METRICS_PUBLIC", false),
    snapshotIntervalMs: readSnapshotInterval(env),
  };
}
