/**
 * Queue clients for sending only (dead-letters, status reports), whose SDK loads on the first send.
 *
 * A queue-triggered function sends to its poison queue only when a message can never be processed, and
 * fulfillment's starter reports to orders only when it refuses an order: on the way of a valid message
 * (every cold start's first message, usually) neither sends. Building a QueueClient with the deps loads
 * @azure/storage-queue and its pipeline (about 0.3 MB) before that message's first call; here it loads
 * with `./queues` on the first `sendMessage`. The settings are read and checked when the deps are built,
 * as before: a missing or wrong queue setting fails the same invocation with the same error.
 */
import type { QueueClient, QueueServiceClient } from "@azure/storage-queue";
import { type Settings, queueConnection } from "../settings";
import type { ClientOptions } from "./credential";

/** What sending needs of a QueueClient (the real one satisfies it: tests pass theirs). */
export type QueueSender = Pick<QueueClient, "name" | "sendMessage">;

/**
 * A factory of senders on the settings' queue account, sharing one QueueServiceClient (built from
 * `./queues`, the one place clients are built) once the first of them sends.
 * @throws ConfigurationError when the queue connection settings are missing or invalid (now, not at the first send)
 */
export function deferredQueueSenders(settings: Settings, options: ClientOptions = {}): (queueName: string) => QueueSender {
  const connection = queueConnection(settings);
  let service: Promise<QueueServiceClient> | undefined;
  const clients = new Map<string, Promise<QueueClient>>();
  const clientOf = (name: string): Promise<QueueClient> => {
    let client = clients.get(name);
    if (!client) {
      service ??= import("./queues.js").then(({ createQueueServiceClient }) => createQueueServiceClient(connection, options));
      client = service.then((s) => s.getQueueClient(name));
      clients.set(name, client);
    }
    return client;
  };
  return (name) => ({
    name,
    sendMessage: async (...args: Parameters<QueueClient["sendMessage"]>) => (await clientOf(name)).sendMessage(...args),
  });
}
