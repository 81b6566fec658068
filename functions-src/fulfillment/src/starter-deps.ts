/**
 * What the queue-triggered starter needs: orders' status queue and its own poison queue, built from
 * settings (senders whose Storage SDK loads on the first send: a valid message sends to neither). Apart from ./deps.ts (the activities' Cosmos DB stores and payment client), as
 * notifications' publisher-deps is: an order's first message does not load the Cosmos DB SDK, and a
 * missing setting only the activities read does not stop the starter.
 */
import type { ClientOptions } from "../../shared/clients/credential";
import { type QueueSender, deferredQueueSenders } from "../../shared/clients/deferred-queues";
import { FULFILLMENT_QUEUE, ORDER_STATUS_QUEUE } from "../../shared/contracts/names";
import type { Settings } from "../../shared/settings";

export interface StarterDeps {
  /** Orders' status queue: progress reports go there (orders applies them). */
  readonly statusQueue: QueueSender;
  /** `order-fulfillment-poison`: messages that can never be processed. */
  readonly poison: QueueSender;
}

export interface StarterDepsOptions extends ClientOptions {
  /** Queue names, overridable so parallel tests do not share queues. @default the contracts' */
  readonly queueNames?: { readonly inbound?: string; readonly status?: string };
}

export function starterDeps(settings: Settings, options: StarterDepsOptions = {}): StarterDeps {
  const queue = deferredQueueSenders(settings, options);
  return {
    statusQueue: queue(options.queueNames?.status ?? ORDER_STATUS_QUEUE),
    poison: queue(`${options.queueNames?.inbound ?? FULFILLMENT_QUEUE}-poison`),
  };
}
