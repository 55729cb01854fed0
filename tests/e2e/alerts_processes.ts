/**
 * Helpers for the alerting end-to-end tests, which run real servers with `processes.ts`'s
 * `startServer`: post a sample and read the API.
 */
import { mintToken } from "../../shared/jwt.ts";

/** Posts one sample of `name` for `host` at the current time. */
export async function postSample(
  baseUrl: string,
  secret: string,
  host: string,
  name: string,
  value: number,
): Promise<void> {
  const token = await mintToken({
    secret,
    subject: host,
    scope: "ingest",
    ttlSeconds: 300,
    now: Date.now,
  });
  const res = await fetch(`${baseUrl}/api/v1/metrics`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      id: `e2e-${crypto.randomUUID()}`,
      host,
      metrics: [{ host, name, time: new Date().toISOString(), value, labels: {} }],
    }),
  });
  if (res.status !== 202) throw new Error(`ingest answered ${res.status}: ${await res.text()}`);
  await res.body?.cancel();
}

/** GETs an API path with a read token and returns the JSON body. */
// deno-lint-ignore no-explicit-any -- bodies are asserted field by field
export async function readApi(baseUrl: string, secret: string, path: string): Promise<any> {
  const token = await mintToken({
    secret,
    subject: "e2e",
    scope: "read",
    ttlSeconds: 300,
    now: Date.now,
  });
  const res = await fetch(`${baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (res.status !== 200) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return await res.json();
}

/** The URL of the database `db` is connected to, on the `TEST_DATABASE_URL` server. */
export async function databaseUrlOf(
  db: { query: (sql: string) => Promise<Record<string, unknown>[]> },
) {
  const [{ name }] = await db.query("SELECT current_database() AS name");
  const url = new URL(Deno.env.get("TEST_DATABASE_URL")!);
  url.pathname = `/${name}`;
  return url.href;
}
