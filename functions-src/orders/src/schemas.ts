/**
 * The orders API's request and response schemas, defined once: the handlers validate with them and
 * `openapi.ts` generates the API description from them (the `id` in `.meta` names the component).
 *
 * Requests are strict: an unknown field is an error (a typo such as `quantiy` must not be ignored).
 */
import * as z from "zod";
import {
  currencySchema,
  customerIdSchema,
  orderIdSchema,
  orderLineSchema,
  orderStatusSchema,
  refuseDuplicateSkus,
  shippingAddressSchema,
} from "../../shared/contracts/order";
import { pageSchema, pagingQuerySchema } from "../../shared/schemas";

export const MAX_ITEMS_PER_ORDER = 50;

export const orderLineInputSchema = z
  .strictObject(orderLineSchema.shape)
  .meta({ id: "OrderLine", description: "One product line; unitPriceMinor is in minor units (cents)." });

export const shippingAddressInputSchema = z
  .strictObject(shippingAddressSchema.shape)
  .meta({ id: "ShippingAddress" });

export const createOrderRequestSchema = z
  .strictObject({
    customerId: customerIdSchema.meta({ example: "cust-42" }),
    currency: currencySchema.meta({ example: "EUR" }),
    items: z
      .array(orderLineInputSchema)
      .min(1)
      .max(MAX_ITEMS_PER_ORDER)
      // The same rule as the orders→fulfillment contract (one line per SKU).
      .superRefine(refuseDuplicateSkus),
    shippingAddress: shippingAddressInputSchema,
  })
  .meta({ id: "CreateOrderRequest" });
export type CreateOrderRequest = z.infer<typeof createOrderRequestSchema>;

export const cancelOrderRequestSchema = z
  .strictObject({ reason: z.string().min(1).max(500).optional() })
  .meta({ id: "CancelOrderRequest" });

export const statusChangeSchema = z
  .object({ status: orderStatusSchema, at: z.iso.datetime({ offset: true }), reason: z.string().optional() })
  .meta({ id: "StatusChange" });

export const orderViewSchema = z
  .object({
    id: orderIdSchema,
    customerId: customerIdSchema,
    status: orderStatusSchema,
    statusReason: z.string().optional(),
    items: z.array(orderLineSchema),
    currency: currencySchema,
    totalMinor: z.number().int(),
    shippingAddress: shippingAddressSchema,
    createdAt: z.iso.datetime({ offset: true }),
    updatedAt: z.iso.datetime({ offset: true }),
    statusHistory: z.array(statusChangeSchema),
  })
  .meta({ id: "Order" });
export type OrderView = z.infer<typeof orderViewSchema>;

export const orderPageSchema = pageSchema(orderViewSchema, "OrderPage");

export const customerParamsSchema = z.object({ customerId: customerIdSchema });
export const orderParamsSchema = z.object({ customerId: customerIdSchema, orderId: orderIdSchema });

export const listQuerySchema = pagingQuerySchema({ maxContinuationTokenLength: 4096 });

/** Idempotency keys: opaque to us, printable ASCII, at most 255 characters (as commonly specified). */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, "1-255 printable ASCII characters")
  .meta({ description: "Makes retries safe: the same key and body return the original order." });
