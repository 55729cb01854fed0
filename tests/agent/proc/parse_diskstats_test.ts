import assert from "node:assert/strict";
import { parseDiskstats } from "../../../agent/proc/parse_diskstats.ts";
import { fixture } from "../helpers.ts";

Deno.test("parseDiskstats: real /proc/diskstats: every device, sectors read and written", () => {
  const disks = parseDiskstats(fixture("vm/diskstats.1"));
  assert.deepEqual(disks.map((d) => d.device), [
    "loop0",
    "loop1",
    "loop2",
    "loop3",
    "loop4",
    "loop5",
    "loop6",
    "loop7",
    "vda",
    "zram0",
  ]);
  // " 254       0 vda 32698 6715 1582154 10018 24021 11332 1841376 …"
  assert.deepEqual(disks[8], { device: "vda", sectorsRead: 1582154, sectorsWritten: 1841376 });
});

Deno.test("parseDiskstats: old 14-field and new 20-field lines", () => {
  const disks = parseDiskstats(fixture("edge/diskstats_reset.1"));
  assert.deepEqual(disks[0], { device: "sda", sectorsRead: 2000, sectorsWritten: 4000 });
  assert.deepEqual(disks[2], { device: "nvme0n1", sectorsRead: 1000, sectorsWritten: 3000 });
});

Deno.test("parseDiskstats: a truncated line is refused, naming it", () => {
  assert.throws(
    () => parseDiskstats(fixture("edge/diskstats_truncated")),
    /line 2 \("8 {6}16 sdb 1 2 3"\): expected at least 10 fields, got 6/,
  );
});
