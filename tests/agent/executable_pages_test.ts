import assert from "node:assert/strict";
import {
  executableMappings,
  openLibcMadvise,
  releaseExecutablePages,
} from "../../agent/executable_pages.ts";
import { agentTaskFlags } from "../../scripts/task_flags.ts";
import { fixture } from "./helpers.ts";

const DENO = "/usr/lib/node_modules/deno/deno";

Deno.test("executableMappings: real smaps: clean read-only and text mappings only", () => {
  // Captured from a deno process: its executable's mappings, a few others kept for contrast.
  const m = executableMappings(fixture("vm/self_smaps_deno"), DENO);
  assert.deepEqual(
    m.releasable.map((r) => [r.start.toString(16), r.end.toString(16), r.rssKb]),
    [
      ["561362424000", "561363fb2000", 12020], // r--p: read-only data, untouched since mapped
      ["561364228000", "561367f1c000", 12032], // r-xp: text
      ["7f7b67dc0000", "7f7b67fe6000", 1676], // r-xp: V8's builtins, remapped
    ],
  );
  // rw-p .data/.bss, and the r--p pages relocated then made read-only (Anonymous > 0).
  assert.equal(m.keptKb, 2504 + 52 + 4 + 4 + 4 + 136);
});

Deno.test("executableMappings: another file, a missing Anonymous line or a writable mapping stay", () => {
  const smaps = [
    "1000-2000 r-xp 00000000 fe:00 1 /usr/bin/other",
    "Rss:                   4 kB",
    "Anonymous:             0 kB",
    "3000-5000 r-xp 00000000 fe:00 2 /opt/my agent/agent",
    "Rss:                   8 kB",
    "Anonymous:             0 kB",
    "6000-7000 r--p 00000000 fe:00 2 /opt/my agent/agent",
    "Rss:                   4 kB",
    "7000-8000 rw-p 00000000 fe:00 2 /opt/my agent/agent",
    "Rss:                   4 kB",
    "Anonymous:             0 kB",
    "8000-9000 r--p 00000000 fe:00 2 /opt/my agent/agent",
    "Rss:                   0 kB",
    "Anonymous:             0 kB",
    "",
  ].join("\n");
  const m = executableMappings(smaps, "/opt/my agent/agent");
  assert.deepEqual(m.releasable, [{ start: 0x3000n, end: 0x5000n, rssKb: 8 }]);
  assert.equal(m.keptKb, 8, "the mapping without an Anonymous line and the writable one");
});

Deno.test("releaseExecutablePages: MADV_DONTNEED over each range; a refusal is counted, not summed", () => {
  const calls: Array<[bigint, bigint, number]> = [];
  const result = releaseExecutablePages(
    (start, length, advice) => {
      calls.push([start, length, advice]);
      return start === 0x7f7b67dc0000n ? -1 : 0;
    },
    () => fixture("vm/self_smaps_deno"),
    DENO,
  );
  assert.deepEqual(calls, [
    [0x561362424000n, 0x561363fb2000n - 0x561362424000n, 4],
    [0x561364228000n, 0x561367f1c000n - 0x561364228000n, 4],
    [0x7f7b67dc0000n, 0x7f7b67fe6000n - 0x7f7b67dc0000n, 4],
  ]);
  assert.deepEqual(result, { releasedKb: 12020 + 12032, keptKb: 2704, ranges: 3, failed: 1 });
});

Deno.test("releaseExecutablePages: a real deno process lets go of its executable's pages and runs on", async () => {
  // A child with the agent's flags: it loads what the agent loads much of (node compat,
  // zlib, FFI), releases, then works through the same code paths again.
  const child = `
    import { gzipSync, gunzipSync } from "node:zlib";
    import { openLibcMadvise, releaseExecutablePages } from ${
    JSON.stringify(new URL("../../agent/executable_pages.ts", import.meta.url).href)
  };
    const rssFile = () => Number(/RssFile:\\s+(\\d+)/.exec(Deno.readTextFileSync("/proc/self/status"))[1]);
    const work = () => new TextDecoder().decode(gunzipSync(gzipSync(new TextEncoder().encode(JSON.stringify({ n: 42 })))));
    work();
    const before = rssFile();
    const result = releaseExecutablePages(openLibcMadvise());
    const after = rssFile();
    console.log(JSON.stringify({ before, after, result, work: work(), again: rssFile() }));
  `;
  const script = await Deno.makeTempFile({ suffix: ".ts" });
  await Deno.writeTextFile(script, child);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...agentTaskFlags(), script],
    stdout: "piped",
    stderr: "inherit",
  }).output().finally(() => Deno.remove(script));
  assert.equal(out.code, 0);
  const r = JSON.parse(new TextDecoder().decode(out.stdout));
  assert.equal(r.work, '{"n":42}', "the process works after the release");
  assert.ok(r.result.ranges > 0 && r.result.failed === 0, JSON.stringify(r.result));
  assert.ok(
    r.after < r.before - 10_000,
    `RssFile ${r.before} kB -> ${r.after} kB: at least 10 MB released (${
      JSON.stringify(r.result)
    })`,
  );
});

Deno.test("openLibcMadvise: loads libc's madvise", () => {
  assert.equal(typeof openLibcMadvise(), "function");
});
