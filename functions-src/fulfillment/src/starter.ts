/**
 * The queue-triggered starter (queue `order-fulfillment`): one orchestration per order, whatever the
 * number of deliveries. The instance id is derived from the order id; the instance's status is checked
 * before starting, and host.json's `overridableExistingInstanceStates: NonRunningStates` makes a racing
 * second start fail instead of restarting a running instance.
 */
import type { InvocationContext } from "@azure/functions";
import type { DurableClient } from "durable-functions";
import {
  FULFILLMENT_QUEUE,
  type FulfillmentMessage,
  fulfillmentMessageSchema,
} from "../../shared/contracts/fulfillment";
import * as z from "zod";
import { boundReason, customerIdSchema, orderIdSchema } from "../../shared/contracts/order";
import type { StatusReport } from "../../shared/contracts/order-status";
import { getClient as durableClientOf } from "../../shared/durable-client";
import { describeError } from "../../shared/errors";
import { encodeQueueMessage, queueHandler } from "../../shared/queue";
import type { StarterDeps } from "./starter-deps";
import { CANCEL_EVENT, ORCHESTRATION, instanceIdFor } from "./names";
import type { FulfillmentInput } from "./orchestrator";

/** The durable-client operations the starter needs (a seam for tests; the real one wraps DurableClient). */
export interface StarterClient {
  /** The instance's runtime status, or undefined when no such instance exists. */
  status(instanceId: string): Promise<string | undefined>;
  start(instanceId: string, input: FulfillmentInput): Promise<void>;
  raise(instanceId: string, eventName: string, data: unknown): Promise<void>;
}

const ACTIVE = new Set(["Pending", "Running", "Suspended", "ContinuedAsNew"]);

/** Adapts the durable-functions client: its getStatus throws on "no such instance" (HTTP 404). */
export function durableStarterClient(client: DurableClient): StarterClient {
  return {
    async status(instanceId) {
      try {
        const status = await client.getStatus(instanceId, { showHistory: false, showInput: false });
        return status?.runtimeStatus;
      } catch (error) {
        if (/\b404\b/.test(describeError(error))) return undefined;
        throw error;
      }
    },
    async start(instanceId, input) {
      await client.startNew(ORCHESTRATION, { instanceId, input });
    },
    async raise(instanceId, eventName, data) {
      await client.raiseEvent(instanceId, eventName, data);
    },
  };
}

/**
 * The starter client of an invocation's durable client input. The entry loads this module on the first
 * message, so durable-functions' client (axios, validator) loads then, not on the app's start, and
 * without the library's orchestration runtime (../../shared/durable-client.ts).
 */
export function starterClientOf(context: InvocationContext): StarterClient {
  return durableStarterClient(durableClientOf(context));
}

async function startOnce(
  client: StarterClient,
  instanceId: string,
  input: FulfillmentInput,
  context: InvocationContext,
): Promise<void> {
  try {
    await client.start(instanceId, input);
    context.info(`started ${ORCHESTRATION} ${instanceId} (${input.kind})`);
  } catch (error) {
    // A concurrent delivery may have started it between our check and our start.
    const status = await client.status(instanceId);
    if (status !== undefined) {
      context.info(`${instanceId} was started concurrently (${status}); nothing to do`);
      return;
    }
    throw error;
  }
}

export async function handleFulfillmentMessage(
  client: StarterClient,
  message: FulfillmentMessage,
  context: InvocationContext,
): Promise<void> {
  const orderId = message.type === "OrderCreated" ? message.order.orderId : message.orderId;
  const instanceId = instanceIdFor(orderId);
  const status = await client.status(instanceId);

  if (message.type === "OrderCreated") {
    if (status !== undefined) {
      // A duplicate delivery (or a resend from orders' outbox): the order already has its instance.
      context.info(`${instanceId} already exists (${status}); duplicate ${message.type} ${message.messageId} ignored`);
      return;
    }
    await startOnce(client, instanceId, { kind: "fulfil", order: message.order }, context);
    return;
  }

  if (status === undefined) {
    await startOnce(client, instanceId, { kind: "cancelledBeforeStart", orderId, customerId: message.customerId }, context);
    return;
  }
  if (ACTIVE.has(status)) {
    await client.raise(instanceId, CANCEL_EVENT, { messageId: message.messageId, reason: message.reason ?? null });
    context.info(`cancellation raised on ${instanceId}`);
    return;
  }
  // Its one outcome was (or is being) reported to orders, and that report answers this cancellation.
  context.info(`${instanceId} is already ${status}; cancellation ${message.messageId} is answered by its reported outcome`);
}

/** Enough of an OrderCreated to tell orders which order it was. */
const refusedCreation = z.object({
  type: z.literal("OrderCreated"),
  order: z.object({ orderId: orderIdSchema, customerId: customerIdSchema }),
});

/**
 * An OrderCreated that fulfillment's contract refuses would leave the order `pending` for ever: orders
 * is told it failed (with the contract's reason), then the message is dead-lettered as usual. Not when
 * the order already has an orchestration: then a valid creation came first and its outcome will follow.
 */
export async function reportRefusedCreation(
  deps: Pick<StarterDeps, "statusQueue">,
  client: Pick<StarterClient, "status">,
  decoded: unknown,
  reason: string,
  context: InvocationContext,
  now: Date = new Date(),
): Promise<void> {
  const parsed = refusedCreation.safeParse(decoded);
  if (!parsed.success) return; // not attributable to an order: the dead-letter is all there is
  const { orderId, customerId } = parsed.data.order;
  if ((await client.status(instanceIdFor(orderId))) !== undefined) return;
  const report: StatusReport = {
    type: "FulfillmentStatusReported",
    messageId: `${orderId}:failed`,
    orderId,
    customerId,
    status: "failed",
    reason: boundReason(`fulfillment could not accept the order: ${reason}`),
    occurredAt: now.toISOString(),
  };
  await deps.statusQueue.sendMessage(encodeQueueMessage(report));
  context.warn(`order ${orderId}: creation refused by the contract; reported "failed" to orders`);
}

export function starterHandler(
  getDeps: () => StarterDeps | Promise<StarterDeps>,
  getClient: (context: InvocationContext) => StarterClient,
  queue: string = FULFILLMENT_QUEUE,
): (raw: unknown, context: InvocationContext) => Promise<void> {
  return async (raw, context) => {
    const deps = await getDeps();
    return queueHandler({
      queue,
      schema: fulfillmentMessageSchema,
      poison: deps.poison,
      handle: (message, ctx) => handleFulfillmentMessage(getClient(ctx), message, ctx),
      onRefused: (decoded, reason, ctx) => reportRefusedCreation(deps, getClient(ctx), decoded, reason, ctx),
    })(raw, context);
  };
}
