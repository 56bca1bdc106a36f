import { type Bench, deliveriesIn, receiverReport, type RunName, succeeded } from "./context.ts";

/** Enqueued = delivered + recorded failures, with duplicates counted; anything else is lost. */
export interface Ledger {
  enqueued: number;
  delivered: number;
  /** 2xx receipts of a message beyond its first. */
  duplicates: number;
  /** Deliveries D1 records as failed. */
  failed: number;
  /** Still pending or retrying in D1 when the bench stopped waiting (counted as lost). */
  stillOpen: number;
  lost: number;
  /** Messages the receiver got that no 202 named (requests cut off when a timed run ended). */
  unannounced: number;
}

/** Checks a run against the receiver and D1. `acceptedIds` when known; otherwise only a count. */
export async function ledgerOf(bench: Bench, run: RunName, accepted: string[] | number): Promise<Ledger> {
  const report = await receiverReport(bench, run);
  const arrivals = Object.entries(report.messages);
  const deliveredIds = new Set(arrivals.filter(([, a]) => succeeded(a).length > 0).map(([id]) => id));
  const duplicates = arrivals.reduce((sum, [, a]) => sum + Math.max(0, succeeded(a).length - 1), 0);
  const [failed, pending, retrying] = await Promise.all([
    deliveriesIn(bench, run, "failed"),
    deliveriesIn(bench, run, "pending"),
    deliveriesIn(bench, run, "retrying"),
  ]);
  const enqueued = typeof accepted === "number" ? accepted : accepted.length;
  const deliveredOfAccepted = typeof accepted === "number" ? Math.min(enqueued, deliveredIds.size) : accepted.filter((id) => deliveredIds.has(id)).length;
  return {
    enqueued,
    delivered: deliveredOfAccepted,
    duplicates,
    failed,
    stillOpen: pending + retrying,
    lost: Math.max(0, enqueued - deliveredOfAccepted - failed),
    unannounced: Math.max(0, deliveredIds.size - deliveredOfAccepted),
  };
}
