/**
 * `GET /api/v1/hosts`: status up, stale and down follow the injected clock.
 */
import assert from "node:assert/strict";
import { batch, get, harness, metric, NOW, postMetrics } from "./harness.ts";
import { testOnStores } from "./storage.ts";
import { validToken } from "./tokens.ts";

interface HostView {
  host: string;
  last_seen: string;
  agent_version: string | null;
  status: string;
}

testOnStores("hosts: up, stale, down by the injected clock", async (store, clock) => {
  const h = harness(store, { hostStaleAfterMs: 30_000, hostDownAfterMs: 60_000 }, clock);
  const send = async (host: string, at: number, version?: string) => {
    h.clock.now = at;
    const token = await validToken(host, "ingest", at);
    const res = await postMetrics(
      h,
      batch(`b-${host}-${at}`, host, [metric(host, "cpu.usage_pct", at - 1000, 1)]),
      token,
      version ? { "x-agent-version": version } : {},
    );
    assert.equal(res.status, 202);
    await res.body?.cancel();
  };
  await send("fresh", NOW - 10_000, "0.1.0");
  await send("edge-up", NOW - 30_000);
  await send("stale", NOW - 45_000, "0.0.9");
  await send("edge-stale", NOW - 60_000);
  await send("down", NOW - 61_000);
  h.clock.now = NOW;

  const token = await validToken("reader", "read", NOW);
  const res = await get(h, "/api/v1/hosts", token);
  assert.equal(res.status, 200);
  const { hosts } = await res.json() as { hosts: HostView[] };
  const byName = Object.fromEntries(hosts.map((x) => [x.host, x]));
  assert.deepEqual(Object.keys(byName).sort(), ["down", "edge-stale", "edge-up", "fresh", "stale"]);
  assert.equal(byName.fresh.status, "up");
  assert.equal(byName["edge-up"].status, "up");
  assert.equal(byName.stale.status, "stale");
  assert.equal(byName["edge-stale"].status, "stale");
  assert.equal(byName.down.status, "down");
  assert.equal(byName.fresh.agent_version, "0.1.0");
  assert.equal(byName["edge-up"].agent_version, null);
  assert.equal(byName.stale.last_seen, new Date(NOW - 45_000).toISOString());

  // Time passes: everything goes down; a new batch brings a host back up.
  h.clock.now = NOW + 3_600_000;
  let later = await (await get(h, "/api/v1/hosts", await validToken("r", "read", h.clock.now)))
    .json() as { hosts: HostView[] };
  assert.ok(later.hosts.every((x) => x.status === "down"));
  await send("down", NOW + 3_600_000, "0.2.0");
  later = await (await get(h, "/api/v1/hosts", await validToken("r", "read", h.clock.now)))
    .json() as { hosts: HostView[] };
  const back = later.hosts.find((x) => x.host === "down")!;
  assert.equal(back.status, "up");
  assert.equal(back.agent_version, "0.2.0");
});

testOnStores("hosts: empty list when nothing was ingested", async (store, clock) => {
  const h = harness(store, {}, clock);
  const res = await get(h, "/api/v1/hosts", await validToken("reader", "read", NOW));
  assert.equal(res.status, 200);
  assert.deepEqual(await res.json(), { hosts: [] });
});
