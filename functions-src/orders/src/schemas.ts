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
  shippingAddressSchema,
} from "../../shared/contracts/order";

export const MAX_ITEMS_PER_ORDER = 50;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;

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
      .superRefine((items, ctx) => {
        const seen = new Set<string>();
        items.forEach((item, index) => {
          if (seen.has(item.sku)) {
            ctx.addIssue({ code: "custom", path: [index, "sku"], message: `duplicate sku ${item.sku}: merge the lines` });
          }
          seen.add(item.sku);
        });
      }),
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

export const orderPageSchema = z
  .object({
    items: z.array(orderViewSchema),
    continuationToken: z
      .string()
      .nullable()
      .meta({ description: "Pass as `continuationToken` to get the next page; null on the last page." }),
  })
  .meta({ id: "OrderPage" });

export const healthSchema = z
  .object({ status: z.literal("ok"), service: z.string(), time: z.iso.datetime({ offset: true }) })
  .meta({ id: "Health" });

export const customerParamsSchema = z.object({ customerId: customerIdSchema });
export const orderParamsSchema = z.object({ customerId: customerIdSchema, orderId: orderIdSchema });

export const listQuerySchema = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .default(DEFAULT_PAGE_SIZE)
    .meta({ description: `Page size, 1-${MAX_PAGE_SIZE}.` }),
  continuationToken: z.string().min(1).max(4096).optional().meta({ description: "From the previous page." }),
});

/** Idempotency keys: opaque to us, printable ASCII, at most 255 characters (as commonly specified). */
export const idempotencyKeySchema = z
  .string()
  .regex(/^[\x21-\x7e]{1,255}$/, "1-255 printable ASCII characters")
  .meta({ description: "Makes retries safe: the same key and body return the original order." });

export const problemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    invocationId: z.string().optional(),
    errors: z.array(z.object({ pointer: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details." });
