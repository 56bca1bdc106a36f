import type { Config } from "../config";
import type { StatsRollup } from "../lib/endpoint-stats";
import type { DeliveryRef, DeliveryWork } from "../db/delivery-work";
import type { AttemptRecord, Cancellation, DeferredClaim, RecordedBatch } from "../db/batch-records";
import type { EndpointHealth } from "../db/endpoint-health";
import type { Deferral } from "./endpoint-gate";
import type { DeliveryJob } from "./jobs";
import type { Lane } from "./lanes";
import type { Unreadable } from "./decide";
import type { SendResult } from "./send";
import type { Requeue } from "./settle";

/**
 * What the consumer's orchestration (src/delivery/consumer.ts) needs from the world, as interfaces:
 * time, timers, the data shards, the attempt, the lanes' queues and the operational-events sink.
 * src/delivery/real-ports.ts wires them to the Worker's bindings; unit tests pass fakes, so the
 * orchestration runs in Node with a fake clock and in-memory queues.
 */

/** Epoch ms now. */
export type Clock = () => number;

/** Timers, so tests can move time by hand. */
export interface Timers {
  /** Calls `fn` once `ms` have passed; returns a cancel function. */
  after(ms: number, fn: () => void): () => void;
  /** Resolves once `ms` have passed. */
  sleep(ms: number): Promise<void>;
}

/** The data shards' delivery rows (src/db/delivery-work.ts), one D1 call each. */
export interface DeliveryStore {
  load(shard: number, refs: DeliveryRef[]): Promise<Map<string, DeliveryWork>>;
  /** Renews claims (epoch ms `now`); returns the delivery ids the batch still holds. */
  renewClaims(shard: number, claims: Array<DeliveryRef & { queue_token: string }>, now: number): Promise<Set<string>>;
  /** Records attempts, cancellations, endpoint health, endpoint stats and deferred claims in one D1 batch. */
  record(
    shard: number,
    attempts: AttemptRecord[],
    cancellations: Cancellation[],
    health: EndpointHealth[],
    stats: StatsRollup[],
    deferredClaims: DeferredClaim[],
  ): Promise<RecordedBatch>;
}

/**
 * One send within its endpoint's limits: the attempt itself (after any wait for the endpoint's
 * limiter) runs inside `around`, so the caller sees when the request begins and ends; `now` (epoch
 * ms) signs it. A Deferral when the limiter said no; an Unreadable when the platform could not give
 * its secret or payload (nothing was sent).
 */
export type Deliver = (
  job: DeliveryJob,
  now: () => number,
  around: (attempt: () => Promise<SendResult | Unreadable>) => Promise<SendResult | Unreadable>,
) => Promise<SendResult | Unreadable | Deferral>;

/** The delivery queues: queues deliveries again in a lane; throws when the queue refuses them. */
export type Requeuer = (lane: Lane, groups: Requeue[]) => Promise<void>;

/** Reports what recording a shard's results changed (src/ops/operational-events.ts); throws on failure. */
export type EventsSink = (records: AttemptRecord[], recorded: RecordedBatch) => Promise<void>;

/** Everything one consumer batch runs with. */
export interface ConsumerPorts {
  clock: Clock;
  /** Uniform in [0, 1), for retry jitter. */
  random: () => number;
  timers: Timers;
  store: DeliveryStore;
  deliver: Deliver;
  requeue: Requeuer;
  events: EventsSink;
  /** Keeps the invocation alive for work that outlives the batch's settlement (a handed-off request). */
  waitUntil: (work: Promise<unknown>) => void;
  /** Whether this Worker has data shard `shard`. */
  hasShard: (shard: number) => boolean;
  config: Pick<Config, "SWEEP_STUCK_AFTER_SECONDS">;
}
