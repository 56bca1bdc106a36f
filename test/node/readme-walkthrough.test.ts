import { readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startRelay, type LocalRelay } from "../../scripts/local-relay";
import { RECEIVER, ROOT, start, type Running } from "./support/processes";

/**
 * Runs the README's "Five-minute walkthrough" as written: every curl command of its code blocks,
 * sent with fetch against a relay under `wrangler dev`, and the receiver it starts, so each sample
 * output the README shows (`# → …`, `…` standing for any text) must be what the relay answers today.
 * Only the addresses change: the relay's and the receiver's ports are free ones, not 8787 and 9000.
 */

const README = readFileSync(path.join(ROOT, "README.md"), "utf8");
const RECEIVING = readFileSync(path.join(ROOT, "docs/receiving.md"), "utf8");

/** The text of a Markdown document's section under `heading`, up to the next `## ` heading. */
function section(heading: string, text = README): string {
  const start = text.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`no section "${heading}"`);
  const end = text.indexOf("\n## ", start + 1);
  return text.slice(start, end === -1 ? undefined : end);
}

/** The fenced code blocks of a README section, with their language. */
function codeBlocks(text: string): Array<{ lang: string; body: string }> {
  return [...text.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, body: m[2]! }));
}

/** One shell line split into words: single and double quotes, no globbing; a `#` word starts a comment. */
function words(line: string): { words: string[]; comment: string } {
  const out: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === " ") i++;
    if (i >= line.length) break;
    if (line[i] === "#") return { words: out, comment: line.slice(i + 1).trim() };
    let word = "";
    while (i < line.length && line[i] !== " ") {
      const quote = line[i];
      if (quote === "'" || quote === '"') {
        const close = line.indexOf(quote, i + 1);
        word += (quote === '"' ? "\u0001" : "") + line.slice(i + 1, close);
        i = close + 1;
      } else {
        word += line[i++];
      }
    }
    out.push(word);
  }
  return { words: out, comment: "" };
}

/** A README sample output as a pattern: `…` is any text, everything else literal. */
function samplePattern(sample: string): RegExp {
  return new RegExp(`^${sample.split("…").map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")).join("[\\s\\S]*?")}$`);
}

interface Step {
  argv: string[];
  /** What the README says the command prints (after `# → `), if it says. */
  sample?: string;
}

/** The commands of the walkthrough's shell blocks, continuation lines joined, each with the sample output below it. */
function steps(): Step[] {
  const result: Step[] = [];
  for (const block of codeBlocks(section("Five-minute walkthrough")).filter((b) => b.lang === "sh")) {
    // A placeholder with a space (`<message id>`) is one word.
    for (const line of block.body.replace(/\\\n\s*/g, "").replace(/<(\w+) id>/g, "<$1-id>").split("\n")) {
      const { words: argv, comment } = words(line);
      if (argv.length > 0) result.push({ argv });
      else if (comment.startsWith("→ ")) result[result.length - 1]!.sample = comment.slice(2).split(/ {3}/)[0]!.trim();
    }
  }
  return result;
}

describe("the README walkthrough against `wrangler dev`", () => {
  let relay: LocalRelay;
  let receiver: Running | undefined;
  let receiverPort: number;
  const shell: Record<string, string> = {};
  /** Values the README leaves for the reader to fill in, learnt from earlier answers. */
  const learnt: Record<string, string> = {};
  const transcript: Array<{ step: Step; status: number; body: string }> = [];

  beforeAll(async () => {
    [relay, receiverPort] = await Promise.all([startRelay(), freePort()]);
  }, 120_000);
  afterAll(async () => {
    await receiver?.stop();
    await relay?.stop();
  });

  /** The README's addresses as this run's. */
  function addresses(text: string): string {
    return text.replace(/http:\/\/localhost:8787/g, relay.url).replace(/localhost:9000/g, `127.0.0.1:${receiverPort}`);
  }

  /** A word with the shell's variables and the README's placeholders filled in. */
  function expand(word: string): string {
    return addresses(word.replace(/^\u0001/, "").replace(/\$(\w+)/g, (_, name: string) => shell[name] ?? ""))
      .replace(/ehk_…/g, learnt.key ?? "ehk_…")
      .replace(/whsec_…/g, learnt.secret ?? "whsec_…")
      .replace(/<message-id>/g, learnt.message ?? "")
      .replace(/<delivery-id>/g, learnt.delivery ?? "");
  }

  /** Runs one `curl` of the walkthrough with fetch; returns the status and the body text. */
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
        const header = expand(argv[++i]!);
        const colon = header.indexOf(":");
        headers.set(header.slice(0, colon).trim(), header.slice(colon + 1).trim());
      } else if (arg === "-d") {
        body = expand(argv[++i]!);
        if (method === "GET") method = "POST";
      } else if (arg.startsWith("-")) throw new Error(`the walkthrough's curl uses ${arg}, which this test does not know`);
      else url = expand(arg);
    }
    const res = await fetch(url, { method, headers, body });
    return { status: res.status, body: await res.text() };
  }

  it("every command runs and prints what the README shows", async () => {
    for (const step of steps()) {
      const [command, ...rest] = step.argv;
      if (command === "export") {
        for (const assignment of rest) {
          const eq = assignment.indexOf("=");
          shell[assignment.slice(0, eq)] = expand(assignment.slice(eq + 1));
        }
        continue;
      }
      if (command === "npm" && rest[0] === "run" && rest[1] === "receiver") {
        const args = rest.slice(3).map(expand).map((a) => (a === "9000" ? String(receiverPort) : a));
        receiver = start(RECEIVER, args);
        await receiver.waitFor("listening on");
        continue;
      }
      expect(command, `a walkthrough command this test cannot run: ${step.argv.join(" ")}`).toBe("curl");
      const answer = await curl(step.argv);
      transcript.push({ step, ...answer });
      expect(answer.status, `${step.argv.join(" ")} → ${answer.body}`).toBeLessThan(300);
      const json = JSON.parse(answer.body);
      learnt.key ??= json.key;
      learnt.secret ??= json.secret;
      if (json.deliveries?.[0]?.id && !learnt.message) {
        learnt.message = json.id;
        learnt.delivery = json.deliveries[0].id;
      }
      if (step.sample) {
        const [, status, sample] = /^(?:(\d{3}) )?(.*)$/.exec(step.sample)!;
        if (status) expect(answer.status, step.argv.join(" ")).toBe(Number(status));
        expect(answer.body).toMatch(samplePattern(addresses(sample!)));
      }
      // Step 5 happens between the enqueue and the polling: the receiver gets the message.
      if (learnt.message && receiver && !receiver.stdout().includes("signature: valid")) await receiver.waitFor("signature: valid");
    }
    // Tenant, API key, endpoint, enqueue, poll, inspect, replay: a README that lost a step fails here.
    expect(transcript).toHaveLength(7);
    expect(learnt.message, "the walkthrough enqueues a message").toBeDefined();
  }, 120_000);

  it("the receiver printed the delivery as the README's receiver sample shows it", () => {
    const sample = codeBlocks(section("Local receiver", RECEIVING)).find((b) => b.lang === "" && b.body.includes("webhook-signature"))!.body;
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
});
