/**
 * Entry of the notifications Function App: the change-feed relay and the webhook delivery.
 *
 * Only names load here: the host waits for the registrations on every cold start. Each function's
 * code (zod, the event schemas) loads on its first invocation, the SDKs (Cosmos DB, Storage, Event
 * Grid, identity) with ./deps and ./publisher-deps.
 */
import { type InvocationContext, app } from "@azure/functions";
import { databaseFor, settingNames } from "../../shared/manifest";
import { lazyAsync } from "../../shared/util";
import manifest, { NOTIFICATIONS_QUEUE, ORDERS_DATABASE, ORDERS_LEASES } from "../service";
import { ORDERS_CONTAINER } from "../../orders/service";

// The SDKs (Cosmos DB, Storage, Event Grid, identity) load with ./deps when a function first needs
// them, not while the host waits for registration.
const publisher = lazyAsync(async () => (await import("./publisher-deps.js")).publisherDeps(process.env));
const delivery = lazyAsync(async () => (await import("./deps.js")).deliveryDeps(process.env));
const deliver = lazyAsync(async () => (await import("./delivery.js")).deliveryHandler(delivery));

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
    const [{ publishStatusChanges }, deps] = await Promise.all([import("./change-feed.js"), publisher()]);
    await publishStatusChanges(deps, documents, context);
  },
});

app.storageQueue("deliverNotification", {
  queueName: NOTIFICATIONS_QUEUE,
  connection: settingNames.queuesConnection,
  handler: async (message, context) => (await deliver())(message, context),
});
