/**
 * The order vocabulary the services share on the wire (queue messages, events). The orders service
 * owns the order itself; these are the parts of it that it publishes, so they live here once.
 *
 * Message schemas are tolerant readers (unknown fields are ignored) so a producer can add fields
 * without breaking a consumer; the HTTP API, in contrast, is strict (see orders' schemas).
 */
import * as z from "zod";

export const ORDER_STATUSES = ["pending", "reserved", "paid", "shipped", "cancelled", "failed"] as const;
export const orderStatusSchema = z.enum(ORDER_STATUSES);
export type OrderStatus = z.infer<typeof orderStatusSchema>;

/** Statuses after which nothing changes any more. */
export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(["shipped", "cancelled", "failed"]);

/** Customer ids end up in Cosmos ids and URLs: a conservative alphabet, no `/`, `\`, `?`, `#`. */
export const customerIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "1-64 letters, digits, '_' or '-', starting with a letter or digit");

export const orderIdSchema = z.uuid();

export const skuSchema = z.string().regex(/^[A-Z0-9][A-Z0-9-]{1,31}$/, "2-32 upper-case letters, digits or '-'");

export const currencySchema = z.string().regex(/^[A-Z]{3}$/, "an ISO 4217 code such as EUR");

export const orderLineSchema = z.object({
  sku: skuSchema,
  quantity: z.number().int().min(1).max(1000),
  /** Unit price in minor units (cents): integers avoid floating-point money. */
  unitPriceMinor: z.number().int().min(0).max(100_000_000),
});
export type OrderLine = z.infer<typeof orderLineSchema>;

export const shippingAddressSchema = z.object({
  name: z.string().min(1).max(200),
  line1: z.string().min(1).max(200),
  line2: z.string().max(200).optional(),
  city: z.string().min(1).max(100),
  postalCode: z.string().min(1).max(20),
  /** ISO 3166-1 alpha-2. */
  country: z.string().regex(/^[A-Z]{2}$/, "an ISO 3166-1 alpha-2 code such as NL"),
});
export type ShippingAddress = z.infer<typeof shippingAddressSchema>;
