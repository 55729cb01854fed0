import assert from "node:assert/strict";
import { DEFAULT_MOUNT_FILTER, selectMounts } from "../../../agent/collectors/select_mounts.ts";
import {
  DEFAULT_FS_TYPES_EXCLUDE,
  DEFAULT_MOUNT_POINTS_EXCLUDE,
} from "../../../agent/collectors/defaults.ts";
import { parseMountinfo } from "../../../agent/proc/parse_mountinfo.ts";
import { fixture } from "../helpers.ts";

Deno.test("selectMounts: edge cases: excluded trees and types, each device once", () => {
  const selected = selectMounts(
    parseMountinfo(fixture("edge/mountinfo_edge")),
    DEFAULT_MOUNT_FILTER,
  );
  assert.deepEqual(selected.map((m) => m.mountPoint), [
    "/", // 8:1; /opt/app is a bind of a subdirectory of it
    "/mnt/my disk", // 8:2; /srv/data is the same device mounted again
    "/run",
    "/mnt/tab\tand\\back",
    "/boot",
    "/device", // "/dev" excludes /dev and /dev/…, not /device
    "/data", // 8:17: the mount of the file system's root wins over the earlier /mnt/sub-first
  ]);
});

Deno.test("selectMounts: the real VM keeps / and the sandbox tmpfs only", () => {
  const selected = selectMounts(parseMountinfo(fixture("vm/self_mountinfo")), DEFAULT_MOUNT_FILTER);
  assert.deepEqual(selected.map((m) => `${m.mountPoint} ${m.fsType} ${m.source}`), [
    "/ ext4 /dev/vda",
    "/mnt/sandboxing/model_tools_env/v1/python tmpfs model_tools_unavailable",
  ]);
});

Deno.test("selectMounts: a custom mount-point exclude replaces the default", () => {
  const mounts = parseMountinfo(fixture("edge/mountinfo_edge"));
  const selected = selectMounts(mounts, {
    mountPointsExclude: /^\/(boot|mnt)($|\/)/,
    fsTypesExclude: DEFAULT_FS_TYPES_EXCLUDE,
  });
  assert.deepEqual(selected.map((m) => m.mountPoint), [
    "/",
    "/srv/data",
    "/run/credentials/foo.service",
    "/run",
    "/device",
    "/dev/shm",
    "/data",
  ]);
});

Deno.test("DEFAULT_MOUNT_POINTS_EXCLUDE: node_exporter's default", () => {
  for (const p of ["/dev", "/dev/shm", "/proc", "/sys/fs/cgroup", "/run/credentials/x.service"]) {
    assert.equal(DEFAULT_MOUNT_POINTS_EXCLUDE.test(p), true, p);
  }
  for (const p of ["/", "/run", "/device", "/var/lib/docker", "/home", "/run/credentials"]) {
    assert.equal(DEFAULT_MOUNT_POINTS_EXCLUDE.test(p), false, p);
  }
});
