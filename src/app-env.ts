import type { Principal } from "./security/auth";

/** Hono environment shared by the app and every route file. */
export type AppEnv = {
  Bindings: Env;
  Variables: { principal: Principal };
};
