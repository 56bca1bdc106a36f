// The names of the scale phase's reads, in the order it measures them: bench/scale-worker.ts runs
// each under its name and bench/lib/scale.ts calls and reports them, so the two cannot drift apart.
// No imports: both Node and the scale Worker's bundle load it.

/** The reads that leave the shard as it was, by the name bench/results/latest.json gives each under `scale.rows_read_per_call`. */
const UNCHANGING_READS = [
  "poll_message", "get_delivery", "list_messages", "list_messages_by_event", "list_messages_by_rare_event", "list_messages_by_source",
  "list_messages_since", "list_deliveries", "list_deliveries_by_endpoint", "list_deliveries_by_status_failed", "list_deliveries_by_status_pending",
  "list_deliveries_by_status_scheduled", "list_deliveries_by_status_cancelled", "list_deliveries_by_endpoint_and_status", "list_deliveries_by_message", "list_deliveries_since",
  "dashboard_endpoint_list", "dashboard_endpoint_page", "dashboard_delivery_log", "dashboard_delivery_log_failed", "consumer_batch_load",
] as const;

/** The reads that change the shard: measured once each, after all the others. */
export const SCALE_WRITES = ["sweeper_pass", "retention_pass", "recover_since"] as const;

/** The name of one read of the scale phase, changing the shard or not. */
export type ScaleRead = (typeof UNCHANGING_READS)[number] | (typeof SCALE_WRITES)[number];

/** Every read's name, the changing ones last: the order the phase measures them in. */
export const ALL_SCALE_READS: readonly ScaleRead[] = [...UNCHANGING_READS, ...SCALE_WRITES];

/** Whether `name` names a read of the scale phase. */
export const isScaleRead = (name: string): name is ScaleRead => (ALL_SCALE_READS as readonly string[]).includes(name);
