import type { Context } from "hono";
import { z } from "zod";
import { notFound } from "../errors";

/** The `:id` of the path if it is a UUID; anything else is a 404 for `what` ("Endpoint", "Delivery"). */
export function pathId(c: Context, what: string): string {
  const id = c.req.param("id") ?? "";
  if (!z.uuid().safeParse(id).success) throw notFound(what);
  return id;
}
