import assert from "node:assert/strict";
import { DiskIoCollector } from "../../../agent/collectors/disk_io_collector.ts";
import { DEFAULT_DISK_DEVICES_EXCLUDE } from "../../../agent/collectors/defaults.ts";
import { byKey, FakeClock, FakeProc, fixture } from "../helpers.ts";

function setup() {
  const proc = new FakeProc();
  const clock = new FakeClock();
  const disk = new DiskIoCollector({ host: "vm", readFile: proc.readFile, now: clock.now });
  const sample = async (file: string, afterMs: number) => {
    proc.set("/proc/diskstats", fixture(file));
    clock.advance(afterMs);
    return await disk.collect();
  };
  return { sample };
}

Deno.test("DiskIoCollector: real samples: whole disks only, 512-byte sectors per second", async () => {
  const { sample } = setup();
  assert.deepEqual(await sample("vm/diskstats.1", 0), []);
  const metrics = await sample("vm/diskstats.2", 1000);
  // vda sectors read 1582154 → 1582186, written 1841376 → 1841376; loop* and zram0 excluded.
  assert.deepEqual(byKey(metrics), {
    "disk.read_bytes{device=vda}": (1582186 - 1582154) * 512,
    "disk.write_bytes{device=vda}": 0,
  });
  assert.equal(metrics[0].value, 16384);
});

Deno.test("DiskIoCollector: partitions excluded, a reset device skipped, rate over 2 s", async () => {
  const { sample } = setup();
  await sample("edge/diskstats_reset.1", 0);
  const metrics = await sample("edge/diskstats_reset.2", 2000);
  // sda: read +400 sectors, write +1000; nvme0n1 went backwards (reset): no value;
  // dm-0: read +0, write +240; sda1, nvme0n1p1, loop0 and zram0 are excluded.
  assert.deepEqual(byKey(metrics), {
    "disk.read_bytes{device=sda}": 400 * 512 / 2,
    "disk.write_bytes{device=sda}": 1000 * 512 / 2,
    "disk.read_bytes{device=dm-0}": 0,
    "disk.write_bytes{device=dm-0}": 240 * 512 / 2,
  });
  assert.equal(byKey(metrics)["disk.write_bytes{device=sda}"], 256000);
});

Deno.test("DiskIoCollector: errors carry context", async () => {
  const { sample } = setup();
  await assert.rejects(
    sample("edge/diskstats_truncated", 0),
    /^Error: diskio: parsing \/proc\/diskstats: line 2/,
  );
});

Deno.test("DEFAULT_DISK_DEVICES_EXCLUDE: node_exporter's default", () => {
  for (const d of ["sda1", "vda2", "xvda1", "hdb3", "nvme0n1p1", "loop0", "ram1", "zram0", "fd0"]) {
    assert.equal(DEFAULT_DISK_DEVICES_EXCLUDE.test(d), true, d);
  }
  for (const d of ["sda", "vda", "xvda", "nvme0n1", "dm-0", "md0", "mmcblk0"]) {
    assert.equal(DEFAULT_DISK_DEVICES_EXCLUDE.test(d), false, d);
  }
});
