/**
 * Entry of the notifications Function App: the change-feed relay and the webhook delivery.
 */
import { type InvocationContext, app } from "@azure/functions";
import { databaseFor, settingNames } from "../../shared/manifest";
import { lazyAsync } from "../../shared/util";
import manifest, { NOTIFICATIONS_QUEUE, ORDERS_DATABASE, ORDERS_LEASES } from "../service";
import { ORDERS_CONTAINER } from "../../orders/service";
import { publishStatusChanges } from "./change-feed";
import { deliveryHandler } from "./delivery";

// The SDKs (Cosmos DB, Storage, Event Grid, identity) load with ./deps when a function first needs
// them, not while the host waits for registration.
const publisher = lazyAsync(async () => (await import("./publisher-deps.js")).publisherDeps(process.env));
const delivery = lazyAsync(async () => (await import("./deps.js")).deliveryDeps(process.env));

app.cosmosDB("publishOrderStatusChanges", {
  connection: settingNames.cosmosConnection,
  databaseName: ORDERS_DATABASE,
  containerName: ORDERS_CONTAINER,
  leaseDatabaseName: databaseFor(manifest.name),
  leaseContainerName: ORDERS_LEASES,
  // With an Entra identity the binding cannot create containers: IaC creates the lease container.
  createLeaseContainerIfNotExists: false,
  // First start only (leases exist afterwards): announce changes made before this app first ran.
  startFromBeginning: true,
  maxItemsPerInvocation: 100,
  feedPollDelay: 1_000,
  // A thrown batch is retried and the lease does not advance: changes are never skipped over.
  retry: { strategy: "exponentialBackoff", maxRetryCount: -1, minimumInterval: 2_000, maximumInterval: 5 * 60_000 },
  handler: async (documents: unknown[], context: InvocationContext) => {
    await publishStatusChanges(await publisher(), documents, context);
  },
});

app.storageQueue("deliverNotification", {
  queueName: NOTIFICATIONS_QUEUE,
  connection: settingNames.queuesConnection,
  handler: deliveryHandler(delivery),
});
