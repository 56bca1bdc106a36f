import type { Me } from "../schemas/me";
import type { Principal } from "../security/auth";

/**
 * What `GET /v1/me` answers for an authenticated caller: the admin token has no tenant, a tenant
 * API key names its own (a client such as the CLI uses it instead of asking for `--tenant`).
 */
export function describePrincipal(principal: Principal): Me {
  return principal.kind === "admin" ? { role: "admin" } : { role: "tenant", tenant_id: principal.tenantId };
}
