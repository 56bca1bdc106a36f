import { failDeadLettered } from "../db/maintenance";
import { isShardIndex, shardDb } from "../shards";
import { DeliveryTask } from "./task";

/**
 * Consumer of the dead-letter queue: a delivery lands here only when the main consumer kept
 * crashing on it. It is recorded as failed with the reason kept (and can be replayed), never dropped.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env, now = Date.now()): Promise<void> {
  for (const message of batch.messages) {
    const task = DeliveryTask.safeParse(message.body);
    if (!task.success) {
      console.error(`dead-letter message ${message.id} is not a delivery task; dropped`);
    } else if (!isShardIndex(env, task.data.shard)) {
      console.error(`dead-letter message ${message.id} names data shard ${task.data.shard}, which this Worker does not have; dropped`);
    } else {
      const reason = `Dead-lettered after ${message.attempts} consumer attempts from queue "${batch.queue}"`;
      await failDeadLettered(shardDb(env, task.data.shard), task.data, task.data.token, reason, now);
    }
    message.ack();
  }
}
