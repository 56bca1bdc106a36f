import type { SecureHeadersVariables } from "hono/secure-headers";
import type { DashboardSession } from "../db/dashboard-sessions";

/** Hono environment of the dashboard: signed-in requests carry their session. */
export type DashboardEnv = {
  Bindings: Env;
  Variables: SecureHeadersVariables & {
    session: DashboardSession | null;
    /** The token every form of this response must send back as `_csrf`. */
    csrfToken: string;
  };
};
