import { failDeadLettered } from "../db/maintenance";
import { DeliveryTask } from "./task";

/**
 * Consumer of the dead-letter queue: a delivery lands here only when the main consumer kept
 * crashing on it. It is recorded as failed with the reason kept (and can be replayed), never dropped.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env, now = Date.now()): Promise<void> {
  for (const message of batch.messages) {
    const task = DeliveryTask.safeParse(message.body);
    if (task.success) {
      const reason = `Dead-lettered after ${message.attempts} consumer attempts from queue "${batch.queue}"`;
      await failDeadLettered(env.DB, task.data, task.data.token, reason, now);
    } else {
      console.error(`dead-letter message ${message.id} is not a delivery task; dropped`);
    }
    message.ack();
  }
}
