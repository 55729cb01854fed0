/**
 * Schema migrations: plain SQL files `NNN_name.sql`, applied once each, in order, each in
 * its own transaction, recorded in `schema_migrations`. The whole run holds a PostgreSQL
 * advisory lock, so replicas starting together apply each migration exactly once.
 *
 * @example
 * ```ts
 * const { applied } = await migrate(db, { migrations: await loadMigrations(), log });
 * ```
 */
import type { Logger } from "../../shared/log.ts";
import { type Db, errorMessage } from "./db.ts";

/** One migration file. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** What a run did. */
export interface MigrateResult {
  /** `NNN_name` of each migration applied by this run, in order. */
  applied: string[];
}

/** Options of `migrate`. */
export interface MigrateOptions {
  migrations: readonly Migration[];
  log: Logger;
}

/** The advisory lock key held while migrating (an arbitrary constant: "MiniObsv"). */
export const MIGRATION_LOCK_KEY = 0x4d696e694f627376n;

/** The repository's migrations directory. */
export const MIGRATIONS_DIR = new URL("../../migrations/", import.meta.url);

const FILE_PATTERN = /^(\d+)_([a-z0-9_]+)\.sql$/;

/** Parses `NNN_name.sql` into version and name; null for any other file name. */
export function parseMigrationFileName(file: string): { version: number; name: string } | null {
  const m = FILE_PATTERN.exec(file);
  return m ? { version: Number(m[1]), name: m[2] } : null;
}

/** Reads every `NNN_name.sql` in `dir`, sorted by version; refuses duplicate versions. */
export async function loadMigrations(dir: URL = MIGRATIONS_DIR): Promise<Migration[]> {
  const out: Migration[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!entry.isFile) continue;
      const parsed = parseMigrationFileName(entry.name);
      if (!parsed) continue;
      out.push({ ...parsed, sql: await Deno.readTextFile(new URL(entry.name, dir)) });
    }
  } catch (e) {
    throw new Error(`migrate: reading ${dir.pathname}: ${errorMessage(e)}`, { cause: e });
  }
  return sortMigrations(out);
}

/** Sorts migrations by version; throws when two share a version. */
export function sortMigrations(migrations: readonly Migration[]): Migration[] {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].version === sorted[i - 1].version) {
      throw new Error(
        `migrate: version ${sorted[i].version} is used by both ${sorted[i - 1].name} and ${
          sorted[i].name
        }`,
      );
    }
  }
  return sorted;
}

const CREATE_TABLE = `CREATE TABLE IF NOT EXISTS schema_migrations (
  version integer PRIMARY KEY,
  name text NOT NULL,
  applied_at timestamptz NOT NULL DEFAULT now()
)`;

const label = (m: Migration) => `${String(m.version).padStart(3, "0")}_${m.name}`;

/** Applies every migration not yet recorded, in order, under the migration advisory lock. */
export async function migrate(db: Db, opts: MigrateOptions): Promise<MigrateResult> {
  const migrations = sortMigrations(opts.migrations);
  const log = opts.log;
  return await db.session(async (s) => {
    await s.query("SELECT pg_advisory_lock($1::bigint)", [MIGRATION_LOCK_KEY.toString()]);
    try {
      await s.exec(CREATE_TABLE);
      const rows = await s.query<{ version: number; name: string }>(
        "SELECT version, name FROM schema_migrations",
      );
      const done = new Map(rows.map((r) => [Number(r.version), r.name]));
      const applied: string[] = [];
      for (const m of migrations) {
        const recorded = done.get(m.version);
        if (recorded !== undefined) {
          if (recorded !== m.name) {
            log.warn("migration recorded under another name", {
              version: m.version,
              recorded,
              file: m.name,
            });
          }
          continue;
        }
        try {
          await s.transaction(async (tx) => {
            await tx.exec(m.sql);
            await tx.query("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
              m.version,
              m.name,
            ]);
          });
        } catch (e) {
          throw new Error(`migrate: applying ${label(m)}: ${errorMessage(e)}`, { cause: e });
        }
        log.info("migration applied", { migration: label(m) });
        applied.push(label(m));
      }
      return { applied };
    } finally {
      await s.query("SELECT pg_advisory_unlock($1::bigint)", [MIGRATION_LOCK_KEY.toString()])
        .catch((e) => log.warn("migrate: releasing the advisory lock failed", { error: e }));
    }
  });
}
