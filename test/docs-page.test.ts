import { describe, expect, it } from "vitest";
import { renderReference } from "../src/docs/page";
import { api, apiJson } from "./support/api";

/** The /docs page's HTML and CSP. */
async function docs() {
  const res = await api("GET", "/docs", { token: null });
  return { res, html: await res.text(), csp: res.headers.get("content-security-policy") ?? "" };
}

describe("/docs: the API reference rendered by the relay itself", () => {
  it("is an HTML page that lists every operation of /openapi.json by method and path", async () => {
    const { res, html } = await docs();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const document = (await apiJson("GET", "/openapi.json", { token: null })).body;
    for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, { operationId: string }>>)) {
      for (const [method, op] of Object.entries(item)) {
        expect(html, `${method} ${path}`).toContain(`<section class="op" id="${op.operationId}">`);
        expect(html).toContain(`<span class="method">${method}</span> <code>${path.replace(/&/g, "&amp;")}</code>`);
      }
    }
  });

  it("shows an operation's parameters, its request body schema and each response", async () => {
    const { html } = await docs();
    const section = html.slice(html.indexOf('id="enqueueMessage"'), html.indexOf("</section>", html.indexOf('id="enqueueMessage"')));
    expect(section).toContain("<code>tenant_id</code> (required)");
    expect(section).toContain("Idempotency-Key");
    expect(section).toMatch(/<h4>Request body<\/h4><p><a href="#schema-\w+">/);
    expect(section).toMatch(/<td>202<\/td>/);
    expect(section).toMatch(/<td>400<\/td>/);
  });

  it("has a section for every schema an operation links to", async () => {
    const { html } = await docs();
    const linked = new Set([...html.matchAll(/href="#(schema-[^"]+)"/g)].map((m) => m[1]!));
    expect(linked.size).toBeGreaterThan(5);
    for (const anchor of linked) expect(html, anchor).toContain(`id="${anchor}"`);
  });

  it("lists the webhooks a receiver gets and links to /openapi.json", async () => {
    const { html } = await docs();
    expect(html).toContain('<h2 id="webhooks">');
    expect(html).toContain("endpoint.failing");
    expect(html).toContain('<a href="/openapi.json">');
  });

  it("loads nothing from elsewhere: no script, no external stylesheet, font or image", async () => {
    const { html } = await docs();
    expect(html).not.toMatch(/<script\b/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\b(?:src|href)="(?:https?:)?\/\//i);
  });

  it("runs under a CSP that allows no script and only its own nonce-tagged stylesheet", async () => {
    const { html, csp } = await docs();
    const directive = (name: string) => csp.split(";").map((d) => d.trim()).find((d) => d.startsWith(`${name} `));
    expect(directive("default-src")).toBe("default-src 'none'");
    expect(directive("script-src")).toBeUndefined();
    const nonce = /^style-src 'nonce-([0-9a-f]{32})'$/.exec(directive("style-src") ?? "")?.[1];
    expect(nonce).toBeDefined();
    expect(html).toContain(`<style nonce="${nonce}">`);
    expect(directive("frame-ancestors")).toBe("frame-ancestors 'none'");
  });

  it("a new nonce on every response", async () => {
    const [a, b] = [(await docs()).csp, (await docs()).csp];
    expect(a).not.toBe(b);
  });
});

describe("the reference renderer", () => {
  it("escapes what the document says, so a description cannot inject markup", async () => {
    const page = String(
      await renderReference(
        {
          info: { title: "T", version: "1" },
          paths: { "/x": { get: { operationId: "getX", summary: "<img src=x onerror=alert(1)>", responses: { "200": { description: "</table><script>" } } } } },
        },
        "n",
      ),
    );
    expect(page).not.toContain("<img src=x");
    expect(page).not.toContain("<script>");
    expect(page).toContain("&lt;img src=x onerror=alert(1)&gt;");
  });
});
