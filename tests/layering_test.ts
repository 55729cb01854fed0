/**
 * Enforces the layering of DESIGN.md by reading every import: `shared/` imports neither
 * `agent/` nor `server/`, and `agent/` and `server/` never import each other.
 */
import assert from "node:assert/strict";
import { findLayeringViolations, type SourceFile } from "./layering.ts";

const ROOT = new URL("../", import.meta.url);

async function collect(dir: string): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  const walk = async (rel: string) => {
    for await (const e of Deno.readDir(new URL(rel, ROOT))) {
      const path = `${rel}/${e.name}`;
      if (e.isDirectory) await walk(path);
      else if (/\.(ts|tsx)$/.test(e.name)) {
        out.push({ path, text: await Deno.readTextFile(new URL(path, ROOT)) });
      }
    }
  };
  await walk(dir);
  return out;
}

Deno.test("layering: the real tree has no forbidden import", async () => {
  const files = [
    ...await collect("shared"),
    ...await collect("agent"),
    ...await collect("server"),
  ];
  assert.ok(files.length > 5, "expected source files to check");
  assert.deepEqual(findLayeringViolations(files), []);
});

Deno.test("layering: shared importing agent or server is reported", () => {
  const v = findLayeringViolations([
    { path: "shared/a.ts", text: `import { x } from "../agent/collectors/cpu.ts";` },
    { path: "shared/b.ts", text: `export * from '../server/app.ts';` },
    { path: "shared/c.ts", text: `const m = await import("../server/main.ts");` },
  ]);
  assert.equal(v.length, 3);
  assert.match(v[0], /shared\/a\.ts imports agent\//);
});

Deno.test("layering: agent and server importing each other is reported", () => {
  const v = findLayeringViolations([
    { path: "agent/x.ts", text: `import type { A } from "../server/storage/metric_store.ts";` },
    { path: "server/y/z.ts", text: `import "../../agent/main.ts";` },
    { path: "server/ok.ts", text: `import { validateBatch } from "../shared/metric.ts";` },
  ]);
  assert.deepEqual(v, [
    "agent/x.ts imports server/storage/metric_store.ts",
    "server/y/z.ts imports agent/main.ts",
  ]);
});
