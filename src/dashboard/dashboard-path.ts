/** Stands for this origin while a `return_to` is resolved: it never leaves the server. */
const HERE = "https://dashboard.invalid";

/**
 * A form's `return_to` when it names a page inside the dashboard, else null: printable ASCII with
 * no backslash (so nothing a header cannot carry, nothing a browser reads as another host), and
 * still under /dashboard on this origin once resolved as a browser resolves a Location (`..`).
 */
export function dashboardPath(value: unknown): string | null {
  if (typeof value !== "string" || !/^\/dashboard(?:[/?#][!-[\]-~]*)?$/.test(value)) return null;
  const url = new URL(value, HERE);
  const inside = url.origin === HERE && (url.pathname === "/dashboard" || url.pathname.startsWith("/dashboard/"));
  return inside ? url.pathname + url.search + url.hash : null;
}
