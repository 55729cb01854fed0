import assert from "node:assert/strict";
import {
  DEFAULT_SERVER_URL,
  parseReportArgs,
  ReportCommandError,
  runReportCommand,
  TABLE_SNAPSHOTS,
} from "../../../scripts/report.ts";
import { verifyToken } from "../../../shared/jwt.ts";
import { instrumentedApp, NOW, quietTelemetry } from "./helpers.ts";

const SECRET = "test-secret-0123456789-abcdefghijklmnop";

/** A fetch answering from the instrumented app, recording the URLs asked. */
function appFetch(urls: string[]) {
  const app = instrumentedApp({ telemetry: quietTelemetry(), now: () => NOW });
  return ((input: URL | RequestInfo, init?: RequestInit) => {
    const url = new URL(String(input));
    urls.push(url.href);
    return Promise.resolve(app.request(url.pathname + url.search, init));
  }) as typeof fetch;
}

Deno.test("parseReportArgs: --json only", () => {
  assert.deepEqual(parseReportArgs([]), { json: false });
  assert.deepEqual(parseReportArgs(["--json"]), { json: true });
  assert.throws(() => parseReportArgs(["--yaml"]), ReportCommandError);
});

Deno.test("deno task report: a boxed table from /api/v1/self with a minted read token", async () => {
  const urls: string[] = [];
  const out = await runReportCommand(
    [],
    { AGENT_TOKEN: SECRET },
    () => Promise.reject(new Error("unused")),
    appFetch(urls),
    () => NOW,
  );
  assert.deepEqual(urls, [`${DEFAULT_SERVER_URL}/api/v1/self?snapshots=${TABLE_SNAPSHOTS}`]);
  const lines = out.split("\n");
  assert.ok(lines[0].startsWith("┌") && lines.at(-1)!.startsWith("└"));
  assert.match(lines[1], /MiniObserv server 0\.1\.0/);
  assert.match(out, /No advice: nothing looks wrong\./);
});

Deno.test("deno task report --json: the whole report; the secret may come from the data directory", async () => {
  const urls: string[] = [];
  const read: string[] = [];
  const out = await runReportCommand(
    ["--json"],
    { SERVER_URL: "http://10.0.0.5:9000", MINIOBSERV_DATA_DIR: "/srv/mo" },
    (p) => {
      read.push(p);
      return Promise.resolve(`${SECRET}\n`);
    },
    appFetch(urls),
    () => NOW,
  );
  assert.deepEqual(read, ["/srv/mo/agent_token"]);
  assert.deepEqual(urls, ["http://10.0.0.5:9000/api/v1/self"]);
  const report = JSON.parse(out);
  assert.equal(report.program, "server");
  assert.ok(Array.isArray(report.snapshots));
});

Deno.test("deno task report: the token is a read token for 5 minutes", async () => {
  let auth = "";
  const fetchFn = ((_u: unknown, init?: RequestInit) => {
    auth = new Headers(init?.headers).get("authorization") ?? "";
    return Promise.resolve(new Response("{}", { status: 500 }));
  }) as typeof fetch;
  await assert.rejects(
    runReportCommand(
      [],
      { AGENT_TOKEN: SECRET },
      () => Promise.reject(new Error()),
      fetchFn,
      () => NOW,
    ),
    /answered 500/,
  );
  const claims = await verifyToken(auth.replace(/^Bearer /, ""), SECRET, () => NOW);
  assert.equal(claims.scope, "read");
  assert.equal(claims.exp - claims.iat, 300);
});

Deno.test("deno task report: operator errors are explained", async () => {
  const reject = () => Promise.reject(new Error("ECONNREFUSED"));
  await assert.rejects(
    runReportCommand([], { AGENT_TOKEN: SECRET }, reject, reject as typeof fetch, () => NOW),
    (e) =>
      e instanceof ReportCommandError &&
      /cannot reach the server at http:\/\/127\.0\.0\.1:8080/.test(e.message),
  );
  await assert.rejects(
    runReportCommand([], {}, reject, fetch, () => NOW),
    (e) => e instanceof ReportCommandError && /AGENT_TOKEN is unset/.test(e.message),
  );
  await assert.rejects(
    runReportCommand([], { AGENT_TOKEN: SECRET, SERVER_URL: "ftp://x" }, reject, fetch, () => NOW),
    /must use http/,
  );
  const wrongSecret =
    ((_u: unknown) => Promise.resolve(new Response("{}", { status: 401 }))) as typeof fetch;
  await assert.rejects(
    runReportCommand([], { AGENT_TOKEN: SECRET }, reject, wrongSecret, () => NOW),
    /refused the token \(401\)/,
  );
});
