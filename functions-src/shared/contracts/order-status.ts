/**
 * The contract of the orders service's status queue: fulfillment reports progress, orders applies it to
 * the order it owns (fulfillment never writes orders' data: see orders/src/status-updates.ts).
 */
import * as z from "zod";
import { FULFILLMENT_OUTCOMES, FULFILLMENT_PROGRESS } from "./order-lifecycle";
import { customerIdSchema, orderIdSchema, reasonSchema } from "./order";

export { ORDER_STATUS_QUEUE } from "./names";

/** What fulfillment can report: its progress and its one outcome (see order-lifecycle.ts). */
export const REPORTED_STATUSES = [...FULFILLMENT_PROGRESS, ...FULFILLMENT_OUTCOMES] as const;

export const statusReportSchema = z.object({
  type: z.literal("FulfillmentStatusReported"),
  /** Deterministic per (order, status): a redelivered report carries the same id. */
  messageId: z.string().min(1).max(200),
  orderId: orderIdSchema,
  customerId: customerIdSchema,
  status: z.enum(REPORTED_STATUSES),
  /** Free text: truncated, never refused (a long reason must not lose the outcome it explains). */
  reason: reasonSchema.optional(),
  occurredAt: z.iso.datetime({ offset: true }),
});
export type StatusReport = z.infer<typeof statusReportSchema>;
