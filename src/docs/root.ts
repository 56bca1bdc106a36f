import type { Context } from "hono";

/**
 * `GET /`: a browser (it asks for HTML) is sent to the dashboard, which asks for a sign-in when
 * there is no session; an API client gets JSON naming where things are.
 */
export function rootPage(c: Context): Response {
  if (prefersHtml(c.req.header("accept") ?? "")) return c.redirect("/dashboard", 303);
  return c.json({ name: "Edgehook", docs: "/docs", openapi: "/openapi.json", dashboard: "/dashboard", health: "/health" }, 200);
}

/** Whether an Accept header puts text/html before (or instead of) JSON, as browsers' do. */
function prefersHtml(accept: string): boolean {
  const types = accept.split(",").map((part) => part.split(";")[0]!.trim().toLowerCase());
  const html = types.indexOf("text/html");
  const json = types.indexOf("application/json");
  return html !== -1 && (json === -1 || html < json);
}
