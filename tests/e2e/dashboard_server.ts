/**
 * The server the dashboard's browser tests run (with `processes.ts`'s `startServer`): on a
 * fresh PostgreSQL database, on a port fixed up front (a test can restart it on the same one),
 * signed in with a password, logging at info, refreshing live data every second.
 */
import { backendNamed } from "../server/storage/backends.ts";
import { databaseUrlOf } from "./alerts_processes.ts";
import { freePort } from "./dashboard_browser.ts";

/** The environment of such a server; `close()` drops its database once the server stopped. */
export interface DashboardServerSetup {
  env: Record<string, string>;
  close(): Promise<void>;
}

/** Creates the database and the server's environment, with `secret` as its `AGENT_TOKEN`. */
export async function dashboardServerSetup(
  secret: string,
  password: string,
): Promise<DashboardServerSetup> {
  const pg = await backendNamed("postgres").openDb();
  const dbUrl = await databaseUrlOf(pg.db);
  await pg.db.close();
  return {
    env: {
      DATABASE_URL: dbUrl,
      AGENT_TOKEN: secret,
      LISTEN_ADDR: `127.0.0.1:${freePort()}`,
      LOG_LEVEL: "info",
      SHUTDOWN_TIMEOUT: "5s",
      DASHBOARD_PASSWORD: password,
      DASHBOARD_REFRESH: "1s",
    },
    close: () => pg.close(),
  };
}
