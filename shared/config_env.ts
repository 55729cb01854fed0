/**
 * Reading configuration from environment variables, validated once at start.
 *
 * Every reader throws a `ConfigError` whose message names the variable, the value and
 * what is allowed; nothing falls back silently. The environment is passed in as a plain
 * record so tests need no real process environment.
 */
import { formatDuration, parseDuration } from "./duration.ts";

/** The environment as a plain record (`Deno.env.toObject()` in `main.ts`). */
export type Env = Readonly<Record<string, string | undefined>>;

/** A configuration value is invalid; the message is meant for the operator. */
export class ConfigError extends Error {}

function raw(env: Env, name: string): string | undefined {
  const v = env[name];
  return v === undefined || v.trim() === "" ? undefined : v.trim();
}

/** A string variable, or `fallback` when unset. */
export function readString(env: Env, name: string, fallback: string): string;
/** A string variable, or undefined when unset. */
export function readString(env: Env, name: string): string | undefined;
export function readString(env: Env, name: string, fallback?: string): string | undefined {
  return raw(env, name) ?? fallback;
}

/** A duration variable (`10s`, `5m`) in milliseconds, within [min, max]. */
export function readDuration(
  env: Env,
  name: string,
  fallbackMs: number,
  minMs: number,
  maxMs: number,
): number {
  const v = raw(env, name);
  if (v === undefined) return fallbackMs;
  const ms = parseDuration(v);
  if (ms === null) {
    throw new ConfigError(
      `${name}=${
        JSON.stringify(v)
      } is not a duration; use a number with ms, s, m, h or d (e.g. 10s)`,
    );
  }
  if (ms < minMs || ms > maxMs) {
    throw new ConfigError(
      `${name}=${JSON.stringify(v)} is out of range; allowed ${formatDuration(minMs)} to ${
        formatDuration(maxMs)
      }`,
    );
  }
  return ms;
}

/** An integer variable within [min, max]. */
export function readInteger(
  env: Env,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const v = raw(env, name);
  if (v === undefined) return fallback;
  if (!/^\d+$/.test(v)) {
    throw new ConfigError(`${name}=${JSON.stringify(v)} is not a whole number`);
  }
  const n = Number(v);
  if (n < min || n > max) {
    throw new ConfigError(`${name}=${JSON.stringify(v)} is out of range; allowed ${min} to ${max}`);
  }
  return n;
}

/** One of a fixed set of words. */
export function readEnum<T extends string>(
  env: Env,
  name: string,
  allowed: readonly T[],
  fallback: T,
): T {
  const v = raw(env, name);
  if (v === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(v)) {
    throw new ConfigError(
      `${name}=${JSON.stringify(v)} is not allowed; use one of ${allowed.join(", ")}`,
    );
  }
  return v as T;
}

/** A boolean (`true`/`false`/`1`/`0`/`yes`/`no`). */
export function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const v = raw(env, name)?.toLowerCase();
  if (v === undefined) return fallback;
  if (["true", "1", "yes"].includes(v)) return true;
  if (["false", "0", "no"].includes(v)) return false;
  throw new ConfigError(`${name}=${JSON.stringify(v)} is not a boolean; use true or false`);
}

/** A comma-separated list of regular expressions, each compiled (anchored as written). */
export function readPatternList(env: Env, name: string, fallback: RegExp[]): RegExp[] {
  const v = raw(env, name);
  if (v === undefined) return fallback;
  return v.split(",").map((s) => s.trim()).filter((s) => s.length > 0).map((s) => {
    try {
      return new RegExp(s);
    } catch (e) {
      throw new ConfigError(
        `${name}: ${JSON.stringify(s)} is not a valid regular expression: ${(e as Error).message}`,
      );
    }
  });
}

/** An http(s) URL. */
export function readHttpUrl(env: Env, name: string): URL {
  const v = raw(env, name);
  if (v === undefined) throw new ConfigError(`${name} is required (an http:// or https:// URL)`);
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw new ConfigError(`${name}=${JSON.stringify(v)} is not a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    throw new ConfigError(`${name}=${JSON.stringify(v)} must use http:// or https://`);
  }
  return url;
}
