import { endpointsOfShard, foldEndpointStatsIntoHours, purgeOldEndpointStats } from "../../src/db/endpoint-stats";
import { deliveryPairsOfShard, purgeOldMessages, rearmStuckDeliveries } from "../../src/db/maintenance";

// The sweeper's upkeep steps as one call each, listing the shard's ranges first as sweepShard does
// (src/delivery/sweeper.ts), so a test counts and plans the listing's queries with the step's.

/** Lists the shard's (tenant, endpoint) pairs, then rearmStuckDeliveries over them. */
export async function rearmStuck(db: D1Database, stuckBefore: number, freshFrom: number, now: number, limit: number) {
  return rearmStuckDeliveries(db, await deliveryPairsOfShard(db), stuckBefore, freshFrom, now, limit);
}

/** Lists the shard's (tenant, endpoint) pairs, then purgeOldMessages over them. */
export async function purgeOld(db: D1Database, before: number, limit: number) {
  return purgeOldMessages(db, await deliveryPairsOfShard(db), before, limit);
}

/** Lists the shard's endpoints, then foldEndpointStatsIntoHours over them. */
export async function foldStats(db: D1Database, before: number, limit: number) {
  return foldEndpointStatsIntoHours(db, await endpointsOfShard(db), before, limit);
}

/** Lists the shard's endpoints, then purgeOldEndpointStats over them. */
export async function purgeStats(db: D1Database, before: number, limit: number) {
  return purgeOldEndpointStats(db, await endpointsOfShard(db), before, limit);
}
