/**
 * The contract of the fulfillment service's inbound queue: orders sends these, fulfillment consumes.
 * The queue name lives here (not in orders' code) so the owner's manifest and the sender agree.
 */
import * as z from "zod";
import {
  currencySchema,
  customerIdSchema,
  linesTotalMinor,
  orderIdSchema,
  orderLineSchema,
  reasonSchema,
  refuseDuplicateSkus,
  shippingAddressSchema,
} from "./order";

export { FULFILLMENT_QUEUE } from "./names";

const envelope = {
  /** Unique per message (the sender's outbox entry id): logs and dedup correlate on it. */
  messageId: z.string().min(1).max(128),
  occurredAt: z.iso.datetime({ offset: true }),
};

/** An order's lines as fulfillment handles them: one line per SKU (stock is reserved per SKU). */
export const fulfillmentLinesSchema = z.array(orderLineSchema).min(1).max(100).superRefine(refuseDuplicateSkus);

/**
 * What fulfillment fulfils. Orders validates each message with this schema before sending it (the
 * outbox) and fulfillment validates it on receipt (the starter): one schema, both ends.
 */
export const fulfillmentOrderSchema = z
  .object({
    orderId: orderIdSchema,
    customerId: customerIdSchema,
    items: fulfillmentLinesSchema,
    currency: currencySchema,
    totalMinor: z.number().int().min(0),
    shippingAddress: shippingAddressSchema,
  })
  .superRefine((order, ctx) => {
    const expected = linesTotalMinor(order.items);
    if (order.totalMinor !== expected) {
      ctx.addIssue({
        code: "custom",
        path: ["totalMinor"],
        message: `totalMinor ${order.totalMinor} does not match the lines (${expected}): the charge must equal the goods`,
      });
    }
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
  reason: reasonSchema.optional(),
});

export const fulfillmentMessageSchema = z.discriminatedUnion("type", [
  orderCreatedMessageSchema,
  orderCancelledMessageSchema,
]);
export type FulfillmentMessage = z.infer<typeof fulfillmentMessageSchema>;
export type OrderCreatedMessage = z.infer<typeof orderCreatedMessageSchema>;
export type OrderCancelledMessage = z.infer<typeof orderCancelledMessageSchema>;
