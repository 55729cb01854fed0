import assert from "node:assert/strict";
import { ProcReader } from "../../../agent/proc/proc_reader.ts";

Deno.test("ProcReader: a real /proc file reads as readTextFileSync reads it, again and again", () => {
  const proc = new ProcReader();
  try {
    const expected = Deno.readTextFileSync("/proc/self/mountinfo");
    assert.equal(proc.read("/proc/self/mountinfo"), expected);
    assert.equal(proc.read("/proc/self/mountinfo"), expected, "the kept descriptor reads again");
    assert.match(proc.read("/proc/stat"), /^cpu /);
  } finally {
    proc.close();
  }
});

Deno.test("ProcReader: a kept /proc descriptor yields fresh text each read", () => {
  const proc = new ProcReader();
  try {
    // utime/stime of this process grow while it spins; a stale buffer would repeat itself.
    const first = proc.read("/proc/self/stat");
    let later = first;
    const t0 = Date.now();
    while (later === first && Date.now() - t0 < 5000) later = proc.read("/proc/self/stat");
    assert.notEqual(later, first);
  } finally {
    proc.close();
  }
});

Deno.test("ProcReader: files larger than the buffer grow it; a rewritten file is read anew", async () => {
  const dir = await Deno.makeTempDir();
  const proc = new ProcReader(8);
  try {
    const path = `${dir}/f`;
    const long = "x".repeat(100) + "\n";
    await Deno.writeTextFile(path, long);
    assert.equal(proc.read(path), long);
    await Deno.writeTextFile(path, "short\n"); // same inode, truncated and rewritten
    assert.equal(proc.read(path), "short\n");
    await Deno.writeTextFile(path, "");
    assert.equal(proc.read(path), "");
  } finally {
    proc.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("ProcReader: a missing file throws NotFound, and a later read opens it again", async () => {
  const dir = await Deno.makeTempDir();
  const proc = new ProcReader();
  try {
    const path = `${dir}/later`;
    assert.throws(() => proc.read(path), Deno.errors.NotFound);
    await Deno.writeTextFile(path, "here\n");
    assert.equal(proc.read(path), "here\n");
  } finally {
    proc.close();
    await Deno.remove(dir, { recursive: true });
  }
});
