import assert from "node:assert/strict";
import { answersFromMemory, filesystemUsage } from "../../../agent/statfs/statfs.ts";

Deno.test("filesystemUsage: df's arithmetic, reserved blocks excluded from the percent", () => {
  // 1000 blocks of 4 KiB, 400 free of which 300 usable by non-root users.
  assert.deepEqual(filesystemUsage({ frsize: 4096, blocks: 1000, bfree: 400, bavail: 300 }), {
    totalBytes: 4096000,
    usedBytes: 2457600,
    usedPct: 600 / 900 * 100,
  });
});

Deno.test("filesystemUsage: no usable space at all has no percent", () => {
  assert.deepEqual(filesystemUsage({ frsize: 4096, blocks: 0, bfree: 0, bavail: 0 }), {
    totalBytes: 0,
    usedBytes: 0,
    usedPct: null,
  });
});

Deno.test("answersFromMemory: local file systems yes; network, FUSE, btrfs, ZFS and unknown types no", () => {
  for (const t of ["ext2", "ext3", "ext4", "xfs", "f2fs", "vfat", "exfat", "tmpfs", "ramfs"]) {
    assert.equal(answersFromMemory(t), true, t);
  }
  for (
    const t of ["nfs", "nfs4", "cifs", "smb3", "fuse", "fuse.sshfs", "fuseblk", "ceph", "9p"]
      .concat(["btrfs", "zfs", "glusterfs", "ext4x", "", "overlay"])
  ) {
    assert.equal(answersFromMemory(t), false, t);
  }
});
