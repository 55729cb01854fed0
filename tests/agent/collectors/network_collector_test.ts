import assert from "node:assert/strict";
import {
  interfaceSelected,
  NetworkCollector,
} from "../../../agent/collectors/network_collector.ts";
import { byKey, FakeClock, FakeProc, fixture } from "../helpers.ts";

function setup(filter?: { include: RegExp[]; exclude: RegExp[] }) {
  const proc = new FakeProc();
  const clock = new FakeClock();
  const net = new NetworkCollector({ host: "vm", readFile: proc.readFile, now: clock.now }, filter);
  const sample = async (file: string, afterMs: number) => {
    proc.set("/proc/net/dev", fixture(file));
    clock.advance(afterMs);
    return await net.collect();
  };
  return { sample };
}

Deno.test("NetworkCollector: real samples: bytes per second per interface, lo excluded", async () => {
  const { sample } = setup();
  assert.deepEqual(await sample("vm/net_dev.1", 0), []);
  const metrics = await sample("vm/net_dev.2", 1000);
  // eth0 rx 112327083 → 117333591, tx 143043 → 148069, over 1 s.
  assert.deepEqual(byKey(metrics), {
    "net.bytes_in{iface=ifb0}": 0,
    "net.bytes_out{iface=ifb0}": 0,
    "net.bytes_in{iface=ifb1}": 0,
    "net.bytes_out{iface=ifb1}": 0,
    "net.bytes_in{iface=eth0}": 117333591 - 112327083,
    "net.bytes_out{iface=eth0}": 148069 - 143043,
  });
  assert.equal(byKey(metrics)["net.bytes_in{iface=eth0}"], 5006508);
});

Deno.test("NetworkCollector: the rate is over the measured interval, not the nominal one", async () => {
  const { sample } = setup();
  await sample("vm/net_dev.1", 0);
  const metrics = await sample("vm/net_dev.2", 2500);
  assert.equal(byKey(metrics)["net.bytes_in{iface=eth0}"], 5006508 / 2.5);
  assert.equal(byKey(metrics)["net.bytes_out{iface=eth0}"], 5026 / 2.5);
});

Deno.test("NetworkCollector: a counter that wraps or resets yields nothing for that interface", async () => {
  const { sample } = setup();
  await sample("edge/net_dev_wrap.1", 0);
  const metrics = await sample("edge/net_dev_wrap.2", 2000);
  // eth0 rx 4294967000 → 200 (32-bit wrap): skipped. eth1 +3000 / +1500, docker0 +600 / +600.
  assert.deepEqual(byKey(metrics), {
    "net.bytes_in{iface=eth1}": 1500,
    "net.bytes_out{iface=eth1}": 750,
    "net.bytes_in{iface=docker0}": 300,
    "net.bytes_out{iface=docker0}": 300,
  });
  // The reset reseeded eth0: the next tick has it again.
  const next = await sample("edge/net_dev_wrap.2", 1000);
  assert.equal(byKey(next)["net.bytes_in{iface=eth0}"], 0);
});

Deno.test("NetworkCollector: include and exclude patterns", async () => {
  const { sample } = setup({ include: [/^eth/, /^lo$/], exclude: [/^eth0$/] });
  await sample("edge/net_dev_wrap.1", 0);
  const metrics = await sample("edge/net_dev_wrap.2", 1000);
  assert.deepEqual(byKey(metrics), {
    "net.bytes_in{iface=lo}": 8000,
    "net.bytes_out{iface=lo}": 8000,
    "net.bytes_in{iface=eth1}": 3000,
    "net.bytes_out{iface=eth1}": 1500,
  });
});

Deno.test("NetworkCollector: no elapsed time yields nothing, never Infinity", async () => {
  const { sample } = setup();
  await sample("edge/net_dev_wrap.1", 0);
  assert.deepEqual(await sample("edge/net_dev_wrap.2", 0), []);
});

Deno.test("NetworkCollector: errors carry context", async () => {
  const { sample } = setup();
  await assert.rejects(
    sample("edge/net_dev_truncated", 0),
    /^Error: network: parsing \/proc\/net\/dev: line 3/,
  );
});

Deno.test("interfaceSelected: empty include means all; exclude wins", () => {
  assert.equal(interfaceSelected("eth0", { include: [], exclude: [/^lo$/] }), true);
  assert.equal(interfaceSelected("lo", { include: [], exclude: [/^lo$/] }), false);
  assert.equal(interfaceSelected("wlan0", { include: [/^eth/], exclude: [] }), false);
  assert.equal(interfaceSelected("eth0", { include: [/^eth/], exclude: [/0$/] }), false);
});
