import { createRoute } from "@hono/zod-openapi";
import { describePrincipal } from "../ops/me";
import { anyPrincipal } from "../security/auth";
import { errorResponses } from "../schemas/common";
import { MeSchema } from "../schemas/me";
import { createApi, jsonResponse } from "./api";

/** Who am I: any valid token may ask, and learns only about itself. */
export const meApi = createApi().openapi(
  createRoute({
    method: "get",
    path: "/",
    operationId: "getMe",
    middleware: [anyPrincipal()],
    tags: ["Tenants"],
    summary: "Who the caller's token speaks for: the admin, or a tenant (with its id)",
    responses: { 200: jsonResponse(MeSchema, "The caller"), ...errorResponses(401) },
  }),
  (c) => c.json(describePrincipal(c.get("principal")), 200),
);
