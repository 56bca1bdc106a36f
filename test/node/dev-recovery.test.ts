import type { ChildProcess } from "node:child_process";
import { createServer, type Server } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DEV_ADMIN_TOKEN, freePort } from "../../scripts/local-relay";
import { runSweeperEvery } from "../../scripts/dev-sweeper";
import { ROOT, startNpmDev, type DevServer } from "./support/processes";

/** A loopback HTTP server that answers 200 and remembers the path and `webhook-id` of every request. */
async function listeningServer(): Promise<{ server: Server; url: string; paths: string[]; webhookIds: Set<string> }> {
  const paths: string[] = [];
  const webhookIds = new Set<string>();
  const server = createServer((req, res) => {
    paths.push(req.url ?? "");
    const id = req.headers["webhook-id"];
    if (typeof id === "string") webhookIds.add(id);
    req.resume();
    req.on("end", () => res.end("ok"));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${port}`, paths, webhookIds };
}

/** Kills the process group at once, as a crash or `kill -9` would, and waits for it to be gone. */
async function crash(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  process.kill(-child.pid!, "SIGKILL");
  await exited;
}

const adminJson = (url: string, method: string, route: string, body: unknown) =>
  fetch(`${url}${route}`, {
    method,
    headers: { authorization: `Bearer ${DEV_ADMIN_TOKEN}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });

describe("the dev sweeper companion", () => {
  it("calls the scheduled handler with the deployed cron expression at its interval", async () => {
    const target = await listeningServer();
    const stop = runSweeperEvery(target.url, 1);
    try {
      await vi.waitUntil(() => target.paths.length >= 2, { timeout: 5_000, interval: 100 });
    } finally {
      stop();
      target.server.close();
    }
    expect(target.paths[0]).toBe(`/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
  });

  it("starts nothing when its interval is 0", async () => {
    const target = await listeningServer();
    runSweeperEvery(target.url, 0)();
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    target.server.close();
    expect(target.paths).toEqual([]);
  });
});

// The issue-15 crash test: accepted messages whose queue messages died with the process are
// re-armed by the sweeper, which `npm run dev` calls by itself. The sweeper leaves a delivery alone
// until SWEEP_STUCK_AFTER_SECONDS (floor 181 s) after its claim began, since a consumer batch may
// still hold it until then. Rather than wait those minutes, the test runs the scheduled handler once
// with the scheduledTime the cron has then, through wrangler dev's trigger route
// (/cdn-cgi/local/scheduled?time=, epoch ms), and checks apart that the launcher calls the handler
// on its own after the restart.
describe("npm run dev after a kill -9 during a burst", () => {
  const state = mkdtempSync(path.join(tmpdir(), "edgehook-crash-state-"));
  const envFile = path.join(state, "dev.vars");
  const running: ChildProcess[] = [];
  const accepted: string[] = [];
  let receiver: Awaited<ReturnType<typeof listeningServer>>;
  let restarted: DevServer;
  let url: string;
  let crashedAt: number;

  beforeAll(async () => {
    writeFileSync(envFile, `${readFileSync(path.join(ROOT, ".dev.vars.example"), "utf8")}\nSWEEP_STUCK_AFTER_SECONDS=181\n`);
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const args = ["--persist-to", state, "--port", String(port), "--ip", "127.0.0.1", "--env-file", envFile];
    receiver = await listeningServer();

    const first = startNpmDev(args);
    running.push(first.child);
    await first.ready(url);
    const tenant = (await (await adminJson(url, "POST", "/v1/tenants", { name: "Crash" })).json()) as { id: string };
    await adminJson(url, "POST", `/v1/tenants/${tenant.id}/endpoints`, { url: `${receiver.url}/hooks` });

    let sending = true;
    const senders = Array.from({ length: 8 }, async () => {
      while (sending) {
        // An answer the crash cut off is not an acceptance: only ids read in full count.
        const res = await adminJson(url, "POST", `/v1/tenants/${tenant.id}/messages`, { event: "burst", payload: { n: accepted.length } }).catch(() => null);
        const message = res?.status === 202 ? ((await res.json().catch(() => null)) as { id: string } | null) : null;
        if (message) accepted.push(message.id);
      }
    });
    await vi.waitUntil(() => accepted.length >= 150, { timeout: 60_000, interval: 20 });
    await crash(first.child);
    sending = false;
    await Promise.all(senders);
    crashedAt = Date.now();

    // wrangler's info level logs each request, the launcher's calls of the scheduled handler among them.
    restarted = startNpmDev(args, { logLevel: "info", env: { EDGEHOOK_DEV_SWEEP_SECONDS: "1" } });
    running.push(restarted.child);
    await restarted.ready(url);
  }, 420_000);

  afterAll(async () => {
    receiver?.server.close();
    for (const child of running) if (child.exitCode === null && child.signalCode === null) await crash(child).catch(() => undefined);
    rmSync(state, { recursive: true, force: true });
  });

  it("calls the scheduled handler by itself after the restart, without a manual sweep", async () => {
    // wrangler logs the method in bold: "GET /__scheduled 200 OK", with colour codes around GET.
    const called = /GET(?:\u001b\[\d+m)* \/__scheduled /;
    await vi.waitUntil(() => called.test(restarted.output()), { timeout: 15_000, interval: 200 }).catch(() => undefined);

    expect(restarted.output()).toMatch(called);
  });

  it("delivers every accepted message within a minute of the cron's sweep SWEEP_STUCK_AFTER_SECONDS after the crash", async () => {
    const sweptAt = crashedAt + 181_000;
    const sweep = await fetch(`${url}/cdn-cgi/local/scheduled?cron=${encodeURIComponent("* * * * *")}&time=${sweptAt}`);
    expect(sweep.status).toBe(200);
    await vi.waitUntil(() => accepted.every((id) => receiver.webhookIds.has(id)), { timeout: 60_000, interval: 500 }).catch(() => undefined);

    expect(accepted.filter((id) => !receiver.webhookIds.has(id))).toEqual([]);
  }, 90_000);
});
