/**
 * The agent's self-telemetry settings, read like `loadAgentConfig`: pure, throwing a
 * `ConfigError` that names the variable. Add `AGENT_TELEMETRY_ENV_VARIABLES` to the
 * variables the agent reads (agent/config.ts `AGENT_ENV_VARIABLES`).
 *
 * | variable | default | meaning |
 * |---|---|---|
 * | `AGENT_METRICS_ADDR` | off | `host:port` of the agent's `/metrics` and `/self` listener (e.g. `127.0.0.1:9101`); unset, empty or `off` disables it |
 * | `SELF_SNAPSHOT_INTERVAL` | `30s` | memory snapshot interval, 1 s to 5 min |
 *
 * @example
 * ```ts
 * loadAgentTelemetryConfig({ AGENT_METRICS_ADDR: "127.0.0.1:9101" }).metricsAddr; // { hostname: "127.0.0.1", port: 9101 }
 * ```
 */
import { ConfigError, type Env, readString } from "../../shared/config_env.ts";
import { readSnapshotInterval } from "../../shared/telemetry/config.ts";

/** The variables read here. */
export const AGENT_TELEMETRY_ENV_VARIABLES = [
  "AGENT_METRICS_ADDR",
  "SELF_SNAPSHOT_INTERVAL",
] as const;

/** Where to listen: a host name or address and a TCP port (0 picks a free one). */
export interface MetricsAddr {
  hostname: string;
  port: number;
}

/** The validated settings. */
export interface AgentTelemetryConfig {
  /** Null: no listener. */
  metricsAddr: MetricsAddr | null;
  snapshotIntervalMs: number;
}

/** Parses `AGENT_METRICS_ADDR`: `host:port` or `[ipv6]:port`; null for unset, empty or `off`. */
export function parseMetricsAddr(value: string | undefined): MetricsAddr | null {
  if (value === undefined || value === "" || value.toLowerCase() === "off") return null;
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/.exec(value);
  const bad = (why: string) =>
    new ConfigError(
      `AGENT_METRICS_ADDR=${
        JSON.stringify(value)
      } ${why}; use host:port (e.g. 127.0.0.1:9101), or off`,
    );
  if (!m) throw bad("is not host:port");
  const port = Number(m[3]);
  if (port > 65535) throw bad("has a port outside 0-65535");
  return { hostname: m[1] ?? m[2], port };
}

/** Reads `AGENT_METRICS_ADDR` and `SELF_SNAPSHOT_INTERVAL`; throws `ConfigError`. */
export function loadAgentTelemetryConfig(env: Env): AgentTelemetryConfig {
  return {
    metricsAddr: parseMetricsAddr(readString(env, "AGENT_METRICS_ADDR")),
    snapshotIntervalMs: readSnapshotInterval(env),
  };
}
