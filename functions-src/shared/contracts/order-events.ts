/**
 * Events on the `order-events` Event Grid topic (EventGrid schema). Published by notifications from the
 * orders container's change feed; any service may subscribe a queue it owns.
 */
import * as z from "zod";
import { customerIdSchema, orderIdSchema, orderStatusSchema } from "./order";

export { ORDER_EVENTS_TOPIC, ORDER_STATUS_CHANGED } from "./names";
/**
 * 1.1 (additive): `status` and `previousStatus` may be `cancelling`, a cancellation the customer
 * requested and fulfillment has yet to answer (see order-lifecycle.ts).
 */
export const ORDER_STATUS_CHANGED_DATA_VERSION = "1.1";

export const orderStatusChangedDataSchema = z.object({
  orderId: orderIdSchema,
  customerId: customerIdSchema,
  status: orderStatusSchema,
  previousStatus: orderStatusSchema.optional(),
  /** Increases by one per status change: `(orderId, statusVersion)` identifies a change. */
  statusVersion: z.number().int().min(1),
  reason: z.string().optional(),
  changedAt: z.iso.datetime({ offset: true }),
});
export type OrderStatusChangedData = z.infer<typeof orderStatusChangedDataSchema>;

/** The event id for a change: deterministic, so republishing the same change yields the same id. */
export function orderStatusChangedEventId(orderId: string, statusVersion: number): string {
  return `${orderId}:v${statusVersion}`;
}
