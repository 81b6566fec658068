/**
 * The contract of the orders service's status queue: fulfillment reports progress, orders applies it to
 * the order it owns (fulfillment never writes orders' data: see orders/src/status-updates.ts).
 */
import * as z from "zod";
import { customerIdSchema, orderIdSchema } from "./order";

/** Owned by orders; fulfillment has "send" access. */
export const ORDER_STATUS_QUEUE = "order-status";

/** What fulfillment can report; "pending" and "cancelled" are decided by orders alone. */
export const REPORTED_STATUSES = ["reserved", "paid", "shipped", "failed"] as const;

export const statusReportSchema = z.object({
  type: z.literal("FulfillmentStatusReported"),
  /** Deterministic per (order, status): a redelivered report carries the same id. */
  messageId: z.string().min(1).max(200),
  orderId: orderIdSchema,
  customerId: customerIdSchema,
  status: z.enum(REPORTED_STATUSES),
  reason: z.string().max(500).optional(),
  occurredAt: z.iso.datetime({ offset: true }),
});
export type StatusReport = z.infer<typeof statusReportSchema>;
