/**
 * The fulfillment service: one durable orchestration per order (reserve stock, take payment through the
 * existing payment back end, ship; compensate on failure). It owns stock and shipment data and its
 * inbound queue; it reports progress to orders' status queue instead of writing orders' data.
 */
import { defineService } from "../shared/manifest";
import { FULFILLMENT_QUEUE, ORDER_STATUS_QUEUE } from "../shared/contracts/names";

export const STOCK_CONTAINER = "stock";
export const SHIPMENTS_CONTAINER = "shipments";
/** The existing (non-serverless) payment back end, by its name in the stack's `backends` config. */
export const PAYMENT_BACKEND = "payment";

export default defineService({
  name: "fulfillment",
  description: "Fulfils orders with a durable orchestration: stock, payment (existing back end), shipping.",
  entry: "src/index.ts",
  triggers: ["queue", "durable"],
  owns: {
    containers: [
      // Per-SKU stock with the reservations held against it (one item per SKU: ETag-guarded updates).
      { name: STOCK_CONTAINER, partitionKeyPaths: ["/sku"], excludedIndexPaths: ['/"_etag"/?', "/reservations/*"] },
      { name: SHIPMENTS_CONTAINER, partitionKeyPaths: ["/orderId"], excludedIndexPaths: ['/"_etag"/?', "/items/*", "/address/*"] },
    ],
    queues: [
      {
        name: FULFILLMENT_QUEUE,
        description: "OrderCreated / OrderCancelled from orders; starts or cancels an order's orchestration.",
      },
    ],
  },
  uses: {
    queues: [
      { queue: FULFILLMENT_QUEUE, access: "process" },
      { queue: ORDER_STATUS_QUEUE, access: "send" },
    ],
    containers: [
      { service: "fulfillment", container: STOCK_CONTAINER, access: "readWrite" },
      { service: "fulfillment", container: SHIPMENTS_CONTAINER, access: "readWrite" },
    ],
    backends: [PAYMENT_BACKEND],
  },
});
