/**
 * What the queue-triggered starter needs: orders' status queue and its own poison queue, built from
 * settings. Apart from ./deps.ts (the activities' Cosmos DB stores and payment client), as
 * notifications' publisher-deps is: an order's first message does not load the Cosmos DB SDK, and a
 * missing setting only the activities read does not stop the starter.
 */
import type { QueueClient } from "@azure/storage-queue";
import type { ClientOptions } from "../../shared/clients/credential";
import { queueServiceClientFromSettings } from "../../shared/clients/queues";
import { FULFILLMENT_QUEUE } from "../../shared/contracts/fulfillment-queue";
import { ORDER_STATUS_QUEUE } from "../../shared/contracts/order-status";
import type { Settings } from "../../shared/settings";

export interface StarterDeps {
  /** Orders' status queue: progress reports go there (orders applies them). */
  readonly statusQueue: QueueClient;
  /** `order-fulfillment-poison`: messages that can never be processed. */
  readonly poison: QueueClient;
}

export interface StarterDepsOptions extends ClientOptions {
  /** Queue names, overridable so parallel tests do not share queues. @default the contracts' */
  readonly queueNames?: { readonly inbound?: string; readonly status?: string };
}

export function starterDeps(settings: Settings, options: StarterDepsOptions = {}): StarterDeps {
  const queues = queueServiceClientFromSettings(settings, options);
  return {
    statusQueue: queues.getQueueClient(options.queueNames?.status ?? ORDER_STATUS_QUEUE),
    poison: queues.getQueueClient(`${options.queueNames?.inbound ?? FULFILLMENT_QUEUE}-poison`),
  };
}
