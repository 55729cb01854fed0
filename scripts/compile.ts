/**
 * `deno task compile`: builds the standalone `dist/miniobserv-agent` and
 * `dist/miniobserv-server` executables with `deno compile`.
 *
 * `deno compile` needs Deno's `denort` runtime. It downloads it on first use; where that is
 * impossible (an offline build machine), point `DENORT_BIN` at a `denort` binary of the same
 * Deno version and it is used instead of the download.
 */
import { type CompileTarget as Target, TARGETS } from "./compile_targets.ts";

async function compile(t: Target, outDir: string): Promise<void> {
  const args = [
    "compile",
    ...t.permissions,
    "--include",
    "migrations/",
    "--include",
    "server/dashboard/static/",
    "--output",
    `${outDir}/${t.name}`,
    t.entry,
  ];
  console.error(`compile: deno ${args.join(" ")}`);
  const { code } = await new Deno.Command(Deno.execPath(), {
    args,
    stdout: "inherit",
    stderr: "inherit",
  })
    .output();
  if (code !== 0) {
    throw new Error(
      `compile: building ${t.name} failed (exit ${code}). If the error is about downloading ` +
        "denort, set DENORT_BIN to a denort binary of this Deno version.",
    );
  }
}

const denort = Deno.env.get("DENORT_BIN");
if (denort) {
  try {
    Deno.statSync(denort);
  } catch {
    console.error(`compile: DENORT_BIN=${denort} does not exist`);
    Deno.exit(1);
  }
  console.error(`compile: using denort from DENORT_BIN=${denort}`);
}
const outDir = Deno.env.get("OUT_DIR") ?? "dist";
await Deno.mkdir(outDir, { recursive: true });
try {
  for (const t of TARGETS) {
    try {
      Deno.statSync(t.entry);
    } catch {
      throw new Error(`compile: ${t.entry} is not built yet`);
    }
    await compile(t, outDir);
  }
} catch (e) {
  console.error((e as Error).message);
  Deno.exit(1);
}
console.error(`compile: wrote ${TARGETS.map((t) => `${outDir}/${t.name}`).join(", ")}`);
