import assert from "node:assert/strict";
import { ConfigError } from "../../../shared/config_env.ts";
import { readSnapshotInterval } from "../../../shared/telemetry/config.ts";

Deno.test("SELF_SNAPSHOT_INTERVAL: 30 s by default, 1 s to 5 min, named in errors", () => {
  assert.equal(readSnapshotInterval({}), 30_000);
  assert.equal(readSnapshotInterval({ SELF_SNAPSHOT_INTERVAL: "10s" }), 10_000);
  assert.equal(readSnapshotInterval({ SELF_SNAPSHOT_INTERVAL: "5m" }), 300_000);
  assert.throws(
    () => readSnapshotInterval({ SELF_SNAPSHOT_INTERVAL: "500ms" }),
    (e) =>
      e instanceof ConfigError && /SELF_SNAPSHOT_INTERVAL="500ms" is out of range/.test(e.message),
  );
  assert.throws(() => readSnapshotInterval({ SELF_SNAPSHOT_INTERVAL: "1h" }), ConfigError);
  assert.throws(() => readSnapshotInterval({ SELF_SNAPSHOT_INTERVAL: "often" }), /not a duration/);
});
