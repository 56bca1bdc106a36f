import type { Schema } from "./client.ts";

type DeliverySummary = Schema<"DeliverySummary">;

const FINAL = new Set(["succeeded", "failed", "cancelled"]);
/** How far the polling window trails its computed start, for deliveries committed out of order. */
export const WINDOW_LAG_MS = 10_000;

const stateOf = (d: DeliverySummary) => `${d.status}|${d.attempt_count}|${d.updated_at}`;

/**
 * Follows a tenant's deliveries through repeated polls of a time window: says which ones are new
 * or changed since the previous poll, and moves the window's start forward past deliveries that
 * are finished, so a long-running tail keeps its polls small.
 */
export class DeliveryFollower {
  #start: number;
  readonly #seen = new Map<string, { state: string; createdAt: number }>();

  /** @param start the window's first creation time, ms since the epoch */
  constructor(start: number) {
    this.#start = start;
  }

  /** The `since` of the next poll. */
  get since(): string {
    return new Date(this.#start).toISOString();
  }

  /** Takes one poll's deliveries (the whole window) and returns the new or changed ones, oldest first. */
  update(deliveries: readonly DeliverySummary[]): DeliverySummary[] {
    const changed = deliveries
      .filter((d) => this.#seen.get(d.id)?.state !== stateOf(d))
      .sort((a, b) => a.updated_at.localeCompare(b.updated_at) || a.id.localeCompare(b.id));
    for (const d of deliveries) this.#seen.set(d.id, { state: stateOf(d), createdAt: Date.parse(d.created_at) });
    this.#advance(deliveries);
    return changed;
  }

  /** Starts the window at the oldest unfinished delivery (or the newest one), less the lag; never moves back. */
  #advance(deliveries: readonly DeliverySummary[]): void {
    if (deliveries.length === 0) return;
    const unfinished = deliveries.filter((d) => !FINAL.has(d.status)).map((d) => Date.parse(d.created_at));
    const anchor = unfinished.length > 0 ? Math.min(...unfinished) : Math.max(...deliveries.map((d) => Date.parse(d.created_at)));
    this.#start = Math.max(this.#start, anchor - WINDOW_LAG_MS);
    for (const [id, seen] of this.#seen) if (seen.createdAt < this.#start) this.#seen.delete(id);
  }
}
