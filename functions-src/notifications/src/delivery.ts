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
import { PermanentError } from "../../shared/errors";
import { queueHandler } from "../../shared/queue";
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

/** Delivers each event once; invalid events fail the message (after the valid ones went out). */
export async function deliverEvents(
  deps: DeliveryDeps,
  events: readonly IncomingEvent[],
  context: InvocationContext,
): Promise<{ readonly delivered: number; readonly duplicates: number }> {
  let delivered = 0;
  let duplicates = 0;
  const problems: string[] = [];
  for (const event of events) {
    let notification: Notification;
    try {
      notification = toNotification(event);
    } catch (error) {
      if (!(error instanceof PermanentError)) throw error;
      problems.push(error.message);
      continue;
    }
    if (await deps.deliveries.delivered(notification.id)) {
      duplicates++;
      context.info(`event ${notification.id} already delivered; skipped`);
      continue;
    }
    const status = await deps.webhook.deliver(notification);
    await deps.deliveries.record(notification.id, status, deps.clock());
    delivered++;
  }
  if (problems.length > 0) throw new PermanentError(problems.join("; "));
  return { delivered, duplicates };
}

export function deliveryHandler(
  getDeps: () => DeliveryDeps,
  queue: string = NOTIFICATIONS_QUEUE,
): (raw: unknown, context: InvocationContext) => Promise<void> {
  return async (raw, context) => {
    const deps = getDeps();
    return queueHandler({
      queue,
      schema: deliveryMessageSchema,
      poison: deps.poison,
      handle: async (events, ctx) => {
        await deliverEvents(deps, events, ctx);
      },
    })(raw, context);
  };
}
