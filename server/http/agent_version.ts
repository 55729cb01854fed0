/**
 * Validating the `X-Agent-Version` header stored with each host.
 */

/** Longest accepted agent version, in characters. */
export const AGENT_VERSION_MAX_LENGTH = 64;

/** The header's value: absent (null), valid (the string), or invalid (an error message). */
export type AgentVersionResult = { ok: true; value: string | null } | { ok: false; error: string };

/**
 * Accepts 1–64 printable ASCII characters (no controls, no spaces at either end). An
 * invalid value is refused with a 400 rather than dropped, so a broken agent is noticed.
 */
export function parseAgentVersion(header: string | null): AgentVersionResult {
  if (header === null) return { ok: true, value: null };
  const v = header.trim();
  if (v.length === 0) return { ok: true, value: null };
  if (v.length > AGENT_VERSION_MAX_LENGTH || !/^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(v)) {
    return {
      ok: false,
      error:
        `X-Agent-Version must be at most ${AGENT_VERSION_MAX_LENGTH} printable ASCII characters`,
    };
  }
  return { ok: true, value: v };
}
