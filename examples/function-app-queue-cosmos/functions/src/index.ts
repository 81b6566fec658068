/**
 * The example's one function: each message on the queue becomes an item in the container. Both
 * connections are identity-based: the program sets `QUEUES__queueServiceUri` and
 * `COSMOS__accountEndpoint` (with `__credential`/`__clientId`), and grants the app's managed identity
 * the roles these bindings need; no key or connection string exists anywhere.
 */
import { app, output, type InvocationContext } from "@azure/functions";
import { CONTAINER, COSMOS_CONNECTION, DATABASE, QUEUE, QUEUES_CONNECTION } from "./names";

const items = output.cosmosDB({ connection: COSMOS_CONNECTION, databaseName: DATABASE, containerName: CONTAINER });

app.storageQueue("ingest", {
  queueName: QUEUE,
  connection: QUEUES_CONNECTION,
  extraOutputs: [items],
  handler: (message: unknown, context: InvocationContext): void => {
    // Anything but a JSON object is refused: the runtime retries the message, then moves it to
    // `<queue>-poison` after host.json's maxDequeueCount, where it is kept, never dropped.
    if (message === null || typeof message !== "object" || Array.isArray(message)) {
      throw new Error(`invocation ${context.invocationId}: the message is not a JSON object`);
    }
    context.extraOutputs.set(items, { ...message, id: context.invocationId });
  },
});
