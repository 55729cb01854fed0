/**
 * Mints an agent or reader token from the shared secret and prints it.
 *
 *     deno task token --scope read --ttl 24h [--sub name]
 *
 * The secret is `AGENT_TOKEN`, or when that is unset the file the start script generated,
 * `${MINIOBSERV_DATA_DIR:-./data}/agent_token`. `--ttl` is at most 24h (the server refuses
 * longer-lived tokens). `--sub` is the host an `ingest` token may write (required for that
 * scope); for `read` and `admin` it defaults to `cli` and only names the caller in logs.
 */
import { agentTokenPath, DEFAULT_DATA_DIR } from "../server/config.ts";
import { formatDuration, parseDuration } from "../shared/duration.ts";
import {
  MAX_TOKEN_LIFETIME_S,
  mintToken,
  type Scope,
  SCOPES,
  SECRET_MIN_LENGTH,
} from "../shared/jwt.ts";
import { validateHost } from "../shared/metric.ts";

/** Lifetime used when `--ttl` is omitted. */
export const DEFAULT_TTL = "1h";
/** Subject used for `read`/`admin` tokens when `--sub` is omitted. */
export const DEFAULT_SUBJECT = "cli";

/** Usage text printed with every argument error. */
export const USAGE = "usage: deno task token --scope ingest|read|admin [--ttl 1h] [--sub name]\n" +
  "  --scope  what the token may do: ingest (write one host's metrics), read (query), admin (both)\n" +
  "  --ttl    lifetime, at most 24h (default 1h)\n" +
  "  --sub    the host an ingest token writes for (required with ingest; default cli otherwise)";

/** A failure meant for the operator: printed without a stack, exit status 1. */
export class TokenCommandError extends Error {}

/** Parsed command-line options. */
export interface TokenArgs {
  scope: Scope;
  ttlSeconds: number;
  subject: string;
}

/** Parses `--scope`, `--ttl` and `--sub` (also as `--name=value`); throws `TokenCommandError`. */
export function parseTokenArgs(args: readonly string[]): TokenArgs {
  const values: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--help" || arg === "-h") throw new TokenCommandError(USAGE);
    const m = /^--(scope|ttl|sub)(?:=(.*))?$/.exec(arg);
    if (!m) throw new TokenCommandError(`unknown argument ${JSON.stringify(arg)}\n${USAGE}`);
    const value = m[2] ?? args[++i];
    if (value === undefined) throw new TokenCommandError(`--${m[1]} needs a value\n${USAGE}`);
    if (m[1] in values) throw new TokenCommandError(`--${m[1]} given more than once`);
    values[m[1]] = value;
  }
  const scope = values.scope;
  if (scope === undefined) throw new TokenCommandError(`--scope is required\n${USAGE}`);
  if (!(SCOPES as readonly string[]).includes(scope)) {
    throw new TokenCommandError(
      `--scope ${JSON.stringify(scope)} is not one of ${SCOPES.join(", ")}`,
    );
  }
  const ttlText = values.ttl ?? DEFAULT_TTL;
  const ttlMs = parseDuration(ttlText);
  if (ttlMs === null) {
    throw new TokenCommandError(
      `--ttl ${JSON.stringify(ttlText)} is not a duration; use e.g. 30m, 1h or 24h`,
    );
  }
  if (ttlMs < 1000 || ttlMs > MAX_TOKEN_LIFETIME_S * 1000) {
    throw new TokenCommandError(
      `--ttl ${JSON.stringify(ttlText)} is out of range; allowed 1s to ${
        formatDuration(MAX_TOKEN_LIFETIME_S * 1000)
      } (the server refuses longer-lived tokens)`,
    );
  }
  if (scope === "ingest" && values.sub === undefined) {
    throw new TokenCommandError(
      "--sub is required with --scope ingest: it names the one host the token may write",
    );
  }
  const subject = values.sub ?? DEFAULT_SUBJECT;
  const hostError = validateHost(subject);
  if (hostError) throw new TokenCommandError(`--sub: ${hostError.replace(/^host /, "")}`);
  return { scope: scope as Scope, ttlSeconds: Math.floor(ttlMs / 1000), subject };
}

/** Finds the secret: `AGENT_TOKEN`, else the generated file in the data directory. */
export async function resolveSecret(
  env: Readonly<Record<string, string | undefined>>,
  readTextFile: (path: string) => Promise<string>,
): Promise<string> {
  const fromEnv = env.AGENT_TOKEN?.trim();
  let secret: string;
  let source: string;
  if (fromEnv) {
    secret = fromEnv;
    source = "AGENT_TOKEN";
  } else {
    const path = agentTokenPath(env.MINIOBSERV_DATA_DIR?.trim() || DEFAULT_DATA_DIR);
    try {
      secret = (await readTextFile(path)).trim();
    } catch (e) {
      throw new TokenCommandError(
        `AGENT_TOKEN is unset and ${path} cannot be read (${(e as Error).message}); ` +
          "set AGENT_TOKEN or MINIOBSERV_DATA_DIR, or start the server once to generate it",
      );
    }
    source = path;
  }
  if (secret.length < SECRET_MIN_LENGTH) {
    throw new TokenCommandError(
      `the secret from ${source} is ${secret.length} characters; at least ${SECRET_MIN_LENGTH} are required`,
    );
  }
  return secret;
}

/** Runs the command: parses `args`, finds the secret, returns the minted token. */
export async function runTokenCommand(
  args: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  readTextFile: (path: string) => Promise<string>,
  now: () => number,
): Promise<string> {
  const opts = parseTokenArgs(args);
  const secret = await resolveSecret(env, readTextFile);
  return await mintToken({
    secret,
    subject: opts.subject,
    scope: opts.scope,
    ttlSeconds: opts.ttlSeconds,
    now,
  });
}

if (import.meta.main) {
  try {
    const token = await runTokenCommand(
      Deno.args,
      Deno.env.toObject(),
      (p) => Deno.readTextFile(p),
      Date.now,
    );
    console.log(token);
  } catch (e) {
    if (!(e instanceof TokenCommandError)) throw e;
    console.error(`token: ${e.message}`);
    Deno.exit(e.message === USAGE ? 0 : 1);
  }
}
