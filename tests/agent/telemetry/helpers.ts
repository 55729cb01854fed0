/** Builds the agent's telemetry for tests: no timers, GC profiler or lag sampler running. */
import { Counters } from "../../../agent/counters.ts";
import { createAgentTelemetry } from "../../../agent/telemetry/telemetry.ts";

/** The fixed "now" of these tests. */
export const NOW = Date.parse("2025-06-01T12:00:00.000Z");

/** A quiet agent telemetry over a fresh `Counters`. */
export function quietAgentTelemetry(counters = new Counters(), now: () => number = () => NOW) {
  const telemetry = createAgentTelemetry({
    version: "0.1.0",
    runtimeVersion: "2.9.6",
    procFdReadable: false,
    snapshotIntervalMs: 30_000,
    now,
    counters,
    spoolMaxBytes: 256 * 1024 * 1024,
    gcProfiler: null,
    lag: null,
  });
  return { telemetry, counters };
}

export { sampleValue } from "../../shared/telemetry/exposition.ts";
