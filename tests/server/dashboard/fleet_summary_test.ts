/** Overview rows from hosts and newest values; sorting, filtering; per-connection diffs. */
import assert from "node:assert/strict";
import { HostDiffer, ValueDiffer } from "../../../server/dashboard/events_diff.ts";
import type { LatestSample } from "../../../server/dashboard/fleet_reader.ts";
import { type HostSummary, summarizeFleet } from "../../../server/dashboard/fleet_summary.ts";
import { sparkPoints } from "../../../server/dashboard/pages/parts.tsx";
import { hostMatches, parseSort, sortHosts } from "../../../server/dashboard/static/js/sort.js";

const NOW = Date.parse("2025-06-01T12:00:00Z");
const T = { staleAfterMs: 30_000, downAfterMs: 60_000 };

function sample(
  host: string,
  name: LatestSample["name"],
  value: number,
  labels = {},
  age = 1000,
): LatestSample {
  return { host, name, labels, value, time: NOW - age };
}

Deno.test("summary: status from last seen, figures from the newest values", () => {
  const hosts = [
    { host: "a", lastSeen: new Date(NOW - 5000), agentVersion: "0.1.0" },
    { host: "b", lastSeen: new Date(NOW - 45_000), agentVersion: null },
    { host: "c", lastSeen: new Date(NOW - 600_000), agentVersion: null },
  ];
  const latest = [
    sample("a", "cpu.usage_pct", 12.5, { core: "total" }),
    sample("a", "cpu.usage_pct", 99, { core: "3" }),
    sample("a", "mem.used_pct", 40),
    sample("a", "mem.used_bytes", 4e9),
    sample("a", "mem.total_bytes", 1e10, {}, 3000),
    sample("a", "disk.used_pct", 50, { mount: "/" }),
    sample("a", "disk.used_pct", 91, { mount: "/data" }),
    sample("a", "disk.used_pct", 91, { mount: "/backup" }),
    sample("a", "net.bytes_in", 100, { iface: "eth0" }),
    sample("a", "net.bytes_in", 50, { iface: "eth1" }),
    sample("a", "net.bytes_out", 7, { iface: "eth0" }),
    sample("retired", "cpu.usage_pct", 1, { core: "total" }),
  ];
  const rows = summarizeFleet(hosts, latest, NOW, T);
  assert.deepEqual(rows.map((r) => [r.host, r.status]), [["a", "up"], ["b", "stale"], [
    "c",
    "down",
  ]]);
  const a = rows[0];
  assert.equal(a.cpu_pct, 12.5, "the total, never a core");
  assert.equal(a.mem_pct, 40);
  assert.equal(a.mem_used_bytes, 4e9);
  assert.equal(a.mem_total_bytes, 1e10);
  assert.deepEqual([a.disk_pct, a.disk_mount], [91, "/backup"], "fullest; ties by mount name");
  assert.equal(a.net_in, 150, "summed over interfaces");
  assert.equal(a.net_out, 7);
  assert.equal(a.values_at, NOW - 1000);
  assert.equal(a.last_seen, NOW - 5000);
  assert.equal(a.agent_version, "0.1.0");
  const b = rows[1];
  assert.deepEqual([b.cpu_pct, b.mem_pct, b.disk_pct, b.disk_mount, b.net_in, b.values_at], [
    null,
    null,
    null,
    null,
    null,
    null,
  ]);
});

function row(host: string, over: Partial<HostSummary> = {}): HostSummary {
  return {
    host,
    status: "up",
    last_seen: NOW,
    agent_version: null,
    cpu_pct: null,
    mem_pct: null,
    mem_used_bytes: null,
    mem_total_bytes: null,
    disk_pct: null,
    disk_mount: null,
    net_in: null,
    net_out: null,
    values_at: null,
    ...over,
  };
}

Deno.test("sort: by any column, unknown values last in both directions, ties by name", () => {
  const hosts = [
    row("web-2", { cpu_pct: 50, status: "up" }),
    row("db-1", { cpu_pct: 90, status: "down" }),
    row("web-1", { cpu_pct: null, status: "stale" }),
    row("cache", { cpu_pct: 50, status: "up" }),
  ];
  const names = (list: HostSummary[]) => list.map((h) => h.host);
  assert.deepEqual(names(sortHosts(hosts, "host", false)), ["cache", "db-1", "web-1", "web-2"]);
  assert.deepEqual(names(sortHosts(hosts, "host", true)), ["web-2", "web-1", "db-1", "cache"]);
  assert.deepEqual(names(sortHosts(hosts, "cpu", true)), ["db-1", "cache", "web-2", "web-1"]);
  assert.deepEqual(names(sortHosts(hosts, "cpu", false)), ["cache", "web-2", "db-1", "web-1"]);
  assert.deepEqual(names(sortHosts(hosts, "status", false)), ["db-1", "web-1", "cache", "web-2"]);
  assert.deepEqual(parseSort(null, null), { key: "host", desc: false });
  assert.deepEqual(parseSort("cpu", null), { key: "cpu", desc: true }, "figures: busiest first");
  assert.deepEqual(parseSort("cpu", "asc"), { key: "cpu", desc: false });
  assert.deepEqual(parseSort("<script>", "desc"), { key: "host", desc: true });
  assert.equal(hostMatches("Web-01.prod", "web"), true);
  assert.equal(hostMatches("db-1", " "), true);
  assert.equal(hostMatches("db-1", "web"), false);
});

Deno.test("diff: the first event is full, then only changed, new and removed hosts", () => {
  const d = new HostDiffer();
  const first = d.diff([row("a"), row("b")]);
  assert.deepEqual(first, { full: true, hosts: [row("a"), row("b")], removed: [] });
  assert.equal(d.diff([row("a"), row("b")]), null);
  assert.deepEqual(d.diff([row("a", { status: "stale" }), row("b"), row("c")]), {
    full: false,
    hosts: [row("a", { status: "stale" }), row("c")],
    removed: [],
  });
  assert.deepEqual(d.diff([row("c")]), { full: false, hosts: [], removed: ["a", "b"] });
  const v = new ValueDiffer();
  assert.equal(v.changed(null), true);
  assert.equal(v.changed(null), false);
  assert.equal(v.changed([{ x: 1 }]), true);
  assert.equal(v.changed([{ x: 1 }]), false);
});

Deno.test("sparkline: time across, 0–100 % up the view box; one point becomes a short dash", () => {
  const from = NOW - 3_600_000;
  assert.equal(sparkPoints([[from, 0], [NOW, 100]], from, 3_600_000), "0.0,28.0 120.0,0.0");
  assert.equal(
    sparkPoints([[from + 1_800_000, 50], [NOW + 60_000, 150]], from, 3_600_000),
    "60.0,14.0 120.0,0.0",
  );
  assert.equal(sparkPoints([[NOW, 25]], from, 3_600_000), "118.0,21.0 120.0,21.0");
  assert.equal(sparkPoints([], from, 3_600_000), "");
});
