import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { adminTokenOf, devBanner } from "../../scripts/dev-banner.ts";

const relay = { url: "http://localhost:8787", port: 8787, preferredPort: 8787, portChosen: false, adminToken: "dev-admin-token" };

describe("the banner npm run dev ends with", () => {
  it("names the URL, the admin token, the dashboard and the API docs", () => {
    const text = devBanner(relay).join("\n");
    expect(text).toContain("ready on http://localhost:8787");
    expect(text).toMatch(/Admin token +dev-admin-token/);
    expect(text).toContain("http://localhost:8787/dashboard");
    expect(text).toContain("http://localhost:8787/docs");
  });

  it("says when 8787 was taken, which port it took instead and how to point the CLI at it", () => {
    const text = devBanner({ ...relay, url: "http://localhost:40123", port: 40123 }).join("\n");
    expect(text).toContain("Port 8787 was taken");
    expect(text).toContain("listens on 40123");
    expect(text).toContain("export EDGEHOOK_URL=http://localhost:40123");
  });

  it("says nothing was taken when the port was chosen with --port", () => {
    expect(devBanner({ ...relay, url: "http://localhost:9999", port: 9999, portChosen: true }).join("\n")).not.toContain("taken");
  });

  it("is short: a handful of lines", () => {
    expect(devBanner({ ...relay, port: 40123 }).length).toBeLessThanOrEqual(10);
  });
});

describe("the admin token the banner shows", () => {
  const varsFile = (text: string) => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "edgehook-vars-")), ".dev.vars");
    writeFileSync(file, text);
    return file;
  };

  it("comes from the vars file wrangler reads", () => {
    expect(adminTokenOf([], varsFile("MASTER_KEY=x\nADMIN_TOKEN=from-file\n"))).toBe("from-file");
  });

  it("comes from a --var ADMIN_TOKEN flag before the file, as wrangler applies it", () => {
    expect(adminTokenOf(["--var", "ADMIN_TOKEN:from-flag"], varsFile("ADMIN_TOKEN=from-file\n"))).toBe("from-flag");
  });

  it("is missing when neither sets one", () => {
    expect(adminTokenOf([], path.join(tmpdir(), "no-such-vars-file"))).toBeUndefined();
    expect(devBanner({ ...relay, adminToken: undefined }).join("\n")).toContain("set ADMIN_TOKEN in .dev.vars");
  });
});
