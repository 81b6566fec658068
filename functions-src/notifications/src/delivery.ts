/**
 * Delivers OrderStatusChanged events from the `order-notifications` queue (fed by the topic's
 * subscription) to the webhook.
 *
 * Event Grid's storage-queue delivery is documented loosely: a message may be base64 or plain, and hold
 * one event or an array; either EventGrid or CloudEvents schema. All are accepted (shared/queue.ts
 * decodes, the schema below takes both shapes).
 */
import type { InvocationContext } from "@azure/functions";
import * as z from "zod";
import { ORDER_STATUS_CHANGED, orderStatusChangedDataSchema } from "../../shared/contracts/order-events";
import { PermanentError, TransientError, describeError } from "../../shared/errors";
import { deadLetter, decodeQueuePayload, queueHandler } from "../../shared/queue";
import type { DeliveryDeps } from "./deps";
import { NOTIFICATIONS_QUEUE } from "../service";
import type { Notification } from "./webhook";

const eventGridEvent = z
  .object({
    id: z.string().min(1),
    eventType: z.string(),
    subject: z.string(),
    eventTime: z.string(),
    data: z.unknown(),
  })
  .transform((e) => ({ id: e.id, type: e.eventType, subject: e.subject, time: e.eventTime, data: e.data }));

const cloudEvent = z
  .object({
    id: z.string().min(1),
    type: z.string(),
    source: z.string(),
    subject: z.string().optional(),
    time: z.string().optional(),
    specversion: z.string(),
    data: z.unknown(),
  })
  .transform((e) => ({ id: e.id, type: e.type, subject: e.subject ?? e.source, time: e.time ?? "", data: e.data }));

const anyEvent = z.union([eventGridEvent, cloudEvent]);
export const deliveryMessageSchema = z.union([anyEvent.transform((e) => [e]), z.array(anyEvent).min(1)]);
type IncomingEvent = z.output<typeof anyEvent>;

function toNotification(event: IncomingEvent): Notification {
  if (event.type !== ORDER_STATUS_CHANGED) {
    throw new PermanentError(`unexpected event type ${event.type} (the subscription should only deliver ${ORDER_STATUS_CHANGED})`);
  }
  const data = orderStatusChangedDataSchema.safeParse(event.data);
  if (!data.success) {
    throw new PermanentError(`event ${event.id} carries invalid OrderStatusChanged data: ${data.error.issues[0]?.message ?? ""}`);
  }
  return { id: event.id, type: event.type, subject: event.subject, occurredAt: event.time || data.data.changedAt, data: data.data };
}

export interface DeliveryReport {
  readonly delivered: number;
  readonly duplicates: number;
  /** Refused events, each dead-lettered on its own with its reason. */
  readonly refused: number;
}

/**
 * Delivers each event of a message once. Events are independent: a refused event (invalid, or refused
 * by the receiver) is dead-lettered on its own and the others still go out; a transient failure on one
 * event does not stop the others either, and is rethrown at the end so the host retries the message
 * (events already delivered or refused are then skipped by the delivery log).
 */
export async function deliverEvents(
  deps: DeliveryDeps,
  events: readonly IncomingEvent[],
  context: InvocationContext,
  queue: string = NOTIFICATIONS_QUEUE,
  /** What to dead-letter for event i (the event as received); @default the parsed events */
  originals: readonly unknown[] = events,
): Promise<DeliveryReport> {
  let delivered = 0;
  let duplicates = 0;
  let refused = 0;
  let transient: unknown;
  for (const [index, event] of events.entries()) {
    try {
      const outcome = await deliverOne(deps, event, context);
      if (outcome === "delivered") delivered++;
      else duplicates++;
    } catch (error) {
      if (error instanceof PermanentError) {
        refused++;
        await deadLetter(originals[index] ?? event, error.message, { queue, poison: deps.poison }, context, error);
        continue;
      }
      context.warn(`event ${event.id}: delivery failed, will be retried`, { error: describeError(error) });
      transient ??= error;
    }
  }
  if (transient !== undefined) throw transient;
  return { delivered, duplicates, refused };
}

async function deliverOne(deps: DeliveryDeps, event: IncomingEvent, context: InvocationContext): Promise<"delivered" | "duplicate"> {
  // Claimed before validation, so an invalid event is settled as refused once, not re-poisoned by the
  // retry of a message whose other events failed transiently.
  const claim = await deps.deliveries.claim(event.id, deps.clock());
  if (claim.kind === "done") {
    context.info(`event ${event.id} already ${claim.state}; skipped`);
    return "duplicate";
  }
  if (claim.kind === "busy") {
    // Another delivery of this event is posting right now: never post twice; look again later.
    throw new TransientError(`event ${event.id} is being delivered concurrently (claimed until ${claim.until})`);
  }
  let status: number;
  try {
    status = await deps.webhook.deliver(toNotification(event));
  } catch (error) {
    if (error instanceof PermanentError) {
      await deps.deliveries.settle(event.id, { refused: error.message }, deps.clock());
    } else {
      // Let the retry post again without waiting for the claim to lapse.
      await deps.deliveries.settle(event.id, "release", deps.clock()).catch(() => undefined);
    }
    throw error;
  }
  await deps.deliveries.settle(event.id, { delivered: status }, deps.clock());
  return "delivered";
}

export function deliveryHandler(
  getDeps: () => DeliveryDeps | Promise<DeliveryDeps>,
  queue: string = NOTIFICATIONS_QUEUE,
): (raw: unknown, context: InvocationContext) => Promise<void> {
  return async (raw, context) => {
    const deps = await getDeps();
    return queueHandler({
      queue,
      schema: deliveryMessageSchema,
      poison: deps.poison,
      handle: async (events, ctx) => {
        // Dead-letter refused events as they came: the raw message when it held one event, else its element.
        const decoded = decodeQueuePayload(raw);
        const originals = events.length === 1 ? [raw] : Array.isArray(decoded) ? decoded : events;
        await deliverEvents(deps, events, ctx, queue, originals);
      },
    })(raw, context);
  };
}
