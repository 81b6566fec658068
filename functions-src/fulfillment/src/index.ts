/**
 * Entry of the fulfillment Function App: registers the starter, the orchestration and its activities
 * (v4 programming model, durable-functions 3) at module load.
 */
import { app } from "@azure/functions";
import * as df from "durable-functions";
import { FULFILLMENT_QUEUE } from "../../shared/contracts/fulfillment";
import { settingNames } from "../../shared/manifest";
import { lazyAsync } from "../../shared/util";
import { ACTIVITIES, fulfillmentActivities } from "./activities";
import { ORCHESTRATION, fulfillOrder } from "./orchestrator";
import { durableStarterClient, starterHandler } from "./starter";

// The SDKs (Cosmos DB, Storage, identity) load with ./deps when a function first needs them, not while
// the host waits for registration (durable-functions itself must load: it registers the orchestration).
const deps = lazyAsync(async () => (await import("./deps.js")).fulfillmentDeps(process.env));
const activities = fulfillmentActivities(deps);

df.app.orchestration(ORCHESTRATION, fulfillOrder);
for (const name of Object.values(ACTIVITIES)) {
  df.app.activity(name, { handler: activities[name] });
}

app.storageQueue("startFulfillment", {
  queueName: FULFILLMENT_QUEUE,
  connection: settingNames.queuesConnection,
  extraInputs: [df.input.durableClient()],
  handler: starterHandler(deps, (context) => durableStarterClient(df.getClient(context))),
});
