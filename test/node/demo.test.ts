import { beforeAll, describe, expect, it } from "vitest";
import { sharedRelay, type SharedRelay } from "./support/shared-relay";
import { ROOT, run } from "./support/processes";
import path from "node:path";

const DEMO = path.join(ROOT, "scripts/demo.ts");

describe("npm run demo against a running relay", () => {
  let relay: SharedRelay;
  beforeAll(async () => {
    relay = await sharedRelay();
  }, 300_000);

  it("seeds a tenant, an endpoint and a receiver, delivers a signed message and prints a dashboard link that signs in", async () => {
    const demo = await run(DEMO, ["--url", relay.url, "--exit"]);
    expect(demo.code, demo.stderr).toBe(0);
    expect(demo.stdout).toMatch(/signature: valid \(standard/);
    const link = /^ {2}(\S+\/dashboard\/portal\?token=ehp_\S+)$/m.exec(demo.stdout)?.[1];
    expect(link, demo.stdout).toBeDefined();
    expect(link!.startsWith(relay.url)).toBe(true);
    const page = await fetch(link!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Continue");
  }, 120_000);

  it("run again, it replaces its earlier endpoint instead of piling up dead ones", async () => {
    const demo = await run(DEMO, ["--url", relay.url, "--exit"]);
    expect(demo.code, demo.stderr).toBe(0);
    const res = await fetch(`${relay.url}/v1/tenants/demo/endpoints`, { headers: { authorization: `Bearer ${relay.adminToken}` } });
    const { data } = (await res.json()) as { data: Array<{ name: string }> };
    expect(data.filter((e) => e.name === "Demo receiver")).toHaveLength(1);
  }, 120_000);

  it("says to start the relay when none answers", async () => {
    const demo = await run(DEMO, ["--url", "http://127.0.0.1:1", "--exit"]);
    expect(demo.code).toBe(1);
    expect(demo.stderr).toContain("npm run dev");
  });
});
