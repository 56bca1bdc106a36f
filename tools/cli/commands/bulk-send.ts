import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { SingleBar } from "cli-progress";
import { MAX_BATCH_BODY_BYTES, MAX_BATCH_MESSAGES } from "../../../src/limits.ts";
import type { Schema } from "../client.ts";
import { EdgehookError } from "../../../packages/client/src/index.ts";
import type { CommandContext } from "../context.ts";
import { describeError, ExitCode, exitCodeFor } from "../exit-codes.ts";
import { note, out } from "../output.ts";

/** The bytes of a batch's body around its lines: `{"messages":[` and `]}`. */
const BATCH_ENVELOPE_BYTES = '{"messages":[]}'.length;

/** One line of the JSONL input that holds a message. */
interface Line {
  /** 1-based line number in the input. */
  number: number;
  /** The line's JSON text, sent as written so the payload keeps its exact form. */
  text: string;
  /** Its size in UTF-8. */
  bytes: number;
}

/** What happened to the lines of one batch. */
interface BatchOutcome {
  lines: number[];
  enqueued: number;
  replayed: number;
  /** Why the batch failed, per line where the relay named one (`messages.N…`), else for all of it. */
  failure?: { error: unknown; byLine: Map<number, string[]> };
}

/** Yields the message lines of a JSONL file (or stdin for "-"), skipping blank lines; a line that is not a JSON object is reported on its own. */
async function* linesOf(file: string): AsyncGenerator<Line | { number: number; invalid: string }> {
  const input = file === "-" ? process.stdin : createReadStream(file, "utf8");
  let number = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    number++;
    // trim() also drops a byte order mark, which JSON.parse refuses (files saved by Windows tools start with one).
    const trimmed = text.trim();
    if (trimmed === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      yield { number, invalid: `not JSON: ${(error as Error).message}` };
      continue;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) yield { number, invalid: "not a JSON object (one message per line)" };
    else yield { number, text: trimmed, bytes: Buffer.byteLength(trimmed) };
  }
}

/** Counts the non-blank lines of a file, for the progress bar's total (stdin has none). */
async function countLines(file: string): Promise<number | null> {
  if (file === "-") return null;
  let count = 0;
  for await (const text of createInterface({ input: createReadStream(file, "utf8"), crlfDelay: Infinity })) if (text.trim() !== "") count++;
  return count;
}

/** Sends one batch and says what became of each of its lines. */
async function sendBatch(ctx: CommandContext, batch: Line[]): Promise<BatchOutcome> {
  const lines = batch.map((l) => l.number);
  try {
    const sent = await ctx.client.request<Schema<"BatchEnqueued">>("POST", `${await ctx.tenantPath()}/messages/batch`, {
      bodyText: `{"messages":[${batch.map((l) => l.text).join(",")}]}`,
    });
    const replayed = sent.messages.filter((m) => m.replayed).length;
    return { lines, enqueued: sent.messages.length - replayed, replayed };
  } catch (error) {
    const byLine = new Map<number, string[]>();
    if (error instanceof EdgehookError) {
      for (const issue of error.issues) {
        const [, index, rest] = /^messages\.(\d+)\.?(.*)$/.exec(issue.path) ?? [];
        const line = index === undefined ? undefined : batch[Number(index)]?.number;
        if (line !== undefined) byLine.set(line, [...(byLine.get(line) ?? []), `${rest || "(message)"}: ${issue.message}`]);
      }
    }
    return { lines, enqueued: 0, replayed: 0, failure: { error, byLine } };
  }
}

/** How the run is shown: a bar on a terminal, else a plain line (or JSON line) per batch. */
interface Progress {
  batchDone(outcome: BatchOutcome): void;
  lineInvalid(number: number, reason: string): void;
  stop(): void;
}

function progressOf(ctx: CommandContext, total: number | null): Progress {
  const json = ctx.json;
  if (!json && total !== null && process.stderr.isTTY) {
    const bar = new SingleBar({ format: "sending [{bar}] {value}/{total} messages · {failed} failed · {eta_formatted} left", stream: process.stderr, hideCursor: true });
    let failed = 0;
    bar.start(total, 0, { failed });
    return {
      batchDone: (o) => {
        if (o.failure) failed += o.lines.length;
        bar.increment(o.lines.length, { failed });
      },
      lineInvalid: () => bar.increment(1, { failed: ++failed }),
      stop: () => bar.stop(),
    };
  }
  const range = (lines: number[]) => `lines ${lines[0]}–${lines.at(-1)}`;
  return {
    batchDone: (o) => {
      if (json) {
        out(`${JSON.stringify({ lines: [o.lines[0], o.lines.at(-1)], enqueued: o.enqueued, replayed: o.replayed, ...(o.failure ? { error: JSON.parse(describeError(o.failure.error, true)) } : {}) })}\n`);
      } else if (o.failure) note(`${range(o.lines)}: failed: ${describeError(o.failure.error, false).replace(/^error: /, "")}`);
      else note(`${range(o.lines)}: ${o.enqueued} enqueued${o.replayed ? `, ${o.replayed} replayed` : ""}`);
    },
    lineInvalid: (number, reason) => (json ? out(`${JSON.stringify({ lines: [number, number], error: { code: "invalid_line", message: reason } })}\n`) : note(`line ${number}: ${reason}`)),
    stop: () => undefined,
  };
}

/**
 * `edgehook messages send --file messages.jsonl` (or `-` for stdin): one message per line (an
 * enqueue body, with an optional `idempotency_key`), sent in batches of MAX_BATCH_MESSAGES (fewer
 * when that many lines would exceed MAX_BATCH_BODY_BYTES) through `POST …/messages/batch`, each line's text as written
 * (exact payloads). A progress bar on a
 * terminal; a plain line per batch otherwise, or a JSON line per batch with --json. Ends with a
 * summary and, when any line or batch failed, names the lines and exits non-zero (the exit code of
 * the first failed batch, or 6 for lines that are not JSON). A batch is all or nothing: a failed
 * batch stores none of its lines, and the other batches go on.
 */
export async function sendJsonLines(ctx: CommandContext, file: string): Promise<number> {
  const progress = progressOf(ctx, await countLines(file));
  const failedLines = new Map<number, string[]>();
  let exitCode: number = ExitCode.ok;
  let enqueued = 0;
  let replayed = 0;
  let batch: Line[] = [];
  let batchBytes = BATCH_ENVELOPE_BYTES;
  const flush = async () => {
    if (batch.length === 0) return;
    const outcome = await sendBatch(ctx, batch);
    batch = [];
    batchBytes = BATCH_ENVELOPE_BYTES;
    enqueued += outcome.enqueued;
    replayed += outcome.replayed;
    if (outcome.failure) {
      if (exitCode === ExitCode.ok) exitCode = exitCodeFor(outcome.failure.error);
      const whole = describeError(outcome.failure.error, false).replace(/^error: /, "").split("\n")[0]!;
      for (const line of outcome.lines) failedLines.set(line, outcome.failure.byLine.get(line) ?? [`not stored: its batch failed (${whole})`]);
    }
    progress.batchDone(outcome);
  };
  for await (const line of linesOf(file)) {
    if ("invalid" in line) {
      failedLines.set(line.number, [line.invalid]);
      if (exitCode === ExitCode.ok) exitCode = ExitCode.rejected;
      progress.lineInvalid(line.number, line.invalid);
      continue;
    }
    // A batch ends at MAX_BATCH_MESSAGES lines, or before the line that would take its body past the relay's limit
    // (413 for the whole batch otherwise); a line too large on its own goes alone, for the relay to judge.
    if (batch.length > 0 && batchBytes + 1 + line.bytes > MAX_BATCH_BODY_BYTES) await flush();
    batch.push(line);
    batchBytes += (batch.length > 1 ? 1 : 0) + line.bytes;
    if (batch.length === MAX_BATCH_MESSAGES) await flush();
  }
  await flush();
  progress.stop();
  const failed = [...failedLines.keys()].sort((a, b) => a - b);
  if (ctx.json) {
    out(`${JSON.stringify({ summary: { enqueued, replayed, failed: failed.length, failed_lines: failed } })}\n`);
  } else {
    out(`${enqueued} enqueued, ${replayed} replayed, ${failed.length} failed\n`);
    for (const line of failed) note(`line ${line}: ${failedLines.get(line)!.join("; ")}`);
  }
  return exitCode;
}
