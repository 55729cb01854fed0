/**
 * What each token scope may do: `ingest` only writes, `read` only queries, `admin` both and
 * also manages (alert reloads, silences, retiring hosts).
 */
import type { Scope } from "../../shared/jwt.ts";

/** An action a route performs, checked against the token's scope. */
export type Permission = "ingest" | "read" | "admin";

const GRANTS: Record<Scope, readonly Permission[]> = {
  ingest: ["ingest"],
  read: ["read"],
  admin: ["ingest", "read", "admin"],
};

/** True when a token of `scope` may perform `permission`. */
export function scopeAllows(scope: Scope, permission: Permission): boolean {
  return GRANTS[scope]?.includes(permission) ?? false;
}
