/**
 * Change feed of orders' container → `OrderStatusChanged` events on the `order-events` topic.
 *
 * The change feed (latest-version mode) hands over each changed order at least once, possibly several
 * times for one status (any write to the order, e.g. its outbox bookkeeping, is a change) and possibly
 * coalescing quick successive changes. So each document yields one event for its *current* status, with
 * the deterministic id `<orderId>:v<statusVersion>`: republishing the same status gives the same id,
 * which the delivery side uses to drop duplicates.
 *
 * A publish failure is thrown: the trigger's retry policy (index.ts) retries the batch and the lease
 * does not move past undelivered changes. A document that is not an order is logged and skipped: it
 * can never become publishable by retrying.
 */
import type { InvocationContext } from "@azure/functions";
import type { SendCloudEventInput } from "@azure/eventgrid";
import * as z from "zod";
import { customerIdSchema, orderIdSchema, orderStatusSchema } from "../../shared/contracts/order";
import {
  ORDER_STATUS_CHANGED,
  ORDER_STATUS_CHANGED_DATA_VERSION,
  type OrderStatusChangedData,
  orderStatusChangedEventId,
} from "../../shared/contracts/order-events";
import { publicReason } from "../../shared/reasons";
import { eventSource } from "../../shared/event-schema";
import type { PublisherDeps } from "./publisher-deps";

/** The fields of an orders document the relay reads (a tolerant reader: the rest is orders' business). */
const orderChangeSchema = z.object({
  id: orderIdSchema,
  customerId: customerIdSchema,
  status: orderStatusSchema,
  statusVersion: z.number().int().min(1),
  statusChangedAt: z.iso.datetime({ offset: true }),
  previousStatus: orderStatusSchema.optional(),
  statusReason: z.string().optional(),
});

/** Event Grid accepts up to 1 MB per publish; our events are < 1 KB. */
const PUBLISH_BATCH = 200;

/** A CloudEvents 1.0 event: the topic's input schema (shared/event-schema.ts). */
export function toEvent(doc: z.infer<typeof orderChangeSchema>): SendCloudEventInput<OrderStatusChangedData> {
  const reason = publicReason(doc.status, doc.statusReason);
  const data: OrderStatusChangedData = {
    orderId: doc.id,
    customerId: doc.customerId,
    status: doc.status,
    ...(doc.previousStatus ? { previousStatus: doc.previousStatus } : {}),
    statusVersion: doc.statusVersion,
    // A catalogue code only: internal reason text never leaves in an event (shared/reasons.ts).
    ...(reason ? { reason: reason.code } : {}),
    changedAt: doc.statusChangedAt,
  };
  return {
    id: orderStatusChangedEventId(doc.id, doc.statusVersion),
    type: ORDER_STATUS_CHANGED,
    source: eventSource("orders"),
    subject: `/customers/${doc.customerId}/orders/${doc.id}`,
    time: new Date(doc.statusChangedAt),
    datacontenttype: "application/json",
    // CloudEvents has no data version attribute: it travels as an extension attribute (lowercase alphanumerics).
    extensionAttributes: { dataversion: ORDER_STATUS_CHANGED_DATA_VERSION },
    data,
  };
}

export async function publishStatusChanges(
  deps: PublisherDeps,
  documents: readonly unknown[],
  context: InvocationContext,
): Promise<{ readonly published: number; readonly skipped: number }> {
  const events = new Map<string, SendCloudEventInput<OrderStatusChangedData>>();
  let skipped = 0;
  for (const document of documents) {
    const parsed = orderChangeSchema.safeParse(document);
    if (!parsed.success) {
      skipped++;
      const id = typeof document === "object" && document !== null ? (document as { id?: unknown }).id : undefined;
      context.error(`change feed: document ${String(id)} is not a publishable order; skipped`, {
        issues: parsed.error.issues.slice(0, 3).map((i) => `${i.path.join(".")}: ${i.message}`),
      });
      continue;
    }
    const event = toEvent(parsed.data);
    events.set(event.id ?? "", event);
  }
  const batch = [...events.values()];
  for (let start = 0; start < batch.length; start += PUBLISH_BATCH) {
    await deps.publisher.send(batch.slice(start, start + PUBLISH_BATCH));
  }
  if (batch.length > 0 || skipped > 0) {
    context.info(`change feed: ${batch.length} OrderStatusChanged event(s) published, ${skipped} document(s) skipped`);
  }
  return { published: batch.length, skipped };
}
