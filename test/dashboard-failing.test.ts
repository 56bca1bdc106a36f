import { describe, expect, it } from "vitest";
import { bucket, newEndpoint, receiverUrl } from "./support/api";
import { signedIn, textOf } from "./support/dashboard-client";
import { consume, enqueueHeld } from "./support/worker";

/** A signed-in tenant with one endpoint at the receiver path `kind/…/bucket`, after one delivery to it. */
async function afterOneDelivery(receiverPath: string) {
  const { tenant, browser } = await signedIn();
  const endpoint = await newEndpoint(tenant.id, { url: `${receiverUrl()}/${receiverPath}/${bucket()}` });
  const { tasks } = await enqueueHeld(tenant.id, { event: "document.predicted", payload: { n: 1 } });
  await consume(tasks, { now: Date.parse("2026-12-07T10:00:00Z") });
  return { browser, endpoint };
}

describe("a failing endpoint in the dashboard", () => {
  it("the endpoint list marks it failing since its first failure, not a green Enabled", async () => {
    const { browser, endpoint } = await afterOneDelivery("status/500");
    const row = new RegExp(`<tr data-endpoint-id="${endpoint.id}">[\\s\\S]*?</tr>`).exec((await browser.get("/dashboard")).html)![0];
    expect(textOf(row)).toMatch(/Failing since 2026-12-07 10:00:\d\d UTC/);
    expect(row).not.toContain("badge enabled");
  });

  it("the endpoint page marks it failing and does not claim its receiver answers", async () => {
    const { browser, endpoint } = await afterOneDelivery("status/500");
    const text = textOf((await browser.get(`/dashboard/endpoints/${endpoint.id}`)).html);
    expect(text).toMatch(/Failing since 2026-12-07 10:00:\d\d UTC/);
    expect(text).not.toContain("answers within");
  });

  it("a healthy endpoint stays Enabled and its receiver answers", async () => {
    const { browser, endpoint } = await afterOneDelivery("ok");
    const page = await browser.get(`/dashboard/endpoints/${endpoint.id}`);
    expect(page.html).toContain('class="badge enabled"');
    expect(textOf(page.html)).not.toContain("Failing since");
  });
});
