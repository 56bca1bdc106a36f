import { exports } from "cloudflare:workers";
import { newEndpointValues } from "../../src/dashboard/endpoint-form";
import { newTenant } from "./api";

/** A response of the dashboard, with its body read as text. */
export interface Page {
  status: number;
  headers: Headers;
  html: string;
}

/** The text of an HTML page with tags removed and the entities the dashboard emits decoded. */
export function textOf(html: string): string {
  return html
    .replace(/<[^>]*>/g, " ")
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/\s+/g, " ");
}

/**
 * A minimal browser for the dashboard inside workerd: keeps cookies, sends same-origin form posts
 * the way a browser does, and remembers the CSRF token of the last page it loaded.
 */
export class DashboardClient {
  readonly cookies = new Map<string, string>();
  csrfToken = "";

  private async send(method: string, path: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Page> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    // Straight to the Worker's fetch handler, as api() does, but without following redirects.
    const worker = (exports as unknown as { default: Fetcher }).default;
    const res = await worker.fetch(`https://edgehook.test${path}`, { method, headers, body: init.body, redirect: "manual" });
    for (const cookie of res.headers.getSetCookie()) {
      const [pair] = cookie.split(";");
      const [name, value] = pair!.split("=") as [string, string];
      if (/max-age=0/i.test(cookie)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    const html = await res.text();
    const token = /name="_csrf" value="([^"]*)"/.exec(html)?.[1];
    if (token) this.csrfToken = token;
    return { status: res.status, headers: res.headers, html };
  }

  /** Loads a page (no redirects followed), with the request `headers` a browser would add. */
  get(path: string, headers?: Record<string, string>): Promise<Page> {
    return this.send("GET", path, { headers });
  }

  /**
   * Posts a form from this origin, with the last page's CSRF token unless `fields` sets `_csrf`;
   * `origin` pretends the form came from another site.
   */
  post(path: string, fields: Record<string, string> = {}, options: { origin?: string } = {}): Promise<Page> {
    const origin = options.origin ?? "https://edgehook.test";
    return this.send("POST", path, {
      body: new URLSearchParams({ _csrf: this.csrfToken, ...fields }).toString(),
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        origin,
        "sec-fetch-site": origin === "https://edgehook.test" ? "same-origin" : "cross-site",
      },
    });
  }

  /** Signs in with a tenant API key through the sign-in form. */
  async signIn(apiKey: string): Promise<Page> {
    await this.get("/dashboard/sign-in");
    return this.post("/dashboard/sign-in", { api_key: apiKey });
  }
}

/** A fresh tenant and a dashboard client signed in to it with the tenant's API key. */
export async function signedIn() {
  const tenant = await newTenant();
  const browser = new DashboardClient();
  await browser.signIn(tenant.key);
  await browser.get("/dashboard");
  return { tenant, browser };
}

/** The fields of the endpoint form as a browser posts them for a new endpoint, nothing filled in but `fields`. */
export function endpointForm(fields: Record<string, string>): Record<string, string> {
  const { enabled, event_types: _ticked, ...text } = newEndpointValues();
  return { ...text, enabled: enabled ? "on" : "", ...fields };
}
