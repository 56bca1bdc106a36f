import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { freePort } from "../../scripts/local-relay";
import { CLI, RECEIVER, run, start, type Running } from "./support/processes";
import { sharedRelay, type SharedRelay } from "./support/shared-relay";

const SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

describe("the edgehook CLI against a running relay", () => {
  let relay: SharedRelay;
  let receiver: Running;
  let receiverUrl: string;
  const background: Running[] = [];

  beforeAll(async () => {
    const port = await freePort();
    receiverUrl = `http://127.0.0.1:${port}`;
    receiver = start(RECEIVER, ["--port", String(port), "--secret", SECRET]);
    background.push(receiver);
    [relay] = await Promise.all([sharedRelay(), receiver.waitFor("listening on")]);
  }, 300_000);
  afterAll(async () => {
    await Promise.all(background.map((p) => p.stop()));
  });

  /** Runs the CLI as an operator would, with the relay's URL and admin token in the environment. */
  const edgehook = (args: string[], env: Record<string, string> = {}, input?: string) =>
    run(CLI, args, { EDGEHOOK_URL: relay.url, EDGEHOOK_TOKEN: relay.adminToken, ...env }, input);

  /** Runs the CLI with --json, expects success and returns the parsed output. */
  async function edgehookJson<T = any>(args: string[], env: Record<string, string> = {}): Promise<T> {
    const result = await edgehook([...args, "--json"], env);
    expect(result.code, result.stderr).toBe(0);
    return JSON.parse(result.stdout) as T;
  }

  /**
   * A fresh tenant, set as EDGEHOOK_TENANT in the returned environment. Made through the API, not the
   * CLI: `tenants create` has tests of its own, and a Node start per test is most of a test's time.
   */
  async function tenant(): Promise<{ id: string; env: Record<string, string> }> {
    const res = await fetch(`${relay.url}/v1/tenants`, {
      method: "POST",
      headers: { authorization: `Bearer ${relay.adminToken}`, "content-type": "application/json" },
      body: JSON.stringify({ name: "CLI test tenant" }),
    });
    expect(res.status).toBe(201);
    const created = (await res.json()) as { id: string };
    return { id: created.id, env: { EDGEHOOK_TENANT: created.id } };
  }

  /** Waits until a delivery's JSON (from `deliveries show`) satisfies `done`. */
  async function deliveryWhen(env: Record<string, string>, id: string, done: (d: any) => boolean) {
    return vi.waitUntil(
      async () => {
        const d = await edgehookJson(["deliveries", "show", id], env);
        return done(d) ? d : undefined;
      },
      { timeout: 30_000, interval: 250 },
    );
  }

  describe("output and exit codes", () => {
    it("prints a created tenant as the API's JSON with --json", async () => {
      const created = await edgehookJson(["tenants", "create", "Acme", "--id", `acme-${Date.now()}`]);
      expect(created).toEqual({ id: expect.stringMatching(/^acme-/), name: "Acme", created_at: expect.any(String) });
    });

    it("prints a readable summary by default", async () => {
      const result = await edgehook(["tenants", "create", "Readable"]);
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/^id: +\S+\nname: +Readable\ncreated: /);
    });

    it("takes the URL and token from flags as well as from the environment", async () => {
      const result = await run(CLI, ["--url", relay.url, "--token", relay.adminToken, "tenants", "create", "Flags", "--json"]);
      expect(result.code, result.stderr).toBe(0);
    });

    it("exits 5 and prints the API's error for a tenant that does not exist", async () => {
      const result = await edgehook(["tenants", "show", "no-such-tenant"]);
      expect(result.code).toBe(5);
      expect(result.stderr).toContain("(not_found, HTTP 404)");
    });

    it("exits 4 when the relay refuses the token", async () => {
      const result = await edgehook(["tenants", "show", "any"], { EDGEHOOK_TOKEN: "wrong-token" });
      expect(result.code).toBe(4);
    });

    it("exits 3 when the relay cannot be reached", async () => {
      const result = await edgehook(["tenants", "show", "any"], { EDGEHOOK_URL: `http://127.0.0.1:${await freePort()}` });
      expect(result.code).toBe(3);
      expect(result.stderr).toContain("Cannot reach the relay");
    });

    it("exits 2 on a usage error: unknown command, missing argument, no token, no tenant", async () => {
      expect((await edgehook(["tenants", "frobnicate"])).code).toBe(2);
      expect((await edgehook(["tenants", "create"])).code).toBe(2);
      expect((await edgehook(["endpoints", "list"], { EDGEHOOK_TOKEN: "" })).code).toBe(2);
      const noTenant = await edgehook(["endpoints", "list"]);
      expect(noTenant.code).toBe(2);
      expect(noTenant.stderr).toContain("--tenant");
    });

    it("exits 6 on input the relay rejects, listing each issue; with --json the error shape goes to stderr", async () => {
      const { env } = await tenant();
      const human = await edgehook(["endpoints", "create", "ftp://example.com"], env);
      expect(human.code).toBe(6);
      expect(human.stderr).toMatch(/\n {2}- url: /);
      const json = await edgehook(["endpoints", "create", "ftp://example.com", "--json"], env);
      expect(json.stdout).toBe("");
      expect(JSON.parse(json.stderr)).toMatchObject({ status: 400, error: { code: expect.any(String), issues: [{ path: "url" }] } });
    });
  });

  describe("tenants and API keys", () => {
    it("issues an API key that then works as the token of its own tenant", async () => {
      const { env } = await tenant();
      const key = await edgehookJson(["api-keys", "create", "--name", "ci"], env);
      expect(key.key).toMatch(/^ehk_/);
      const listed = await edgehookJson(["endpoints", "list"], { ...env, EDGEHOOK_TOKEN: key.key });
      expect(listed.data).toEqual([]);
      const keys = await edgehookJson(["api-keys", "list"], env);
      expect(keys.data.map((k: { id: string }) => k.id)).toEqual([key.id]);
      await edgehookJson(["api-keys", "revoke", key.id], env);
      expect((await edgehook(["endpoints", "list"], { ...env, EDGEHOOK_TOKEN: key.key })).code).toBe(4);
    });

    it("infers the tenant from a tenant API key when --tenant is absent", async () => {
      const { env } = await tenant();
      const key = await edgehookJson(["api-keys", "create"], env);
      await edgehookJson(["endpoints", "create", "https://example.com/hook"], env);
      const listed = await edgehookJson(["endpoints", "list"], { EDGEHOOK_TOKEN: key.key });
      expect(listed.data.map((e: { url: string }) => e.url)).toEqual(["https://example.com/hook"]);
    });

    it("lists tenants and reveals and rotates a tenant's one-off signing secret", async () => {
      const { id } = await tenant();
      const listed = await edgehookJson(["tenants", "list", "--all"]);
      expect(listed.data.map((t: { id: string }) => t.id)).toContain(id);
      const revealed = await edgehookJson(["tenants", "secret", "reveal", id]);
      expect(revealed.secret).toMatch(/^whsec_/);
      const rotated = await edgehookJson(["tenants", "secret", "rotate", id, "--grace", "60"]);
      expect(rotated.secret).not.toBe(revealed.secret);
      expect(rotated.previous).toEqual([{ expires_at: expect.any(String) }]);
    });

    it("deletes a tenant, which is then not found", async () => {
      const { id } = await tenant();
      expect(await edgehookJson(["tenants", "delete", id])).toEqual({ id, deleted: true });
      expect((await edgehook(["tenants", "show", id])).code).toBe(5);
    });
  });

  describe("event types", () => {
    /** A JSON file in a fresh directory; returns its path. */
    const jsonFile = (value: unknown) => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), "edgehook-cli-")), "value.json");
      writeFileSync(file, JSON.stringify(value));
      return file;
    };

    it("creates an event type with a schema and example from files, shows it, lists it, and deletes it", async () => {
      const name = `cli${Date.now()}.paid`;
      const schema = { type: "object", required: ["amount"] };
      const created = await edgehookJson(["event-types", "create", name, "--description", "Paid", "--schema", jsonFile(schema), "--example", jsonFile({ amount: 1 }), "--enforce"]);
      expect(created).toMatchObject({ name, description: "Paid", schema, example: { amount: 1 }, enforce: true, deprecated: false });
      const shown = await edgehook(["event-types", "show", name]);
      expect(shown.stdout).toMatch(/^enforce:\s+true$/m);
      expect(shown.stdout).toContain(`schema:      ${JSON.stringify(schema)}`);
      const listed = await edgehook(["event-types", "list", "--all"]);
      expect(listed.stdout).toMatch(new RegExp(`${name.replace(".", "\\.")}\\s+enforced\\s+-\\s+Paid`));
      expect(await edgehookJson(["event-types", "delete", name])).toEqual({ name, deleted: true });
      expect((await edgehook(["event-types", "show", name])).code).toBe(5);
    });

    it("updates only what the flags name: enforce off, the example removed, the description kept", async () => {
      const name = `cli${Date.now()}.sent`;
      await edgehookJson(["event-types", "create", name, "--description", "Sent", "--schema", jsonFile({ type: "object" }), "--example", jsonFile({}), "--enforce"]);
      const updated = await edgehookJson(["event-types", "update", name, "--no-enforce", "--clear-example", "--deprecated"]);
      expect(updated).toMatchObject({ name, description: "Sent", schema: { type: "object" }, example: null, enforce: false, deprecated: true });
    });

    it("reports a schema the relay refuses with the API's issues", async () => {
      const result = await edgehook(["event-types", "create", `cli${Date.now()}.bad`, "--schema", jsonFile({ type: "money" })]);
      expect(result.code).not.toBe(0);
      expect(result.stderr).toContain("schema.type");
    });
  });

  describe("endpoints", () => {
    it("creates an endpoint from flags and prints its secret once", async () => {
      const { env } = await tenant();
      const flags = ["--name", "Billing", "--event", "document.*", "--event", "invoice.paid", "--source", "invoices-v4"];
      const more = ["--header", "Authorization: Bearer abc", "--scheme", "hmac-sha256", "--signature-prefix", "sha256=", "--schedule", "5,30", "--timeout-ms", "5000"];
      const created = await edgehookJson(["endpoints", "create", "https://example.com/hooks", ...flags, ...more], env);
      expect(created).toMatchObject({
        url: "https://example.com/hooks",
        name: "Billing",
        events: ["document.*", "invoice.paid"],
        source: "invoices-v4",
        headers: { Authorization: "Bearer abc" },
        signature: { scheme: "hmac-sha256", prefix: "sha256=" },
        retry: { schedule: [5, 30] },
        timeout_ms: 5000,
        secret: expect.stringMatching(/^whsec_/),
      });
      const shown = await edgehookJson(["endpoints", "show", created.id], env);
      expect(shown.secret).toBeUndefined();
    });

    it("lists endpoints as a table by default and as the API's page with --json", async () => {
      const { env } = await tenant();
      const a = await edgehookJson(["endpoints", "create", "https://a.example.com/hooks"], env);
      await edgehookJson(["endpoints", "create", "https://b.example.com/hooks", "--disabled"], env);
      const table = await edgehook(["endpoints", "list"], env);
      expect(table.stdout.split("\n")[0]).toMatch(/^ID +URL +ENABLED +FAILING SINCE +EVENTS +SOURCE +SCHEME +NAME$/);
      expect(table.stdout).toContain("https://a.example.com/hooks");
      const enabled = await edgehookJson(["endpoints", "list", "--enabled"], env);
      expect(enabled).toEqual({ data: [expect.objectContaining({ id: a.id })], next_cursor: null });
    });

    it("follows every page with --all", async () => {
      const { env } = await tenant();
      for (const n of [1, 2, 3]) await edgehookJson(["endpoints", "create", `https://${n}.example.com/`], env);
      const firstPage = await edgehook(["endpoints", "list", "--limit", "2"], env);
      expect(firstPage.stderr).toContain("More: --cursor");
      const all = await edgehookJson(["endpoints", "list", "--limit", "2", "--all"], env);
      expect(all.data).toHaveLength(3);
    });

    it("updates only the fields given, and refuses an update with none", async () => {
      const { env } = await tenant();
      const created = await edgehookJson(["endpoints", "create", "https://example.com/hooks", "--name", "Keep me"], env);
      const updated = await edgehookJson(["endpoints", "update", created.id, "--disable", "--event", "push", "--max-attempts", "3"], env);
      expect(updated).toMatchObject({ name: "Keep me", enabled: false, events: ["push"], retry: { max_attempts: 3 } });
      expect((await edgehook(["endpoints", "update", created.id], env)).code).toBe(2);
    });

    it("sets an endpoint's rate limit and in-flight cap, and clears them", async () => {
      const { env } = await tenant();
      const created = await edgehookJson(["endpoints", "create", "https://example.com/hooks", "--rate-limit", "20", "--burst", "5", "--max-in-flight", "2"], env);
      expect(created).toMatchObject({ rate_limit: { per_second: 20, burst: 5 }, max_in_flight: 2 });
      const cleared = await edgehookJson(["endpoints", "update", created.id, "--clear-limits"], env);
      expect(cleared).toMatchObject({ rate_limit: null, max_in_flight: null });
    });

    it("sets an endpoint's payload filter, shows it, and clears it", async () => {
      const { env } = await tenant();
      const created = await edgehookJson(["endpoints", "create", "https://example.com/hooks", "--filter", '{"amount":{"$gte":100}}'], env);
      expect(created).toMatchObject({ filter: { amount: { $gte: 100 } } });
      expect((await edgehook(["endpoints", "show", created.id], env)).stdout).toContain('{"amount":{"$gte":100}}');
      const cleared = await edgehookJson(["endpoints", "update", created.id, "--clear-filter"], env);
      expect(cleared).toMatchObject({ filter: null });
    });

    it("refuses --burst without --rate-limit as a usage error, sending nothing", async () => {
      const { env } = await tenant();
      const created = await edgehookJson(["endpoints", "create", "https://example.com/hooks"], env);
      const refused = await edgehook(["endpoints", "update", created.id, "--burst", "5"], env);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toContain("--burst needs --rate-limit");
      expect(await edgehookJson(["endpoints", "show", created.id], env)).toMatchObject({ rate_limit: null });
    });

    it("deletes an endpoint, which is then not found", async () => {
      const { env } = await tenant();
      const created = await edgehookJson(["endpoints", "create", "https://example.com/hooks"], env);
      await edgehookJson(["endpoints", "delete", created.id], env);
      expect((await edgehook(["endpoints", "show", created.id], env)).code).toBe(5);
    });

    it("reveals the secret and rotates it with the old one co-signing for the grace period", async () => {
      const { env } = await tenant();
      const created = await edgehookJson(["endpoints", "create", "https://example.com/hooks"], env);
      expect(await edgehookJson(["endpoints", "secret", "reveal", created.id], env)).toEqual({ secret: created.secret, previous: [] });
      const rotated = await edgehookJson(["endpoints", "secret", "rotate", created.id, "--grace", "60"], env);
      expect(rotated.secret).not.toBe(created.secret);
      expect(rotated.previous).toHaveLength(1);
      expect(Date.parse(rotated.previous[0].expires_at) - Date.now()).toBeLessThanOrEqual(60_000);
    });
  });

  describe("messages and deliveries", () => {
    /** A tenant with an endpoint pointing at the test's receiver, signed with SECRET. */
    async function tenantWithReceiver() {
      const t = await tenant();
      const endpoint = await edgehookJson(["endpoints", "create", `${receiverUrl}/${t.id}`, "--secret", SECRET], t.env);
      return { ...t, endpoint };
    }

    it("sends a message the receiver verifies, then shows its delivery with the attempt", async () => {
      const { id, env } = await tenantWithReceiver();
      const sent = await edgehookJson(["messages", "send", "document.predicted", '{"document":"d1"}'], env);
      expect(sent).toMatchObject({ event: "document.predicted", deliveries: [{ status: "pending" }] });
      await receiver.waitFor(`POST /${id}`);
      await receiver.waitFor(`signature: valid (standard, webhook-id ${sent.id}`);

      const delivery = await deliveryWhen(env, sent.deliveries[0].id, (d) => d.status === "succeeded");
      expect(delivery.attempts).toEqual([expect.objectContaining({ attempt: 1, outcome: "ok", status_code: 200 })]);
      const human = await edgehook(["deliveries", "show", sent.deliveries[0].id], env);
      expect(human.stdout).toMatch(/attempts:\n# +AT +OUTCOME +STATUS +TOOK +ERROR +RESPONSE\n1 +\S+ +ok +200 /);
    });

    it("reads the payload from stdin with --file -", async () => {
      const { env } = await tenant();
      const result = await edgehook(["messages", "send", "order.created", "--file", "-", "--json"], env, '{"order":42}');
      expect(result.code, result.stderr).toBe(0);
      const message = await edgehookJson(["messages", "show", JSON.parse(result.stdout).id], env);
      expect(message.payload).toEqual({ order: 42 });
    });

    it("sends the payload's numbers as written and shows them as stored", async () => {
      const { env } = await tenant();
      const payload = '{"order_id":9123456789654321123,"ratio":1.0,"huge":1e400}';
      const sent = await edgehookJson(["messages", "send", "order.paid", payload], env);
      const shown = await edgehook(["messages", "show", sent.id], env);
      expect(shown.stdout).toContain('payload:\n  {\n    "order_id": 9123456789654321123,\n    "ratio": 1.0,\n    "huge": 1e400\n  }');
      const json = await edgehook(["messages", "show", sent.id, "--json"], env);
      expect(json.stdout).toContain('"order_id": 9123456789654321123');
    });

    it("refuses a payload that is not JSON with exit code 2", async () => {
      const { env } = await tenant();
      const result = await edgehook(["messages", "send", "x", "{not json"], env);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain("not JSON");
    });

    /** Writes JSONL lines to a fresh temporary file and returns its path. */
    const jsonl = (lines: string[]) => {
      const file = path.join(mkdtempSync(path.join(tmpdir(), "edgehook-cli-")), "messages.jsonl");
      writeFileSync(file, `${lines.join("\n")}\n`);
      return file;
    };

    it("sends a JSONL file in batches of 100, a plain line per batch off a terminal, then a summary", async () => {
      const { env } = await tenant();
      const lines = Array.from({ length: 150 }, (_, i) => `{"event":"invoice.issued","payload":{"invoice":${i},"total":1.50}}`);
      lines[7] = '{"event":"invoice.issued","payload":{"order_id":9123456789654321123},"idempotency_key":"inv-7"}';
      const result = await edgehook(["messages", "send", "--file", jsonl(lines)], env);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr).toContain("lines 1–100: 100 enqueued");
      expect(result.stderr).toContain("lines 101–150: 50 enqueued");
      expect(result.stdout).toBe("150 enqueued, 0 replayed, 0 failed\n");
      const listed = await edgehookJson(["messages", "list", "--all"], env);
      expect(listed.data).toHaveLength(150);
      const again = await edgehook(["messages", "send", "--file", jsonl([lines[7]!])], env);
      expect(again.stdout).toBe("0 enqueued, 1 replayed, 0 failed\n");
    });

    it("ends a batch before the line that would take its body past 1 MiB, so large lines are not refused as a 413", async () => {
      const { env } = await tenant();
      // 60 lines of ~20 KB: 100 of them would be a 2 MB body.
      const lines = Array.from({ length: 60 }, (_, i) => `{"event":"x","payload":"${String(i % 10).repeat(20_000)}"}`);
      const result = await edgehook(["messages", "send", "--file", jsonl(lines)], env);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe("60 enqueued, 0 replayed, 0 failed\n");
      const [, first] = /lines 1–(\d+): \d+ enqueued/.exec(result.stderr) ?? [];
      expect(Number(first)).toBeLessThan(60);
      expect(result.stderr).toContain(`lines ${Number(first) + 1}–60: ${60 - Number(first)} enqueued`);
    });

    it("reads a JSONL file that starts with a byte order mark", async () => {
      const { env } = await tenant();
      const result = await edgehook(["messages", "send", "--file", jsonl(['\uFEFF{"event":"x","payload":1}', '{"event":"y","payload":2}'])], env);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toBe("2 enqueued, 0 replayed, 0 failed\n");
    });

    it("keeps each line's payload exactly as written", async () => {
      const { env } = await tenant();
      const result = await edgehook(["messages", "send", "--file", "-", "--json"], env, '{"event":"order.paid","payload":{"order_id":9123456789654321123,"huge":1e400}}\n');
      expect(result.code, result.stderr).toBe(0);
      const [batch, summary] = result.stdout.trim().split("\n").map((l) => JSON.parse(l));
      expect(batch).toEqual({ lines: [1, 1], enqueued: 1, replayed: 0 });
      expect(summary).toEqual({ summary: { enqueued: 1, replayed: 0, failed: 0, failed_lines: [] } });
      const listed = await edgehookJson(["messages", "list"], env);
      const shown = await edgehook(["messages", "show", listed.data[0].id, "--json"], env);
      expect(shown.stdout).toContain('"order_id": 9123456789654321123');
      expect(shown.stdout).toContain('"huge": 1e400');
    });

    it("names the lines that failed and exits non-zero, while the other batches are sent", async () => {
      const { env } = await tenant();
      const good = '{"event":"ok","payload":1}';
      const lines = [...Array.from({ length: 100 }, () => good), "{not json", '{"payload":2}', good];
      const result = await edgehook(["messages", "send", "--file", jsonl(lines)], env);
      expect(result.code).toBe(6);
      expect(result.stdout).toBe("100 enqueued, 0 replayed, 3 failed\n");
      expect(result.stderr).toContain("line 101: not JSON");
      expect(result.stderr).toContain("line 102: event: ");
      expect(result.stderr).toMatch(/line 103: not stored: its batch failed \(The request body is invalid/);
      expect((await edgehookJson(["messages", "list", "--all"], env)).data).toHaveLength(100);
    });

    it("shows and lists messages", async () => {
      const { env } = await tenant();
      const sent = await edgehookJson(["messages", "send", "invoice.paid", "[1,2]", "--source", "billing"], env);
      const shown = await edgehook(["messages", "show", sent.id], env);
      expect(shown.stdout).toContain("event:   invoice.paid");
      expect(shown.stdout).toContain("payload:\n  [\n    1,\n    2\n  ]");
      const listed = await edgehookJson(["messages", "list", "--event", "invoice.paid"], env);
      expect(listed.data).toEqual([expect.objectContaining({ id: sent.id, source: "billing" })]);
    });

    it("lists deliveries filtered by status and replays one with retry", async () => {
      const { env } = await tenantWithReceiver();
      const sent = await edgehookJson(["messages", "send", "document.predicted", "{}"], env);
      const deliveryId = sent.deliveries[0].id;
      await deliveryWhen(env, deliveryId, (d) => d.status === "succeeded");
      const succeeded = await edgehookJson(["deliveries", "list", "--status", "succeeded"], env);
      expect(succeeded.data.map((d: { id: string }) => d.id)).toEqual([deliveryId]);
      expect(await edgehookJson(["deliveries", "retry", deliveryId], env)).toEqual({ deliveries: [{ id: deliveryId, status: "pending" }] });
      const replayed = await deliveryWhen(env, deliveryId, (d) => d.attempts.length === 2 && d.status === "succeeded");
      expect(replayed.attempts.map((a: { status_code: number }) => a.status_code)).toEqual([200, 200]);
    });

    it("sends a webhook.test message to one endpoint", async () => {
      const { env, endpoint } = await tenantWithReceiver();
      const sent = await edgehookJson(["endpoints", "test", endpoint.id], env);
      expect(sent).toMatchObject({ event: "webhook.test", deliveries: [{ endpoint_id: endpoint.id }] });
      await receiver.waitFor(new RegExp(`"type": "webhook.test",\\n\\s+"endpoint_id": "${endpoint.id}"`));
    });

    it("prints an endpoint's stats: totals in words and one line per bucket of the window", async () => {
      const { env, endpoint } = await tenantWithReceiver();
      const sent = await edgehookJson(["endpoints", "test", endpoint.id], env);
      await deliveryWhen(env, sent.deliveries[0].id, (d) => d.status === "succeeded");
      const { stdout } = await edgehook(["endpoints", "stats", endpoint.id, "--window", "1h"], env);
      expect(stdout).toMatch(/Attempts: +1 \(1 succeeded, 0 failed\)/);
      expect(stdout).toMatch(/Success rate: +100\.0%/);
      expect(stdout).toMatch(/Latency: +p50 \d+ ms · p95 \d+ ms/);
      expect(stdout.trimEnd().split("\n").filter((line) => /^\d\d:\d\d  /.test(line))).toHaveLength(12);
    });

    it("recovers an endpoint's failed deliveries since a time", async () => {
      const { env } = await tenant();
      const closed = `http://127.0.0.1:${await freePort()}/gone`;
      const endpoint = await edgehookJson(["endpoints", "create", closed, "--max-attempts", "1"], env);
      const sent = await edgehookJson(["messages", "send", "document.predicted", "{}"], env);
      await deliveryWhen(env, sent.deliveries[0].id, (d) => d.status === "failed");
      const recovered = await edgehookJson(["endpoints", "recover", endpoint.id, "--since", "1h"], env);
      expect(recovered).toEqual({ deliveries: [{ id: sent.deliveries[0].id, status: "pending" }] });
    });

    it("says there is nothing to replay when an endpoint has no failed deliveries", async () => {
      const { env } = await tenant();
      const endpoint = await edgehookJson(["endpoints", "create", "https://example.com/hook"], env);
      const result = await edgehook(["deliveries", "recover", "--endpoint", endpoint.id, "--since", "1h"], env);
      expect(result.stdout).toContain("nothing to replay");
    });
  });

  describe("tail", () => {
    it("prints each state change of new deliveries as JSON lines, retries included", async () => {
      const { env } = await tenant();
      const port = await freePort();
      const flaky = start(RECEIVER, ["--port", String(port), "--fail-first", "1"]);
      background.push(flaky);
      await flaky.waitFor("listening on");
      await edgehookJson(["endpoints", "create", `http://127.0.0.1:${port}/hooks`, "--schedule", "3"], env);
      const tail = start(CLI, ["tail", "--json", "--interval", "200"], { EDGEHOOK_URL: relay.url, EDGEHOOK_TOKEN: relay.adminToken, ...env });
      background.push(tail);
      await tail.waitFor("Following deliveries", "stderr");

      const sent = await edgehookJson(["messages", "send", "document.predicted", '{"n":1}'], env);
      await tail.waitFor('"status":"succeeded"');
      const changes = tail.jsonLines().filter((d) => d.message_id === sent.id);
      expect(changes.map((d) => d.status)).toContain("retrying");
      expect(changes.find((d) => d.status === "retrying")).toMatchObject({ last_status_code: 500, attempt_count: 1 });
      expect(changes.at(-1)).toMatchObject({ status: "succeeded", attempt_count: 2, last_status_code: 200 });
      await tail.stop();
    });

    it("prints one readable line per change by default", async () => {
      const { id, env } = await tenant();
      const endpoint = await edgehookJson(["endpoints", "create", `${receiverUrl}/${id}`], env);
      const tail = start(CLI, ["tail", "--interval", "200"], { EDGEHOOK_URL: relay.url, EDGEHOOK_TOKEN: relay.adminToken, ...env });
      background.push(tail);
      await tail.waitFor("Following deliveries", "stderr");
      const sent = await edgehookJson(["endpoints", "test", endpoint.id], env);
      await tail.waitFor(new RegExp(`succeeded +attempt 1 +200 +delivery ${sent.deliveries[0].id} → endpoint ${endpoint.id}`));
      await tail.stop();
    });
  });
});
