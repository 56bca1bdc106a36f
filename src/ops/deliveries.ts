import * as stored from "../db/deliveries";
import { listDeliveries as listStored } from "../db/delivery-lists";
import { enqueueDeliveries } from "../delivery/task";
import { notFound } from "../errors";
import { endpointOn } from "./endpoints";
import { tenantDb } from "./tenant-db";

/**
 * Deliveries: inspecting a tenant's deliveries and replaying them, for the API and the dashboard
 * alike. A replay gives a delivery a fresh attempt budget and a new queue token, so any older queue
 * message for it turns stale; the queue message for the replay is sent after the row is written.
 */

/** Most failed deliveries one recover call replays. */
const RECOVER_LIMIT = 1000;

type ListQuery = Parameters<typeof listStored>[2];

/**
 * A page of the tenant's deliveries, newest first, filtered by endpoint, message, status and age
 * (`since`, epoch ms), as the API lists them: summaries only. A page filtered by a status other
 * than failed or cancelled may be short with a `next_cursor` (src/db/deliveries.ts).
 */
export async function listDeliveries(env: Env, tenantId: string, query: ListQuery) {
  const { db } = await tenantDb(env, tenantId);
  const { data, next_cursor } = await listStored(db, tenantId, query);
  return { data: data.map(({ event: _event, endpoint_name: _name, ...summary }) => summary), next_cursor };
}

/** A page of the tenant's delivery log as the dashboard shows it: each delivery with its event and endpoint name. */
export async function deliveryLog(env: Env, tenantId: string, query: ListQuery): ReturnType<typeof listStored> {
  const { db } = await tenantDb(env, tenantId);
  return listStored(db, tenantId, query, { labelled: true });
}

/** One delivery of the tenant with its event and every attempt; 404 when it has none with this id. */
export async function getDelivery(env: Env, tenantId: string, deliveryId: string) {
  const { db } = await tenantDb(env, tenantId);
  const delivery = await stored.getDeliveryWithAttempts(db, tenantId, deliveryId);
  if (!delivery) throw notFound("Delivery");
  return delivery;
}

/** Replays one delivery of the tenant, whatever its state; 404 when it has none with this id. */
export async function replayDelivery(env: Env, tenantId: string, deliveryId: string, now = Date.now()): Promise<stored.ScheduledDelivery> {
  const shard = await tenantDb(env, tenantId);
  const replayed = await stored.replayDelivery(shard.db, tenantId, deliveryId, now);
  if (!replayed) throw notFound("Delivery");
  await enqueueDeliveries(env.DELIVERIES, shard.index, [replayed]);
  return replayed;
}

/**
 * Replays every failed delivery of one endpoint of the tenant created at or after `since` (epoch
 * ms), at most RECOVER_LIMIT of them; 404 when the tenant has no such endpoint.
 */
export async function recoverEndpoint(
  env: Env,
  tenantId: string,
  endpointId: string,
  since: number,
  now = Date.now(),
): Promise<stored.ScheduledDelivery[]> {
  const shard = await tenantDb(env, tenantId);
  await endpointOn(shard.db, tenantId, endpointId);
  const replayed = await stored.replayFailedForEndpoint(shard.db, tenantId, endpointId, since, now, RECOVER_LIMIT);
  await enqueueDeliveries(env.DELIVERIES, shard.index, replayed);
  return replayed;
}

