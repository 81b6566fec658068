/**
 * Everything the orders functions need from the outside world, built in one place from app settings.
 * Handlers receive a `() => OrdersDeps` so tests can pass their own (emulators, failing clients).
 */
import { randomUUID } from "node:crypto";
import type { Container } from "@azure/cosmos";
import { cosmosClientFromSettings } from "../../shared/clients/cosmos";
import type { ClientOptions } from "../../shared/clients/credential";
import { type QueueSender, deferredQueueSenders } from "../../shared/clients/deferred-queues";
import { FULFILLMENT_QUEUE, ORDER_STATUS_QUEUE } from "../../shared/contracts/names";
import { databaseFor } from "../../shared/manifest";
import { ContinuationTokens } from "../../shared/continuation";
import { type Settings, databaseSetting } from "../../shared/settings";
import { cosmosSigningKey } from "../../shared/signing-key";
import manifest, { IDEMPOTENCY_CONTAINER, ORDERS_CONTAINER } from "../service";
import { OrdersStore } from "./store";

/** The signing key's item id; no idempotency record id (a SHA-256 hex) can take this form. */
export const CONTINUATION_KEY_ID = "continuation-signing-key";

export interface OrdersDeps {
  readonly store: OrdersStore;
  /** Where OrderCreated / OrderCancelled go (owned by fulfillment); its Storage SDK loads on the first send. */
  readonly fulfillmentQueue: QueueSender;
  /** `order-status-poison`: status reports that can never be applied (its Storage SDK loads on the first dead-letter). */
  readonly statusPoison: QueueSender;
  /** Signs and checks list continuation tokens (key: an item in the idempotency container). */
  readonly continuationTokens: ContinuationTokens;
  readonly clock: () => Date;
  readonly newId: () => string;
}

export interface OrdersDepsOptions extends ClientOptions {
  /** Queue names, overridable so parallel tests do not share queues. @default the manifest's */
  readonly queueNames?: { readonly fulfillment?: string; readonly status?: string };
}

export function ordersContainers(settings: Settings, options: ClientOptions = {}): {
  readonly orders: Container;
  readonly idempotency: Container;
} {
  const database = cosmosClientFromSettings(settings, options).database(
    databaseSetting(settings, databaseFor(manifest.name)),
  );
  return { orders: database.container(ORDERS_CONTAINER), idempotency: database.container(IDEMPOTENCY_CONTAINER) };
}

export function ordersDeps(settings: Settings, options: OrdersDepsOptions = {}): OrdersDeps {
  const { orders, idempotency } = ordersContainers(settings, options);
  // Send-only: a status report's first message (or a GET's) does not load the Storage SDK (shared/clients/deferred-queues.ts).
  const queues = deferredQueueSenders(settings, options);
  const statusQueue = options.queueNames?.status ?? ORDER_STATUS_QUEUE;
  return {
    store: new OrdersStore(orders, idempotency),
    fulfillmentQueue: queues(options.queueNames?.fulfillment ?? FULFILLMENT_QUEUE),
    statusPoison: queues(`${statusQueue}-poison`),
    // The idempotency container is orders' private one and partitioned by /id, as the key item needs.
    continuationTokens: new ContinuationTokens(cosmosSigningKey(idempotency, CONTINUATION_KEY_ID)),
    clock: () => new Date(),
    newId: randomUUID,
  };
}
