import { foldEndpointStatsIntoHours, purgeOldEndpointStats } from "../../src/db/endpoint-stats";
import { rearmStuckDeliveries } from "../../src/db/maintenance";
import { unlimitedQueries } from "../../src/db/query-budget";
import { purgeOldDeliveries, purgeOldMessages } from "../../src/db/retention";

// The sweeper's upkeep steps as one call each over the whole shard, from the first range and with
// no query budget (src/delivery/sweeper.ts gives each a budget and a mark to resume from), so a
// test counts and plans the listing's queries with the step's.

/** rearmStuckDeliveries with no query budget: the deliveries it re-armed. */
export async function rearmStuck(db: D1Database, stuckBefore: number, freshFrom: number, now: number, limit: number) {
  return (await rearmStuckDeliveries(db, stuckBefore, freshFrom, now, limit, unlimitedQueries())).deliveries;
}

/** Retention's two walks from the first range, with no query budget: up to `limit` deliveries, then up to `limit` messages. */
export async function purgeOld(db: D1Database, before: number, limit: number) {
  const deliveries = await purgeOldDeliveries(db, null, before, limit, unlimitedQueries());
  const messages = await purgeOldMessages(db, null, before, limit, unlimitedQueries());
  return { deliveries: deliveries.done, messages: messages.done };
}

/** foldEndpointStatsIntoHours from the first endpoint, with no query budget: how many rollups it folded. */
export async function foldStats(db: D1Database, before: number, limit: number) {
  return (await foldEndpointStatsIntoHours(db, null, before, limit, unlimitedQueries())).done;
}

/** purgeOldEndpointStats from the first endpoint, with no query budget: how many rollups went. */
export async function purgeStats(db: D1Database, before: number, limit: number) {
  return (await purgeOldEndpointStats(db, null, before, limit, unlimitedQueries())).done;
}
