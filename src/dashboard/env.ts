import type { SecureHeadersVariables } from "hono/secure-headers";
import type { DashboardSession } from "../db/dashboard-sessions";
import type { OperatorSession } from "../db/operator-sessions";

/** Hono environment of the dashboard: signed-in requests carry their session. */
export type DashboardEnv = {
  Bindings: Env;
  Variables: SecureHeadersVariables & {
    session: DashboardSession | null;
    /** The operator session (admin token), kept apart from the tenant session: the browser may hold both. */
    operator: OperatorSession | null;
    /** The token every form of this response must send back as `_csrf`. */
    csrfToken: string;
  };
};
