/**
 * Entry of the fulfillment Function App: registers the starter, the orchestration and its activities
 * (v4 programming model, durable-functions 3) at module load.
 *
 * Only names load here: the host waits for the registrations on every cold start, and nothing behind
 * a function is needed before it first runs. durable-functions, zod and the message schemas load with
 * the function modules (../../shared/durable.ts), the SDKs with ./deps (the activities: Cosmos DB,
 * Storage, identity) and ./starter-deps (the starter: Storage, identity).
 */
import { app } from "@azure/functions";
import { FULFILLMENT_QUEUE } from "../../shared/contracts/names";
import { durableClientInput, registerActivity, registerOrchestration } from "../../shared/durable";
import { settingNames } from "../../shared/manifest";
import { lazyAsync } from "../../shared/util";
import { ACTIVITIES, ORCHESTRATION } from "./names";

const deps = lazyAsync(async () => (await import("./deps.js")).fulfillmentDeps(process.env));
const activities = lazyAsync(async () => (await import("./activities.js")).fulfillmentActivities(deps));
const queues = lazyAsync(async () => (await import("./starter-deps.js")).starterDeps(process.env));
const starter = lazyAsync(async () => {
  const { starterClientOf, starterHandler } = await import("./starter.js");
  return starterHandler(queues, starterClientOf);
});

registerOrchestration(ORCHESTRATION, async () => (await import("./orchestrator.js")).fulfillOrder);
for (const name of Object.values(ACTIVITIES)) {
  registerActivity(name, async () => (await activities())[name]);
}

app.storageQueue("startFulfillment", {
  queueName: FULFILLMENT_QUEUE,
  connection: settingNames.queuesConnection,
  extraInputs: [durableClientInput()],
  handler: async (message, context) => (await starter())(message, context),
});
