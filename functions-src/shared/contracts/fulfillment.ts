/**
 * The contract of the fulfillment service's inbound queue: orders sends these, fulfillment consumes.
 * The queue name lives here (not in orders' code) so the owner's manifest and the sender agree.
 */
import * as z from "zod";
import { currencySchema, customerIdSchema, orderIdSchema, orderLineSchema, shippingAddressSchema } from "./order";

/** Owned by fulfillment; orders has "send" access. */
export const FULFILLMENT_QUEUE = "order-fulfillment";

const envelope = {
  /** Unique per message (the sender's outbox entry id): logs and dedup correlate on it. */
  messageId: z.string().min(1).max(128),
  occurredAt: z.iso.datetime({ offset: true }),
};

export const fulfillmentOrderSchema = z.object({
  orderId: orderIdSchema,
  customerId: customerIdSchema,
  items: z.array(orderLineSchema).min(1).max(100),
  currency: currencySchema,
  totalMinor: z.number().int().min(0),
  shippingAddress: shippingAddressSchema,
});
export type FulfillmentOrder = z.infer<typeof fulfillmentOrderSchema>;

export const orderCreatedMessageSchema = z.object({
  type: z.literal("OrderCreated"),
  ...envelope,
  order: fulfillmentOrderSchema,
});

export const orderCancelledMessageSchema = z.object({
  type: z.literal("OrderCancelled"),
  ...envelope,
  orderId: orderIdSchema,
  customerId: customerIdSchema,
  reason: z.string().max(500).optional(),
});

export const fulfillmentMessageSchema = z.discriminatedUnion("type", [
  orderCreatedMessageSchema,
  orderCancelledMessageSchema,
]);
export type FulfillmentMessage = z.infer<typeof fulfillmentMessageSchema>;
export type OrderCreatedMessage = z.infer<typeof orderCreatedMessageSchema>;
export type OrderCancelledMessage = z.infer<typeof orderCancelledMessageSchema>;
