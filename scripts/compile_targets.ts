/** The executables `deno task compile` builds, with the permissions baked into each. */

/** One executable: its name, entry point and the permissions baked into it. */
export interface CompileTarget {
  name: string;
  entry: string;
  permissions: string[];
}

/**
 * The agent gets `--allow-all`: Deno reads `/proc` only with every permission granted
 * (see README, Permissions), and it needs FFI for statvfs. A test runs the agent with
 * exactly these flags so a narrower set cannot slip in unnoticed.
 */
export const TARGETS: readonly CompileTarget[] = [
  {
    name: "miniobserv-agent",
    entry: "agent/main.ts",
    // The same runtime flags as the `agent` task: they cut the agent's idle CPU and RSS (README).
    permissions: [
      "--allow-all",
      "--no-code-cache",
      "--v8-flags=--jitless,--no-memory-reducer,--single-threaded-gc",
    ],
  },
  {
    name: "miniobserv-server",
    entry: "server/main.ts",
    // --allow-run=ls,getconf only to count its open file descriptors and read their limit:
    // Deno reads /proc/self/fd only with --allow-all (shared/telemetry/open_fds.ts).
    permissions: [
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-net",
      "--allow-sys",
      "--allow-run=ls,getconf",
    ],
  },
];
