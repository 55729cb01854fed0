/** The real statvfs through FFI, checked against `df -B1` on this machine. */
import assert from "node:assert/strict";
import { decodeStatvfs, openStatfs } from "../../../agent/statfs/statfs_ffi.ts";
import { filesystemUsage } from "../../../agent/statfs/statfs.ts";

interface DfRow {
  total: number;
  used: number;
  available: number;
  usePct: number | null;
  mount: string;
}

async function df(): Promise<DfRow[]> {
  const out = await new Deno.Command("df", { args: ["-B1", "-P"], env: { LC_ALL: "C" } }).output();
  assert.ok(out.success, new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout).trim().split("\n").slice(1).map((line) => {
    const f = line.split(/\s+/);
    return {
      total: Number(f[1]),
      used: Number(f[2]),
      available: Number(f[3]),
      usePct: f[4] === "-" ? null : Number(f[4].replace("%", "")),
      mount: f.slice(5).join(" "),
    };
  });
}

/** Bytes that may change between our call and df's on a live file system. */
const DRIFT = 256 * 1024 * 1024;

Deno.test("openStatfs: matches df -B1 for every mount df lists", async () => {
  const loaded = openStatfs();
  try {
    const rows = (await df()).filter((r) => r.total > 0);
    assert.ok(rows.length > 0, "df listed no file system");
    for (const row of rows) {
      const usage = filesystemUsage(await loaded.statfs(row.mount));
      assert.equal(usage.totalBytes, row.total, `${row.mount}: total`);
      assert.ok(Math.abs(usage.usedBytes - row.used) <= DRIFT, `${row.mount}: used`);
      if (row.usePct !== null && usage.usedPct !== null) {
        // df rounds up; allow one point for what changed in between.
        assert.ok(Math.abs(Math.ceil(usage.usedPct) - row.usePct) <= 1, `${row.mount}: use%`);
      }
    }
  } finally {
    loaded.close();
  }
});

Deno.test("openStatfs: the on-thread call gives what the pool call gives", async () => {
  const loaded = openStatfs();
  try {
    const [pooled, onThread] = [await loaded.statfs("/"), loaded.statfsSync("/")];
    assert.equal(onThread.frsize, pooled.frsize);
    assert.equal(onThread.blocks, pooled.blocks);
    assert.ok(Math.abs(onThread.bfree - pooled.bfree) * pooled.frsize <= DRIFT);
  } finally {
    loaded.close();
  }
});

Deno.test("openStatfs: a path that does not exist is an error naming it", async () => {
  const loaded = openStatfs();
  try {
    await assert.rejects(loaded.statfs("/no/such/path"), /statvfs\("\/no\/such\/path"\) failed/);
    assert.throws(() => loaded.statfsSync("/no/such/path"), /statvfs\("\/no\/such\/path"\) failed/);
  } finally {
    loaded.close();
  }
});

Deno.test("decodeStatvfs: reads f_frsize, f_blocks, f_bfree, f_bavail as little-endian u64", () => {
  const buf = new Uint8Array(112);
  const view = new DataView(buf.buffer);
  [4096n, 1024n, 1000n, 400n, 300n].forEach((v, i) => view.setBigUint64(i * 8, v, true));
  assert.deepEqual(decodeStatvfs(buf), { frsize: 1024, blocks: 1000, bfree: 400, bavail: 300 });
});
