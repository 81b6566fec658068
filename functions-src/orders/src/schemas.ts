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
import { statusReasonCodeSchema } from "../../shared/reasons";
import { pageSchema, pagingQuerySchema, safeText } from "../../shared/schemas";

export const MAX_ITEMS_PER_ORDER = 50;

/** The app role that lets a caller act for any customer (support, back office); see handlers.ts. */
export const ANY_CUSTOMER_ROLE = "Orders.Support";

export const orderLineInputSchema = z
  .strictObject(orderLineSchema.shape)
  .meta({ id: "OrderLine", description: "One product line; unitPriceMinor is in minor units (cents)." });

const address = shippingAddressSchema.shape;
/** The address as a client sends it: every text field single-line, visible and well-formed. */
export const shippingAddressInputSchema = z
  .strictObject({
    ...address,
    name: safeText(address.name),
    line1: safeText(address.line1),
    line2: safeText(address.line2.unwrap()).optional(),
    city: safeText(address.city),
    postalCode: safeText(address.postalCode),
  })
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
  .strictObject({ reason: safeText(z.string().min(1).max(500), { multiline: true }).optional() })
  .meta({ id: "CancelOrderRequest" });

export const statusChangeSchema = z
  .object({ status: orderStatusSchema, at: z.iso.datetime({ offset: true }), reason: statusReasonCodeSchema.optional() })
  .meta({ id: "StatusChange" });

export const orderViewSchema = z
  .object({
    id: orderIdSchema,
    customerId: customerIdSchema,
    status: orderStatusSchema,
    statusReason: statusReasonCodeSchema.optional(),
    statusMessage: z.string().optional().meta({ description: "A message for the customer that goes with statusReason." }),
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
