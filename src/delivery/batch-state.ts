import type { Cancellation } from "../db/batch-records";
import { SHARD_FAILED, type Sent, type Verdict } from "./decide";
import type { DecodedBatch, DeliveryJob, QueueMessage } from "./jobs";
import type { Lane } from "./lanes";
import type { Plan } from "./plan";
import { settlementOf, type Settlement } from "./settle";
import type { DeliveryTask } from "./task";

/**
 * The one owner of a consumer batch's mutable state: each delivery slot's plan and verdict, which
 * queue messages are still unsettled, the results not yet recorded, and what the batch has learnt
 * about receivers (timed out, turned slow, requests handed off). The stages read and change it only
 * through these methods; a message is settled once, when the last of its deliveries has its verdict.
 */
export class BatchState {
  readonly tasks: ReadonlyArray<DeliveryTask | null>;
  readonly #messageOf: number[];
  readonly #slotsOf: number[][];
  #plans: Plan[];
  readonly #verdicts: Array<Verdict | undefined>;
  readonly #unsettled: Set<number>;
  #unrecorded: Sent[] = [];
  #late: Sent[] = [];
  #cancelling: number[] = [];
  /** Send slots whose outcome dispatch has reported. */
  readonly #reported = new Set<number>();
  /** Receivers that timed out, and (main lane) receivers with a request running SLOW_ANSWER_MS. */
  readonly timedOut = new Set<string>();
  readonly slow = new Set<string>();
  /** Slots whose request is running, by receiver, and those handed off (their message settled without them). */
  readonly #running = new Map<string, Set<number>>();
  readonly #handedOff = new Set<number>();

  constructor(
    readonly messages: readonly QueueMessage[],
    decoded: DecodedBatch,
    readonly lane: Lane,
    readonly startedAt: number,
  ) {
    [this.tasks, this.#messageOf, this.#slotsOf] = [decoded.tasks, decoded.messageOf, decoded.slotsOf];
    this.#plans = decoded.tasks.map(() => ({ kind: "ack" }));
    this.#verdicts = decoded.tasks.map(() => undefined);
    this.#unsettled = new Set(messages.keys());
  }

  /**
   * Takes the plans; those that need no send get their verdict now, cancellations wait to be
   * recorded, and held FIFO deliveries are recorded as sends held back (a claim that would lapse
   * while they wait moves, src/delivery/record.ts).
   */
  planned(plans: Plan[]): void {
    this.#plans = plans;
    plans.forEach((p, slot) => {
      if (p.kind === "ack") this.decide(slot, p);
      else if (p.kind === "hold") this.#unrecorded.push({ slot, record: null, deferSeconds: p.seconds });
      else if (p.kind === "wait") this.decide(slot, { kind: "retry", delaySeconds: p.seconds });
      else if (p.kind === "unavailable") this.decide(slot, SHARD_FAILED);
      else if (p.kind === "forward") this.decide(slot, { kind: "forward" });
      else if (p.kind === "cancel") this.#cancelling.push(slot);
    });
  }

  /** The planned sends, those of messages that came back before first, so none is deferred batch after batch. */
  sends(): Array<{ slot: number; job: DeliveryJob }> {
    const attemptsOf = (slot: number) => this.messages[this.#messageOf[slot]!]!.attempts;
    return this.#plans
      .flatMap((p, slot) => (p.kind === "send" ? [{ slot, job: p.job }] : []))
      .sort((a, b) => attemptsOf(b.slot) - attemptsOf(a.slot));
  }

  /** The job of a planned send or hold. */
  jobOf(slot: number): DeliveryJob {
    return (this.#plans[slot] as Extract<Plan, { kind: "send" | "hold" }>).job;
  }

  decide(slot: number, verdict: Verdict): void {
    this.#verdicts[slot] = verdict;
  }

  /** Notes a finished send (or one held back) to record; a handed-off one is recorded apart (takeHandedOff). */
  sent(sent: Sent): void {
    this.#reported.add(sent.slot);
    if (this.#handedOff.has(sent.slot)) this.#late.push(sent);
    else this.#unrecorded.push(sent);
  }

  /** The handed-off sends that have finished and are not yet recorded. */
  takeHandedOff(): Sent[] {
    return this.#late.splice(0);
  }

  /** Whether every planned send has an outcome or was handed off: nothing left for the batch to wait on. */
  get quiet(): boolean {
    return this.#plans.every((p, slot) => p.kind !== "send" || this.#reported.has(slot) || this.#handedOff.has(slot));
  }

  /**
   * Whether the batch now waits only on requests to slow receivers while holding results of others
   * not yet recorded: then they are worth recording at once.
   */
  get waitsOnlyOnSlow(): boolean {
    const running = new Map([...this.#running].flatMap(([receiver, slots]) => [...slots].map((slot) => [slot, receiver] as const)));
    const waitsOnSlow = this.#plans.every((p, slot) => p.kind !== "send" || this.#reported.has(slot) || this.#handedOff.has(slot) || this.slow.has(running.get(slot) ?? ""));
    return waitsOnSlow && this.#unrecorded.some(({ slot }) => !this.slow.has(this.jobOf(slot).receiver));
  }

  /** The sends and cancellations not yet recorded; they are the caller's to record from now on. */
  takeUnrecorded(): { sents: Sent[]; cancels: Array<Cancellation & { slot: number }> } {
    const cancels = this.#cancelling.map((slot) => {
      const t = this.tasks[slot]!;
      const reason = (this.#plans[slot] as Extract<Plan, { kind: "cancel" }>).reason;
      return { deliveryId: t.delivery_id, tenantId: t.tenant_id, endpointId: t.endpoint_id, queueToken: t.token, reason, at: this.startedAt, slot };
    });
    const sents = this.#unrecorded;
    [this.#unrecorded, this.#cancelling] = [[], []];
    return { sents, cancels };
  }

  get hasUnrecorded(): boolean {
    return this.#unrecorded.length > 0 || this.#cancelling.length > 0;
  }

  /** The messages all of whose deliveries have their verdicts, with their settlements; each is returned once. */
  takeSettled(): Array<{ message: QueueMessage; settlement: Settlement }> {
    const ready = [...this.#unsettled].filter((m) => this.#slotsOf[m]!.every((slot) => this.#verdicts[slot]));
    for (const m of ready) this.#unsettled.delete(m);
    const verdicts = this.#verdicts as Verdict[];
    return ready.map((m) => ({ message: this.messages[m]!, settlement: settlementOf(this.#slotsOf[m]!, verdicts, this.tasks, this.messages[m]!.attempts, this.lane) }));
  }

  get allSettled(): boolean {
    return this.#unsettled.size === 0;
  }

  started(slot: number, receiver: string): void {
    const slots = this.#running.get(receiver) ?? new Set();
    this.#running.set(receiver, slots.add(slot));
  }

  finished(slot: number, receiver: string): void {
    this.#running.get(receiver)?.delete(slot);
  }

  /**
   * Hands off the running requests of `receiver`: their messages are acked without waiting for them,
   * and each one's result, once known, re-queues its delivery itself. Returns the slots handed off.
   */
  handOff(receiver: string): number[] {
    const slots = [...(this.#running.get(receiver) ?? [])].filter((slot) => !this.#handedOff.has(slot));
    for (const slot of slots) {
      this.#handedOff.add(slot);
      this.decide(slot, { kind: "ack" });
    }
    return slots;
  }

  isHandedOff(slot: number): boolean {
    return this.#handedOff.has(slot);
  }
}
