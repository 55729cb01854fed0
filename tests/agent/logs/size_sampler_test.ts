/**
 * SizeSampler on real files: the size just before a truncation is reported, though the thread
 * that asked is busy (the writes and the truncation are synchronous calls on it); a sampling
 * that comes too late, or whose copy stops growing without a truncation, ends; close() lets the
 * process exit.
 */
import assert from "node:assert/strict";
import { COPY_IDLE_MS, SizeSampler } from "../../../agent/logs/size_sampler.ts";

const enc = new TextEncoder();

/** Blocks this thread for `ms` (the worker goes on sampling). */
function busy(ms: number): void {
  const end = performance.now() + ms;
  while (performance.now() < end) { /* busy */ }
}

function samplerTest(name: string, fn: (dir: string) => Promise<void>): void {
  Deno.test({
    name: `size sampler: ${name}`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const dir = await Deno.makeTempDir({ prefix: "sampler-" });
      try {
        await fn(dir);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

function collect() {
  const sizes = new Map<number, number>();
  const done = new Set<number>();
  const sampler = new SizeSampler(
    (id, size) => sizes.set(id, Math.max(sizes.get(id) ?? 0, size)),
    (id) => done.add(id),
  );
  return { sampler, sizes, done };
}

samplerTest(
  "the size just before the truncation is reported, the caller busy meanwhile",
  async (dir) => {
    const path = `${dir}/app.log`;
    const w = Deno.openSync(path, { append: true, create: true });
    const { sampler, sizes, done } = collect();
    try {
      w.writeSync(enc.encode("a line\n".repeat(1000)));
      Deno.copyFileSync(path, `${dir}/app.log.1`);
      assert.ok(sampler.start(1, path, Deno.statSync(path).ino!, `${dir}/app.log.1`));
      await new Promise((r) => setTimeout(r, 50)); // the worker is sampling
      const before = Deno.statSync(path).size + w.writeSync(enc.encode("lost\n".repeat(30)));
      busy(5);
      Deno.truncateSync(path, 0);
      w.writeSync(enc.encode("after\n"));
      await sampler.settle(1, 2000);
      assert.ok(done.has(1));
      assert.equal(sizes.get(1), before);
    } finally {
      sampler.close();
      w.close();
    }
  },
);

samplerTest(
  "too late (the copy already larger than the file): over at once, no size",
  async (dir) => {
    const path = `${dir}/app.log`;
    Deno.writeTextFileSync(path, "x\n".repeat(100));
    Deno.copyFileSync(path, `${dir}/app.log.1`);
    Deno.truncateSync(path, 0);
    const { sampler, sizes, done } = collect();
    try {
      assert.ok(sampler.start(7, path, Deno.statSync(path).ino!, `${dir}/app.log.1`));
      await sampler.settle(7, 2000);
      assert.ok(done.has(7));
      assert.equal(sizes.get(7), undefined);
    } finally {
      sampler.close();
    }
  },
);

samplerTest(
  "a copy that stops growing with no truncation: over after COPY_IDLE_MS",
  async (dir) => {
    const path = `${dir}/app.log`;
    Deno.writeTextFileSync(path, "x\n".repeat(100));
    Deno.copyFileSync(path, `${dir}/copy`);
    const { sampler, done } = collect();
    try {
      const t0 = Date.now();
      assert.ok(sampler.start(3, path, Deno.statSync(path).ino!, `${dir}/copy`));
      await sampler.settle(3, COPY_IDLE_MS + 3000);
      assert.ok(done.has(3));
      assert.ok(Date.now() - t0 >= COPY_IDLE_MS - 50, `${Date.now() - t0} ms`);
    } finally {
      sampler.close();
    }
  },
);

samplerTest("close ends samplings in progress; nothing starts afterwards", async (dir) => {
  const path = `${dir}/app.log`;
  Deno.writeTextFileSync(path, "x\n".repeat(100));
  Deno.copyFileSync(path, `${dir}/copy`);
  const { sampler, done } = collect();
  assert.ok(sampler.start(1, path, Deno.statSync(path).ino!, `${dir}/copy`));
  await new Promise((r) => setTimeout(r, 30));
  sampler.close();
  assert.ok(done.has(1));
  assert.equal(sampler.start(2, path, 0, `${dir}/copy`), false);
});

Deno.test("size sampler: a process with a sampler exits once it is closed (a worker blocked in Atomics.wait would keep it)", async () => {
  const code = `
    import { SizeSampler } from ${
    JSON.stringify(new URL("../../../agent/logs/size_sampler.ts", import.meta.url).href)
  };
    const s = new SizeSampler(() => {});
    await new Promise((r) => setTimeout(r, 200));
    s.close();
  `;
  const child = new Deno.Command(Deno.execPath(), {
    args: ["eval", "--ext=ts", code],
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const { code: exit, signal } = await child.status;
  clearTimeout(timer);
  assert.equal(signal, null, "killed: it did not exit by itself");
  assert.equal(exit, 0);
});
