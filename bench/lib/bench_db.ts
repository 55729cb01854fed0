/**
 * A throwaway PostgreSQL database per benchmark run, so a run touches nothing else on the
 * server: `CREATE DATABASE miniobserv_bench_<random>` at the start, `DROP … WITH (FORCE)` at
 * the end, on failure, and on Ctrl-C.
 *
 * @example
 * ```ts
 * const scratch = await createScratchDatabase(benchDatabaseUrl(Deno.env.toObject()));
 * try { ... scratch.url ... } finally { await scratch.drop(); }
 * ```
 */
import { openPostgres } from "../../server/db/postgres_driver.ts";
import { silentLogger } from "../../shared/log.ts";

/** Used when neither `TEST_DATABASE_URL` nor `DATABASE_URL` is set. */
export const DEFAULT_BENCH_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test";

/** The server to benchmark against: `TEST_DATABASE_URL`, else `DATABASE_URL`, else the default. */
export function benchDatabaseUrl(env: Record<string, string | undefined>): string {
  return env.TEST_DATABASE_URL || env.DATABASE_URL || DEFAULT_BENCH_DATABASE_URL;
}

/** A database made for one run. `drop()` is idempotent. */
export interface ScratchDatabase {
  name: string;
  url: string;
  drop(): Promise<void>;
}

const interruptCleanups = new Set<() => Promise<void>>();
let signalsInstalled = false;

/** Runs `cleanup` if the process is interrupted (SIGINT/SIGTERM) before `unregister` is called. */
export function onInterrupt(cleanup: () => Promise<void>): () => void {
  if (!signalsInstalled) {
    signalsInstalled = true;
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
      Deno.addSignalListener(signal, async () => {
        console.error(`bench: ${signal}: cleaning up`);
        // Last registered first: servers stop before the database they use is dropped.
        for (const c of [...interruptCleanups].reverse()) await c().catch(() => {});
        Deno.exit(130);
      });
    }
  }
  interruptCleanups.add(cleanup);
  return () => interruptCleanups.delete(cleanup);
}

/** Creates `miniobserv_bench_<random>` on the server of `baseUrl` and returns its URL. */
export async function createScratchDatabase(baseUrl: string): Promise<ScratchDatabase> {
  const name = `miniobserv_bench_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = await openPostgres(baseUrl, {
    log: silentLogger,
    max: 1,
    applicationName: "miniobserv-bench",
  });
  try {
    await admin.exec(`CREATE DATABASE ${name}`);
  } finally {
    await admin.close();
  }
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    unregister();
    const a = await openPostgres(baseUrl, {
      log: silentLogger,
      max: 1,
      applicationName: "miniobserv-bench",
    });
    try {
      await a.exec(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } finally {
      await a.close();
    }
  };
  const unregister = onInterrupt(drop);
  return { name, url: url.href, drop };
}

/** A random secret of 48 characters for the run's tokens (the server wants at least 32). */
export function randomSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(24));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
