/**
 * The orders service: the HTTP API for orders, the only writer of order data. It announces created and
 * cancelled orders to fulfillment through a transactional outbox in the order document (see
 * src/outbox.ts), and applies the status fulfillment reports on its own queue (src/status-updates.ts).
 */
import { defineService } from "../shared/manifest";
import { FULFILLMENT_QUEUE, ORDER_STATUS_QUEUE } from "../shared/contracts/names";

/** Container ids; renaming one creates a new, empty container in every environment. */
export const ORDERS_CONTAINER = "orders";
export const IDEMPOTENCY_CONTAINER = "idempotency-keys";
/** How long an Idempotency-Key is remembered (the retry window callers can rely on). */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export default defineService({
  name: "orders",
  description: "Orders API: create, read, list and cancel orders; owns order data.",
  entry: "src/index.ts",
  triggers: ["http", "queue", "timer"],
  owns: {
    containers: [
      {
        name: ORDERS_CONTAINER,
        partitionKeyPaths: ["/customerId"],
        // Only filters and sorts are indexed: the relay's `outboxPending` and the list's `createdAt`.
        excludedIndexPaths: ['/"_etag"/?', "/items/*", "/shippingAddress/*", "/statusHistory/*", "/outbox/*"],
      },
      {
        name: IDEMPOTENCY_CONTAINER,
        partitionKeyPaths: ["/id"],
        defaultTtlSeconds: IDEMPOTENCY_TTL_SECONDS,
      },
    ],
    queues: [
      {
        name: ORDER_STATUS_QUEUE,
        description: "FulfillmentStatusReported messages from fulfillment (reserved, paid, shipped, failed).",
      },
    ],
  },
  uses: {
    queues: [
      { queue: FULFILLMENT_QUEUE, access: "send" },
      { queue: ORDER_STATUS_QUEUE, access: "process" },
    ],
    containers: [
      { service: "orders", container: ORDERS_CONTAINER, access: "readWrite" },
      { service: "orders", container: IDEMPOTENCY_CONTAINER, access: "readWrite" },
    ],
  },
  http: {
    path: "orders",
    version: "v1",
    displayName: "Orders",
    routePrefix: "api",
    roles: [
      { value: "Orders.Read", description: "Read a customer's orders." },
      { value: "Orders.Write", description: "Create and cancel orders." },
      {
        value: "Orders.Support",
        description: "Support and back office: act for any customer (with Orders.Read / Orders.Write); without it, only the caller's own orders.",
      },
    ],
    healthPath: "/health",
    openapi: "src/openapi.ts",
  },
});
