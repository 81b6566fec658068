/**
 * The notifications service: relays order status changes from the orders container's change feed to
 * the `order-events` Event Grid topic (OrderStatusChanged), and delivers those events, through a queue
 * subscribed to the topic, to an outgoing webhook.
 */
import { databaseFor, defineService, leaseContainerFor, settingNames } from "../shared/manifest";
import { ORDER_EVENTS_TOPIC, ORDER_STATUS_CHANGED } from "../shared/contracts/names";
import ordersManifest, { ORDERS_CONTAINER } from "../orders/service";

export const NOTIFICATIONS_QUEUE = "order-notifications";
/** Deliveries made, by event id: duplicates (change feed replays, Event Grid retries) are skipped. */
export const DELIVERIES_CONTAINER = "deliveries";
export const DELIVERY_RECORD_TTL_SECONDS = 7 * 24 * 60 * 60;
/** Lease container of the change-feed trigger: in notifications' own database, created by IaC. */
export const ORDERS_LEASES = leaseContainerFor("notifications", ORDERS_CONTAINER);
/** The watched container lives in orders' database. */
export const ORDERS_DATABASE = databaseFor(ordersManifest.name);

export default defineService({
  name: "notifications",
  description: "Publishes OrderStatusChanged events from the orders change feed and delivers them to a webhook.",
  entry: "src/index.ts",
  triggers: ["cosmosChangeFeed", "queue"],
  owns: {
    containers: [
      { name: ORDERS_LEASES, partitionKeyPaths: ["/id"] },
      {
        name: DELIVERIES_CONTAINER,
        partitionKeyPaths: ["/id"],
        defaultTtlSeconds: DELIVERY_RECORD_TTL_SECONDS,
      },
    ],
    queues: [{ name: NOTIFICATIONS_QUEUE, description: "OrderStatusChanged events delivered by the topic subscription." }],
    topics: [ORDER_EVENTS_TOPIC],
  },
  uses: {
    containers: [
      {
        service: "orders",
        container: ORDERS_CONTAINER,
        access: "changeFeed",
        // The leases are notifications' state: they live in its own database (data per service).
        leases: { service: "notifications", container: ORDERS_LEASES },
      },
      { service: "notifications", container: ORDERS_LEASES, access: "readWrite" },
      { service: "notifications", container: DELIVERIES_CONTAINER, access: "readWrite" },
    ],
    queues: [{ queue: NOTIFICATIONS_QUEUE, access: "process" }],
    topics: [{ topic: ORDER_EVENTS_TOPIC, access: "publish" }],
    settings: [{ configKey: "webhookUrl", setting: settingNames.notificationWebhookUrl, format: "https-url" }],
  },
  subscriptions: [{ topic: ORDER_EVENTS_TOPIC, queue: NOTIFICATIONS_QUEUE, eventTypes: [ORDER_STATUS_CHANGED] }],
});
