/**
 * The real stores the handler suites run on: `SqlMetricStore` on every backend of the
 * storage tests' helper (PGlite in memory always; PostgreSQL when `TEST_DATABASE_URL` is
 * set). TimescaleDB is left to the storage suites: the HTTP layer does not see it.
 */
import { BACKENDS } from "../storage/backends.ts";
import type { MetricStore } from "../../../server/storage/metric_store.ts";
import type { Db } from "../../../server/db/db.ts";
import { NOW } from "./harness.ts";

/** The clock a test moves; the app and the store both read it. */
export interface Clock {
  now: number;
}

/** Backends the HTTP suites use. */
export const HTTP_BACKENDS = BACKENDS.filter((b) => b.name !== "timescaledb");

/** Registers `fn` as one test per backend, each on a fresh migrated database. */
export function testOnStores(
  name: string,
  fn: (store: MetricStore, clock: Clock, db: Db) => Promise<void>,
): void {
  for (const backend of HTTP_BACKENDS) {
    Deno.test({
      name: `${name} [${backend.name}]`,
      ignore: !!backend.skip,
      // PGlite keeps a WASM instance and PostgreSQL a pool open between tests' ticks.
      sanitizeResources: false,
      sanitizeOps: false,
      fn: async () => {
        const clock: Clock = { now: NOW };
        const opened = await backend.open({ now: () => clock.now });
        try {
          await fn(opened.store, clock, opened.db);
        } finally {
          await opened.close();
        }
      },
    });
  }
}
