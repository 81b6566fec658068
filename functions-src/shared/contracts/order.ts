/**
 * The order vocabulary the services share on the wire (queue messages, events). The orders service
 * owns the order itself; these are the parts of it that it publishes, so they live here once.
 *
 * Message schemas are tolerant readers (unknown fields are ignored) so a producer can add fields
 * without breaking a consumer; the HTTP API, in contrast, is strict (see orders' schemas).
 */
import * as z from "zod";

/** The transitions between these statuses are written down in order-lifecycle.ts. */
export const ORDER_STATUSES = ["pending", "reserved", "paid", "cancelling", "shipped", "cancelled", "failed"] as const;
export const orderStatusSchema = z.enum(ORDER_STATUSES);
export type OrderStatus = z.infer<typeof orderStatusSchema>;

/** Defined with the lifecycle; re-exported here for callers of the order vocabulary. */
export { TERMINAL_STATUSES } from "./order-lifecycle";

/** The longest free-text reason a message carries (a status reason, a cancellation reason). */
export const REASON_MAX_LENGTH = 500;

/**
 * Bounds a free-text reason to {@link REASON_MAX_LENGTH} characters, marking the cut with "…" and
 * never splitting a surrogate pair. Producers bound what they send; consumers bound what they accept,
 * so no outcome is ever lost to the length of a text that only explains it.
 */
export function boundReason(text: string, max: number = REASON_MAX_LENGTH): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--; // a high surrogate whose pair would be cut off
  return `${text.slice(0, end)}…`;
}

/** A free-text reason in a message: accepted at any length, truncated (tolerant reader). */
export const reasonSchema = z.string().transform((text) => boundReason(text));

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

/**
 * One line per SKU. Duplicate SKU lines are refused rather than merged: two lines for one SKU may
 * carry different prices, and a merge would change what the customer sent; the caller merges.
 * Used by orders' API and by the orders→fulfillment contract, so both ends apply the same rule.
 */
export function refuseDuplicateSkus<T extends readonly { readonly sku: string }[]>(lines: T, ctx: z.RefinementCtx<T>): void {
  const seen = new Set<string>();
  lines.forEach((line, index) => {
    if (seen.has(line.sku)) {
      ctx.addIssue({ code: "custom", path: [index, "sku"], message: `duplicate sku ${line.sku}: merge the lines` });
    }
    seen.add(line.sku);
  });
}

/** The total of an order's lines, in minor units: what fulfillment charges. */
export function linesTotalMinor(lines: readonly Pick<OrderLine, "quantity" | "unitPriceMinor">[]): number {
  return lines.reduce((sum, line) => sum + line.quantity * line.unitPriceMinor, 0);
}

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
