/**
 * Prints a running server's self-report (`GET /api/v1/self`) as a boxed table, or as JSON.
 *
 *     deno task report [--json]
 *
 * The server is `SERVER_URL` (default http://127.0.0.1:8080). A `read` token valid for
 * five minutes is minted from the shared secret: `AGENT_TOKEN`, or the file the start
 * script generated, `${MINIOBSERV_DATA_DIR:-./data}/agent_token` (as `deno task token`).
 */
import { mintToken } from "../shared/jwt.ts";
import type { SelfReport } from "../shared/telemetry/report.ts";
import { renderReportTable } from "../shared/telemetry/report_table.ts";
import { resolveSecret, TokenCommandError } from "./token.ts";

/** Server URL used when `SERVER_URL` is unset. */
export const DEFAULT_SERVER_URL = "http://127.0.0.1:8080";
/** Snapshots fetched for the table: one hour at the default 30 s interval. */
export const TABLE_SNAPSHOTS = 120;
/** How long the report request may take. */
export const REQUEST_TIMEOUT_MS = 15_000;

/** Usage text printed with every argument error. */
export const USAGE = "usage: deno task report [--json]\n" +
  "  prints the self-report of the server at SERVER_URL (default " + DEFAULT_SERVER_URL + ")\n" +
  "  --json  the whole report as JSON (every snapshot of the last 24 h) instead of a table";

/** A failure meant for the operator: printed without a stack, exit status 1. */
export class ReportCommandError extends Error {}

/** Parses the arguments: `--json`, nothing else. */
export function parseReportArgs(args: readonly string[]): { json: boolean } {
  let json = false;
  for (const arg of args) {
    if (arg === "--json") json = true;
    else if (arg === "--help" || arg === "-h") throw new ReportCommandError(USAGE);
    else throw new ReportCommandError(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
  }
  return { json };
}

function serverUrl(env: Readonly<Record<string, string | undefined>>): URL {
  const raw = env.SERVER_URL?.trim() || DEFAULT_SERVER_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ReportCommandError(`SERVER_URL=${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ReportCommandError(`SERVER_URL=${JSON.stringify(raw)} must use http:// or https://`);
  }
  return url;
}

/** Fetches the report and returns what to print: the table, or pretty JSON. */
export async function runReportCommand(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readTextFile: (path: string) => Promise<string>,
  fetchFn: typeof fetch,
  now: () => number,
): Promise<string> {
  const opts = parseReportArgs(args);
  const base = serverUrl(env);
  let secret: string;
  try {
    secret = await resolveSecret(env, readTextFile);
  } catch (e) {
    if (e instanceof TokenCommandError) throw new ReportCommandError(e.message);
    throw e;
  }
  const token = await mintToken({ secret, subject: "report", scope: "read", ttlSeconds: 300, now });
  const url = new URL("/api/v1/self", base);
  if (!opts.json) url.searchParams.set("snapshots", String(TABLE_SNAPSHOTS));
  let res: Response;
  try {
    res = await fetchFn(url, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (e) {
    throw new ReportCommandError(
      `cannot reach the server at ${base.origin}: ${(e as Error).message}; is it running ` +
        "(deno task start), and is SERVER_URL right?",
    );
  }
  const text = await res.text();
  if (res.status === 401) {
    throw new ReportCommandError(
      `the server refused the token (401): the secret differs from the server's AGENT_TOKEN`,
    );
  }
  if (!res.ok) {
    throw new ReportCommandError(
      `GET ${url.pathname} answered ${res.status}: ${text.slice(0, 200)}`,
    );
  }
  let report: SelfReport;
  try {
    report = JSON.parse(text);
  } catch {
    throw new ReportCommandError(`GET ${url.pathname} did not answer JSON`);
  }
  return opts.json ? JSON.stringify(report, null, 2) : renderReportTable(report);
}

if (import.meta.main) {
  try {
    console.log(
      await runReportCommand(
        Deno.args,
        Deno.env.toObject(),
        (p) => Deno.readTextFile(p),
        fetch,
        Date.now,
      ),
    );
  } catch (e) {
    if (!(e instanceof ReportCommandError)) throw e;
    console.error(`report: ${e.message}`);
    Deno.exit(e.message === USAGE ? 0 : 1);
  }
}
