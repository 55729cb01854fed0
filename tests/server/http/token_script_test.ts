/**
 * `scripts/token.ts`: argument checks, where the secret comes from, and that the minted
 * token is accepted by the server's verifier with the asked scope, subject and lifetime.
 */
import assert from "node:assert/strict";
import { parseTokenArgs, runTokenCommand, TokenCommandError } from "../../../scripts/token.ts";
import { verifyToken } from "../../../shared/jwt.ts";
import { NOW } from "./harness.ts";
import { TEST_SECRET } from "./tokens.ts";

const noFile = (p: string) => Promise.reject(new Deno.errors.NotFound(`no such file: ${p}`));

Deno.test("token script: mints a token the server accepts", async () => {
  const token = await runTokenCommand(
    ["--scope", "read", "--ttl", "24h", "--sub", "grafana"],
    { AGENT_TOKEN: TEST_SECRET },
    noFile,
    () => NOW,
  );
  const claims = await verifyToken(token, TEST_SECRET, () => NOW);
  assert.equal(claims.scope, "read");
  assert.equal(claims.sub, "grafana");
  assert.equal(claims.exp - claims.iat, 24 * 3600);
});

Deno.test("token script: defaults and --name=value form", () => {
  assert.deepEqual(parseTokenArgs(["--scope=admin"]), {
    scope: "admin",
    ttlSeconds: 3600,
    subject: "cli",
  });
  assert.deepEqual(parseTokenArgs(["--scope", "ingest", "--sub=web-1", "--ttl=30m"]), {
    scope: "ingest",
    ttlSeconds: 1800,
    subject: "web-1",
  });
});

Deno.test("token script: clear errors for bad arguments", () => {
  const cases: [string[], RegExp][] = [
    [[], /--scope is required/],
    [["--scope", "root"], /--scope "root" is not one of ingest, read, admin/],
    [["--scope", "read", "--ttl", "25h"], /--ttl "25h" is out of range; allowed 1s to 1d/],
    [["--scope", "read", "--ttl", "forever"], /--ttl "forever" is not a duration/],
    [["--scope", "read", "--ttl"], /--ttl needs a value/],
    [["--scope", "ingest"], /--sub is required with --scope ingest/],
    [["--scope", "read", "--sub", ""], /--sub: must be a non-empty string/],
    [["--scope", "read", "--verbose"], /unknown argument "--verbose"/],
    [["--scope", "read", "--scope", "admin"], /--scope given more than once/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseTokenArgs(args), (e: unknown) => {
      assert.ok(e instanceof TokenCommandError);
      assert.match(e.message, message, args.join(" "));
      return true;
    });
  }
});

Deno.test("token script: reads the generated secret file when AGENT_TOKEN is unset", async () => {
  const read: string[] = [];
  const token = await runTokenCommand(
    ["--scope", "read"],
    { MINIOBSERV_DATA_DIR: "/srv/mo" },
    (p) => {
      read.push(p);
      return Promise.resolve(`${TEST_SECRET}\n`);
    },
    () => NOW,
  );
  assert.deepEqual(read, ["/srv/mo/agent_token"]);
  assert.equal((await verifyToken(token, TEST_SECRET, () => NOW)).scope, "read");

  const fromDefault: string[] = [];
  await runTokenCommand(["--scope", "read"], {}, (p) => {
    fromDefault.push(p);
    return Promise.resolve(TEST_SECRET);
  }, () => NOW);
  assert.deepEqual(fromDefault, ["./data/agent_token"]);
});

Deno.test("token script: missing or short secrets are explained", async () => {
  await assert.rejects(
    runTokenCommand(["--scope", "read"], {}, noFile, () => NOW),
    /AGENT_TOKEN is unset and \.\/data\/agent_token cannot be read/,
  );
  await assert.rejects(
    runTokenCommand(["--scope", "read"], { AGENT_TOKEN: "short" }, noFile, () => NOW),
    /the secret from AGENT_TOKEN is 5 characters; at least 32 are required/,
  );
});

Deno.test("token script: runs as a program and prints only the token", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-env", "--allow-read", "scripts/token.ts", "--scope", "read"],
    cwd: new URL("../../../", import.meta.url).pathname,
    env: { AGENT_TOKEN: TEST_SECRET },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  const token = new TextDecoder().decode(out.stdout).trim();
  assert.match(token, /^[\w-]+\.[\w-]+\.[\w-]+$/);
  const bad = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-env",
      "--allow-read",
      "scripts/token.ts",
      "--scope",
      "read",
      "--ttl",
      "48h",
    ],
    cwd: new URL("../../../", import.meta.url).pathname,
    env: { AGENT_TOKEN: TEST_SECRET },
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(bad.code, 1);
  assert.match(new TextDecoder().decode(bad.stderr), /^token: --ttl "48h" is out of range/);
  assert.equal(new TextDecoder().decode(bad.stdout), "");
});
