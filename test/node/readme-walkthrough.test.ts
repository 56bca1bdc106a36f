import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { freePort, startRelay, type LocalRelay } from "../../scripts/local-relay";
import { commands, shellBlocks, type DocCommand, type WordPart } from "./support/doc-commands";
import { codeBlocks, docFiles, readDoc } from "./support/docs";
import { CLI, node, RECEIVER, start, type Running } from "./support/processes";

/**
 * Runs the README's "Five-minute walkthrough", then every guide's shell blocks, as written: each
 * curl sent with fetch, `npm run receiver` and `npx edgehook` run as processes, against one relay
 * under `wrangler dev`, so each sample output a doc shows (`# → …`, `…` standing for any text) must be
 * what the relay answers today. Only the addresses change: the relay and the receivers get free
 * ports instead of 8787, 9000…. A block a doc marks `<!-- not run by the walkthrough test: why -->`
 * (a Cloudflare account, the bench) is skipped.
 */

/** Guides in the order a reader meets them; later ones build on what earlier ones made (tenant `acme`, its key). */
const GUIDE_ORDER = ["docs/sending.md", "docs/event-types.md", "docs/receiving.md", "docs/operational-webhooks.md", "docs/dashboard.md", "docs/delivery-control.md"];
/** The ports the docs use for local receivers; each gets a free port in this run. */
const DOC_PORTS = [9000, 9001, 9002, 9003, 8932];
/** How long a list the docs read may take to show what earlier steps made happen (ms). */
const EVENTUALLY_MS = 30_000;

/** The text of a Markdown document's section under `heading`, up to the next `## ` heading. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`no section "${heading}"`);
  const end = text.indexOf("\n## ", start + 1);
  return text.slice(start, end === -1 ? undefined : end);
}

/** A doc's sample output as a pattern: `…` is any text, everything else literal. */
function samplePattern(sample: string): RegExp {
  return new RegExp(`^${sample.split("…").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[\\s\\S]*?")}$`);
}

/** The guides to run: the ordered ones first, then any other guide (and CONTRIBUTING.md). */
function guides(): string[] {
  const rest = docFiles().filter((file) => file !== "README.md" && !GUIDE_ORDER.includes(file));
  return [...GUIDE_ORDER, ...rest];
}

describe("the README walkthrough and every guide's commands against `wrangler dev`", () => {
  let relay: LocalRelay;
  const ports = new Map<number, number>();
  const background: Running[] = [];
  /** The walkthrough's receiver, whose printout the receiving guide shows. */
  let receiver: Running | undefined;
  const shell: Record<string, string> = {};
  /** Values the docs leave for the reader to fill in (`ehk_…`, `<message id>`), learnt from earlier answers. */
  const learnt: Record<string, string> = {};

  beforeAll(async () => {
    relay = await startRelay();
    for (const port of DOC_PORTS) ports.set(port, await freePort());
  }, 300_000);
  afterAll(async () => {
    for (const running of background) await running.stop();
    await relay?.stop();
  });

  /** The docs' addresses as this run's. */
  function addresses(text: string): string {
    return text
      .replace(/http:\/\/localhost:8787/g, relay.url)
      .replace(/localhost:(\d+)/g, (whole, port: string) => (ports.has(Number(port)) ? `127.0.0.1:${ports.get(Number(port))}` : whole));
  }

  /** A word as the shell would pass it, with the docs' placeholders and addresses filled in. */
  function expand(word: WordPart[]): string {
    const text = word
      .map((part) =>
        part.expands
          ? part.text
              .replace(/\$\(openssl rand -base64 (\d+)\)/g, (_, n: string) => randomBytes(Number(n)).toString("base64"))
              .replace(/\$\{?(\w+)\}?/g, (_, name: string) => shell[name] ?? "")
          : part.text,
      )
      .join("");
    const filled = text
      .replace(/ehk_…/g, learnt.key ?? "ehk_…")
      .replace(/whsec_…/g, learnt.secret ?? "whsec_…")
      .replace(/<([\w-]+)-id>/g, (whole, what: string) => learnt[what] ?? whole);
    if (/<[\w-]+-id>/.test(filled)) throw new Error(`no earlier answer gave ${filled}`);
    return addresses(filled);
  }

  /** Learns what the docs later refer to from a JSON answer. */
  function learn(url: string, json: any) {
    if (typeof json?.key === "string") learnt.key ??= json.key;
    if (typeof json?.secret === "string" && json.secret.startsWith("whsec_")) learnt.secret ??= json.secret;
    if (json?.deliveries?.[0]?.id && !learnt.message) {
      learnt.message = json.id;
      learnt.delivery = json.deliveries[0].id;
    }
    if (url.includes("/operational-messages?") && json?.data?.[0]?.id) learnt["operational-message"] = json.data[0].id;
  }

  /** Sends one `curl` of a doc with fetch; a list that comes back empty is asked again until it shows something. */
  async function curl(argv: string[]) {
    let method = "GET";
    let url = "";
    let body: string | undefined;
    const headers = new Headers();
    for (let i = 1; i < argv.length; i++) {
      const arg = argv[i]!;
      if (arg === "-s") continue;
      else if (arg === "-X") method = argv[++i]!;
      else if (arg === "-H") {
        const header = argv[++i]!;
        const colon = header.indexOf(":");
        headers.set(header.slice(0, colon).trim(), header.slice(colon + 1).trim());
      } else if (arg === "-d") {
        body = argv[++i]!;
        if (method === "GET") method = "POST";
      } else if (arg.startsWith("-")) throw new Error(`a doc's curl uses ${arg}, which this test does not know`);
      else url = arg;
    }
    const send = async () => {
      const res = await fetch(url, { method, headers, body });
      return { status: res.status, body: await res.text() };
    };
    let answer = await send();
    if (method === "GET") {
      await vi.waitUntil(async () => !answer.body.startsWith('{"data":[]') || !(answer = await send()).body.startsWith('{"data":[]'), {
        timeout: EVENTUALLY_MS,
        interval: 500,
      });
    }
    return { url, ...answer };
  }

  /** Runs one command of a doc; returns the curl answers it got (for counting). */
  async function runCommand(command: DocCommand, where: string): Promise<number> {
    const [name, ...rest] = command.words.map(expand);
    const line = `${where}: ${[name, ...rest].join(" ")}`;
    if (name === "export") {
      for (const assignment of rest) {
        const eq = assignment.indexOf("=");
        shell[assignment.slice(0, eq)] = assignment.slice(eq + 1);
      }
      return 0;
    }
    if (name === "npm" && rest[0] === "run" && rest[1] === "receiver") {
      const args = rest.slice(3).map((arg) => (ports.has(Number(arg)) ? String(ports.get(Number(arg))) : arg));
      const running = start(RECEIVER, args);
      background.push(running);
      receiver ??= running;
      await running.waitFor("listening on");
      return 0;
    }
    if (name === "npx" && rest[0] === "edgehook") {
      const env = Object.fromEntries(Object.entries(shell).filter(([key]) => key.startsWith("EDGEHOOK_")));
      if (command.comment.includes("another terminal")) {
        background.push(start(CLI, rest.slice(1), env));
        return 0;
      }
      const done = await node([CLI, ...rest.slice(1)], env);
      expect(done.code, `${line}\n${done.stdout}\n${done.stderr}`).toBe(0);
      return 0;
    }
    expect(name, `a command this test cannot run: ${line}`).toBe("curl");
    const answer = await curl([name!, ...rest]);
    const [, status, sample] = /^(?:(\d{3}) )?(.*)$/s.exec(command.sample ?? "")!;
    if (status) expect(answer.status, `${line} → ${answer.body}`).toBe(Number(status));
    else expect(answer.status, `${line} → ${answer.body}`).toBeLessThan(300);
    learn(answer.url, JSON.parse(answer.body));
    if (sample) expect(answer.body, line).toMatch(samplePattern(addresses(sample)));
    return 1;
  }

  it("every command of the README's walkthrough runs and prints what the README shows", async () => {
    const blocks = codeBlocks(section(readDoc("README.md"), "Five-minute walkthrough")).filter((b) => b.lang === "sh");
    let answers = 0;
    for (const block of blocks) {
      for (const command of commands(block.body)) {
        answers += await runCommand(command, "README.md");
        // Step 5 happens between the enqueue and the polling: the receiver gets the message.
        if (learnt.message && receiver && !receiver.stdout().includes("signature: valid")) await receiver.waitFor("signature: valid");
      }
    }
    // Tenant, API key, endpoint, enqueue, poll, inspect, replay: a README that lost a step fails here.
    expect(answers).toBe(7);
    expect(learnt.message, "the walkthrough enqueues a message").toBeDefined();
  }, 120_000);

  it("the receiver printed the delivery as the receiving guide's sample shows it", () => {
    const sample = codeBlocks(section(readDoc("docs/receiving.md"), "Local receiver")).find((b) => b.lang === "" && b.body.includes("webhook-signature"))!.body;
    const printed = receiver!.stdout();
    const headerLines = (text: string) => [...text.matchAll(/^ {2}([\w-]+): (.*)$/gm)].map((m) => ({ name: m[1]!, value: m[2]! }));
    const shown = headerLines(sample.slice(0, sample.indexOf("\n\n")));
    const got = headerLines(printed.slice(printed.indexOf("── #1"), printed.indexOf("\n\n", printed.indexOf("── #1"))));
    // The same headers in the same order; the values that do not depend on the message, the same.
    expect(got.map((h) => h.name)).toEqual(shown.map((h) => h.name));
    for (const name of ["Content-Type", "User-Agent"]) {
      expect(got.find((h) => h.name === name)?.value, name).toBe(shown.find((h) => h.name === name)?.value);
    }
    expect(printed).toMatch(/^ {2}signature: valid \(standard, webhook-id [0-9a-f-]{36}, signed /m);
  });

  for (const file of guides()) {
    it(`every command of ${file} runs and prints what it shows, or the guide says why it is not run`, async () => {
      for (const block of shellBlocks(readDoc(file))) {
        if (block.notRun !== undefined) {
          expect(block.notRun.trim(), `${file}: a block not run says why`).not.toBe("");
          continue;
        }
        for (const command of block.commands) await runCommand(command, file);
      }
    }, 120_000);
  }
});
