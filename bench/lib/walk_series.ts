/**
 * Series whose values are random walks, for the benchmarks that load a throwaway database
 * directly (query, dashboard): each host's series are created as the server would create
 * them, by one real `store.ingest` of one sample each, and come back with their ids and
 * their walks, ready for bulk loading by COPY.
 */
import type { Db } from "../../server/db/db.ts";
import type { MetricStore } from "../../server/storage/metric_store.ts";
import type { Metric } from "../../shared/metric.ts";
import type { MetricName } from "../../shared/metric_names.ts";
import { randomWalk, seriesSpecKey } from "./agent_batches.ts";

/** One series of a host: name, labels, and the scale of its random walk. */
export interface WalkSpec {
  name: MetricName;
  labels: Record<string, string>;
  scale: number;
}

/** A created series: its id in the `series` table and the walk that draws its values. */
export interface WalkSeries {
  id: number;
  next: () => number;
}

/** The one sample per series that creates it. */
export interface CreatingSample {
  time: Date;
  /** The time the server is told it received the batch. */
  receivedAt: Date;
  /** Its value; `walk` draws the series' next value, if the sample is to be part of it. */
  value: (spec: WalkSpec, walk: () => number) => number;
}

/**
 * Creates the series of every host with one `store.ingest` per host (series, hosts and the
 * partition made as the server makes them) and returns them host by host, each host's in
 * the order of its specs. The walk of series `si` of host `hi` is seeded `hi · 7919 + si`.
 */
export async function createWalkSeries(
  db: Db,
  store: MetricStore,
  hosts: readonly { host: string; specs: readonly WalkSpec[] }[],
  sample: CreatingSample,
): Promise<WalkSeries[][]> {
  const walks = hosts.map((h, hi) => h.specs.map((s, si) => randomWalk(hi * 7919 + si, s.scale)));
  for (const [hi, h] of hosts.entries()) {
    const metrics: Metric[] = h.specs.map((s, si) => ({
      time: sample.time.toISOString(),
      host: h.host,
      name: s.name,
      value: sample.value(s, walks[hi][si]),
      labels: s.labels,
    }));
    await store.ingest({ id: `load-${h.host}`, host: h.host, metrics }, "bench", sample.receivedAt);
  }
  const idRows = await db.query<{ id: unknown; host: string; name: string; labels: unknown }>(
    "SELECT id, host, name, labels::text AS labels FROM series",
  );
  const idOf = new Map(
    idRows.map((r) => [seriesSpecKey(r.host, r.name, JSON.parse(String(r.labels))), Number(r.id)]),
  );
  return hosts.map((h, hi) =>
    h.specs.map((s, si) => {
      const id = idOf.get(seriesSpecKey(h.host, s.name, s.labels));
      if (id === undefined) throw new Error(`series ${s.name} of ${h.host} was not created`);
      return { id, next: walks[hi][si] };
    })
  );
}
