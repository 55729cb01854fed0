/**
 * The agent's tiny HTTP listener on `AGENT_METRICS_ADDR`: `GET /metrics` in the Prometheus
 * text format and `GET /self` with the self-report as JSON. No token: bind it to loopback
 * (or a private interface) — it exposes nothing but these figures.
 *
 * @example
 * ```ts
 * const handler = agentMetricsHandler({ registry: telemetry.registry, report: (o) => telemetry.report(o) });
 * const listener = startAgentMetricsListener(config.metricsAddr, handler, logger);
 * await listener.shutdown();
 * ```
 */
import type { Registry } from "prom-client";
import type { Logger } from "../../shared/log.ts";
import { PROMETHEUS_CONTENT_TYPE } from "../../shared/telemetry/registry.ts";
import type { SelfReport } from "../../shared/telemetry/report.ts";
import type { MetricsAddr } from "./config.ts";

/** What the handler serves. */
export interface AgentMetricsHandlerDeps {
  registry: Registry;
  report: (opts: { snapshotLimit?: number }) => Promise<SelfReport>;
}

function json(body: unknown, status: number, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** The request handler: `/metrics`, `/self` (`?snapshots=N`), 404 and 405 otherwise. */
export function agentMetricsHandler(
  deps: AgentMetricsHandlerDeps,
): (req: Request) => Promise<Response> {
  return async (req) => {
    const url = new URL(req.url);
    if (url.pathname !== "/metrics" && url.pathname !== "/self") {
      return json({ error: "not found" }, 404);
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      return json({ error: `method ${req.method} not allowed` }, 405, { allow: "GET, HEAD" });
    }
    if (url.pathname === "/metrics") {
      return new Response(await deps.registry.metrics(), {
        headers: { "content-type": PROMETHEUS_CONTENT_TYPE, "cache-control": "no-store" },
      });
    }
    const raw = url.searchParams.get("snapshots");
    if (raw !== null && !/^\d{1,6}$/.test(raw)) {
      return json({ error: "snapshots must be a whole number" }, 400);
    }
    return json(await deps.report({ snapshotLimit: raw === null ? undefined : Number(raw) }), 200);
  };
}

/** A started listener. */
export interface AgentMetricsListener {
  /** Where it listens (the real port when 0 was asked for). */
  readonly addr: MetricsAddr;
  shutdown(): Promise<void>;
}

/**
 * Starts listening; logs `metrics listening` with the address. `serve` is `Deno.serve`
 * (injected so tests can observe the call).
 */
export function startAgentMetricsListener(
  addr: MetricsAddr,
  handler: (req: Request) => Promise<Response>,
  logger: Logger,
  serve: typeof Deno.serve = Deno.serve,
): AgentMetricsListener {
  const server = serve({
    hostname: addr.hostname,
    port: addr.port,
    onListen: ({ hostname, port }) => logger.info("metrics listening", { hostname, port }),
  }, handler);
  const local = server.addr as Deno.NetAddr;
  return {
    addr: { hostname: local.hostname, port: local.port },
    shutdown: () => server.shutdown(),
  };
}
