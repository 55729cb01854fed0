/**
 * prom-client's metric classes, loaded from their own modules rather than the package's index.
 *
 * The index also loads its cluster aggregator (`node:cluster`), its default metrics, push
 * gateway (`node:http`, `node:https`, `node:url`) and exemplar support (OpenTelemetry's API):
 * measured under Deno 2.9.6 at about 5 MB of resident memory more for a program that uses only
 * Counter, Gauge, Histogram and Registry. The agent must stay under 60 MB (`deno task
 * bench:agent`), so the agent and the shared telemetry import from here. Types are
 * prom-client's own.
 */
import type * as Prom from "prom-client";
import CounterModule from "prom-client/lib/counter.js";
import GaugeModule from "prom-client/lib/gauge.js";
import HistogramModule from "prom-client/lib/histogram.js";
import RegistryModule from "prom-client/lib/registry.js";

export const Counter = CounterModule as typeof Prom.Counter;
export type Counter<T extends string = string> = Prom.Counter<T>;
export const Gauge = GaugeModule as typeof Prom.Gauge;
export type Gauge<T extends string = string> = Prom.Gauge<T>;
export const Histogram = HistogramModule as typeof Prom.Histogram;
export type Histogram<T extends string = string> = Prom.Histogram<T>;
export const Registry = RegistryModule as typeof Prom.Registry;
export type Registry = Prom.Registry;
