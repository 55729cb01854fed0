import assert from "node:assert/strict";
import { parseNetDev } from "../../../agent/proc/parse_net_dev.ts";
import { fixture } from "../helpers.ts";

Deno.test("parseNetDev: real /proc/net/dev: every interface, headers skipped", () => {
  const ifaces = parseNetDev(fixture("vm/net_dev.1"));
  assert.deepEqual(ifaces.map((i) => i.iface), ["lo", "ifb0", "ifb1", "eth0"]);
  // "  eth0: 112327083    3152 … 143043    1757 …"
  assert.deepEqual(ifaces[3], { iface: "eth0", rxBytes: 112327083, txBytes: 143043 });
});

Deno.test("parseNetDev: a name glued to its first counter and long names", () => {
  const ifaces = parseNetDev(fixture("edge/net_dev_wrap.1"));
  assert.deepEqual(ifaces.find((i) => i.iface === "eth1"), {
    iface: "eth1",
    rxBytes: 2000,
    txBytes: 3000,
  });
  assert.deepEqual(ifaces.find((i) => i.iface === "docker0"), {
    iface: "docker0",
    rxBytes: 100,
    txBytes: 200,
  });
});

Deno.test("parseNetDev: a line missing the transmit fields is refused, naming it", () => {
  assert.throws(
    () => parseNetDev(fixture("edge/net_dev_truncated")),
    /line 3 \("eth0: 100 1 0 0"\): transmit bytes is missing/,
  );
  assert.throws(() => parseNetDev("eth0 1 2 3\n"), /line 1 .*expected "iface: counters"/);
});
