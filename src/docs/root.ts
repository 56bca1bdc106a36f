import type { Context } from "hono";

/**
 * `GET /`: a browser (it asks for HTML) is sent to the dashboard, which asks for a sign-in when
 * there is no session; an API client gets JSON naming where things are. Both answers say they vary
 * with Accept, so no cache hands a browser's redirect to an API client or the other way round.
 */
export function rootPage(c: Context): Response {
  c.header("vary", "Accept");
  if (prefersHtml(c.req.header("accept") ?? "")) return c.redirect("/dashboard", 303);
  return c.json({ name: "Edgehook", docs: "/docs", openapi: "/openapi.json", dashboard: "/dashboard", health: "/health" }, 200);
}

/** One media range of an Accept header: its type, its weight `q` (0 = not acceptable) and its place. */
function mediaRanges(accept: string) {
  return accept.split(",").map((part, index) => {
    const [type = "", ...params] = part.split(";").map((p) => p.trim().toLowerCase());
    const q = params.find((p) => p.startsWith("q="));
    return { type, q: q === undefined ? 1 : Number(q.slice(2)), index };
  });
}

/**
 * Whether an Accept header prefers text/html to JSON, as browsers' do: HTML acceptable (q > 0), and
 * JSON not named, refused, weighted lower, or weighted the same but listed after it.
 */
function prefersHtml(accept: string): boolean {
  const ranges = mediaRanges(accept);
  const html = ranges.find((r) => r.type === "text/html");
  const json = ranges.find((r) => r.type === "application/json");
  if (!html || !(html.q > 0)) return false;
  if (!json || !(json.q > 0)) return true;
  return html.q > json.q || (html.q === json.q && html.index < json.index);
}
