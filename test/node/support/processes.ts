import { spawn, type ChildProcess } from "node:child_process";
import path from "node:path";
import { vi } from "vitest";

export const ROOT = path.resolve(import.meta.dirname, "../../..");
export const CLI = path.join(ROOT, "tools/cli/main.ts");
export const RECEIVER = path.join(ROOT, "tools/receiver/main.ts");

/** What a finished command printed, and its exit status. */
export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Environment for a child: ours without any EDGEHOOK_* settings a developer may have exported, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: "1" };
  for (const name of Object.keys(childEnv)) if (name.startsWith("EDGEHOOK_")) delete childEnv[name];
  return Object.assign(childEnv, env);
}

/** Runs a script (TypeScript, which this Node strips, or JavaScript) to completion. */
export function run(script: string, args: string[], env: Record<string, string> = {}, input?: string): Promise<Finished> {
  return node([script, ...args], env, input);
}

/** Runs this Node with `args` to completion, in the repository root. */
export function node(args: string[], env: Record<string, string> = {}, input?: string): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: childEnv(env) });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input ?? "");
  });
}

/** A long-running child whose output a test watches. */
export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** Waits until stdout (or stderr) contains `text`; fails with both outputs after `timeout`. */
  waitFor: (text: string | RegExp, stream?: "stdout" | "stderr", timeout?: number) => Promise<void>;
  /** stdout's lines parsed as JSON (for --json output). */
  jsonLines: <T = any>() => T[];
  stop: () => Promise<void>;
}

/** Starts a TypeScript entry point in the background. */
export function start(script: string, args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, [script, ...args], { cwd: ROOT, env: childEnv(env), stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout!.on("data", (d) => (stdout += d));
  child.stderr!.on("data", (d) => (stderr += d));
  const matches = (text: string | RegExp, output: string) => (typeof text === "string" ? output.includes(text) : text.test(output));
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    waitFor: async (text, stream = "stdout", timeout = 30_000) => {
      try {
        await vi.waitUntil(() => matches(text, stream === "stdout" ? stdout : stderr) || child.exitCode !== null, { timeout, interval: 50 });
      } catch {
        // reported below with the output, which says more than a timeout
      }
      if (!matches(text, stream === "stdout" ? stdout : stderr)) {
        throw new Error(`${stream} never showed ${text} (exit ${child.exitCode})\n--- stdout\n${stdout}\n--- stderr\n${stderr}`);
      }
    },
    jsonLines: () => stdout.split("\n").filter((line) => line.startsWith("{")).map((line) => JSON.parse(line)),
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGTERM");
      await exited;
    },
  };
}

/** `npm run dev` with wrangler's own flags `args`, as a developer would start it. */
export interface DevServer {
  child: ChildProcess;
  /** Waits until `url`/health answers; fails with the output if the server exits or 180 s pass. */
  ready: (url: string) => Promise<void>;
  /** What it printed so far, stdout and stderr together. */
  output: () => string;
}

/**
 * Starts `npm run dev -- …args` in its own process group, so npm, the launcher, wrangler and workerd stop together.
 * `logLevel` is wrangler's (warn unless given: "info" also logs each request); `env` adds to the launcher's environment.
 */
export function startNpmDev(args: string[], options: { logLevel?: string; env?: Record<string, string> } = {}): DevServer {
  let output = "";
  const child = spawn("npm", ["run", "dev", "--", ...args, "--show-interactive-dev-session=false", "--log-level", options.logLevel ?? "warn"], {
    cwd: ROOT,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, CI: "true", WRANGLER_SEND_METRICS: "false", ...options.env },
  });
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const ready = async (url: string) => {
    await vi.waitUntil(
      async () => {
        if (child.exitCode !== null) throw new Error(`npm run dev exited early:\n${output}`);
        return fetch(`${url}/health`).then((r) => r.ok, () => false);
      },
      { timeout: 180_000, interval: 250 },
    ).catch((error: Error) => {
      throw new Error(`${error.message}: npm run dev did not answer at ${url}/health:\n${output}`);
    });
  };
  return { child, ready, output: () => output };
}
