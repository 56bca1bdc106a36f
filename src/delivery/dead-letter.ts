import { failDeadLettered } from "../db/maintenance";
import { isShardIndex, shardDb } from "../shards";
import { tasksOf } from "./task";

/**
 * Consumer of the dead-letter queue: a delivery (or a pack of them) lands here only when the main consumer kept
 * crashing on it. It is recorded as failed with the reason kept (and can be replayed), never dropped.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env, now = Date.now()): Promise<void> {
  for (const message of batch.messages) {
    const tasks = tasksOf(message.body);
    if (!tasks) {
      console.error(`dead-letter message ${message.id} is not a delivery task; dropped`);
    } else if (!isShardIndex(env, tasks[0]!.shard)) {
      console.error(`dead-letter message ${message.id} names data shard ${tasks[0]!.shard}, which this Worker does not have; dropped`);
    } else {
      const reason = `Dead-lettered after ${message.attempts} consumer attempts from queue "${batch.queue}"`;
      for (const task of tasks) await failDeadLettered(shardDb(env, task.shard), task, task.token, reason, now);
    }
    message.ack();
  }
}
