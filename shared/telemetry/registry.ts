/**
 * The Prometheus registry each program keeps its self-metrics in, and how it is served.
 *
 * Every metric is registered on an explicit registry (never prom-client's global one), so
 * tests build as many independent registries as they like.
 *
 * @example
 * ```ts
 * const registry = createRegistry();
 * new Counter({ name: "miniobserv_x_total", help: "…", registers: [registry] });
 * const { body, contentType } = await exposition(registry);
 * ```
 */
import { Registry } from "./prom.ts";

/** The Prometheus text format's content type, as `/metrics` answers it. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** A fresh, empty registry. */
export function createRegistry(): Registry {
  return new Registry();
}

/** The registry's whole text exposition and its content type. */
export async function exposition(
  registry: Registry,
): Promise<{ body: string; contentType: string }> {
  return { body: await registry.metrics(), contentType: PROMETHEUS_CONTENT_TYPE };
}
