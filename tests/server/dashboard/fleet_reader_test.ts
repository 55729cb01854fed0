/**
 * The fleet reader on every backend: the newest value of each summary series (never the
 * oldest, the seed's bug), only within the look-back, CPU total only; sparkline buckets.
 */
import assert from "node:assert/strict";
import { SqlFleetReader } from "../../../server/dashboard/fleet_reader.ts";
import type { MetricName } from "../../../shared/metric_names.ts";
import { BACKENDS } from "../storage/backends.ts";

const NOW = Date.parse("2025-06-01T12:00:00Z");
const M = 60_000;

function m(
  host: string,
  name: MetricName,
  time: number,
  value: number,
  labels: Record<string, string> = {},
) {
  return { host, name, time: new Date(time).toISOString(), value, labels };
}

for (const backend of BACKENDS) {
  Deno.test({
    name: `fleet reader: newest values and sparklines [${backend.name}]`,
    ignore: !!backend.skip,
    sanitizeResources: false,
    sanitizeOps: false,
    async fn() {
      const s = await backend.open({ now: () => NOW });
      try {
        // The newest sample arrives first, older ones later (out of order on purpose).
        await s.store.ingest(
          {
            id: "b1",
            host: "a",
            metrics: [
              m("a", "cpu.usage_pct", NOW - 1000, 42, { core: "total" }),
              m("a", "cpu.usage_pct", NOW - 1000, 99, { core: "0" }),
              m("a", "net.bytes_in", NOW - 1000, 10, { iface: "eth0" }),
              m("a", "disk.used_pct", NOW - 2 * 3_600_000, 80, { mount: "/old" }),
            ],
          },
          null,
          new Date(NOW),
        );
        await s.store.ingest(
          {
            id: "b2",
            host: "a",
            metrics: [
              m("a", "cpu.usage_pct", NOW - 30 * M, 10, { core: "total" }),
              m("a", "cpu.usage_pct", NOW - 30 * M + 20_000, 30, { core: "total" }),
              m("a", "cpu.usage_pct", NOW - 5 * M, 20, { core: "total" }),
              m("a", "system.load1", NOW - 1000, 3),
            ],
          },
          null,
          new Date(NOW),
        );
        await s.store.ingest(
          {
            id: "b3",
            host: "b",
            metrics: [m("b", "mem.used_pct", NOW - 3000, 55)],
          },
          null,
          new Date(NOW),
        );
        const reader = new SqlFleetReader(s.db);
        const latest = (await reader.latest(NOW - 3_600_000))
          .map((x) => [x.host, x.name, JSON.stringify(x.labels), x.value, x.time])
          .sort((p, q) => String(p).localeCompare(String(q)));
        assert.deepEqual(
          latest,
          [
            ["a", "cpu.usage_pct", '{"core":"total"}', 42, NOW - 1000],
            ["a", "net.bytes_in", '{"iface":"eth0"}', 10, NOW - 1000],
            ["b", "mem.used_pct", "{}", 55, NOW - 3000],
          ],
          "newest of each summary series; no per-core CPU, no load, nothing older than the look-back",
        );
        const onlyB = await reader.latest(NOW - 3_600_000, "b");
        assert.deepEqual(onlyB.map((x) => x.host), ["b"]);

        const sparks = await reader.sparklines(NOW - 60 * M, NOW + 1, M);
        assert.deepEqual([...sparks.keys()], ["a"]);
        assert.deepEqual(sparks.get("a"), [
          [NOW - 30 * M, 20],
          [NOW - 5 * M, 20],
          [NOW - M, 42],
        ], "one-minute averages, oldest first");
      } finally {
        await s.close();
      }
    },
  });
}
