/**
 * The orchestration's activities: each does one side effect, is safe to run twice (the durable runtime
 * delivers at least once) and reports business outcomes as values, throwing only for failures worth
 * retrying (the orchestration's retry policy then applies).
 */
import type { InvocationContext } from "@azure/functions";
import * as z from "zod";
import { fulfillmentLinesSchema } from "../../shared/contracts/fulfillment";
import { currencySchema, customerIdSchema, orderIdSchema, reasonSchema, shippingAddressSchema } from "../../shared/contracts/order";
import { REPORTED_STATUSES, type StatusReport } from "../../shared/contracts/order-status";
import { encodeQueueMessage } from "../../shared/queue";
import type { FulfillmentDeps } from "./deps";
import type { ChargeResult, RefundResult } from "./payment";
import type { BlockResult, ReserveResult, ShipResult } from "./stock";
import type { ActivityName } from "./names";

export { ACTIVITIES, type ActivityName } from "./names";

const linesInput = z.object({ orderId: orderIdSchema, items: fulfillmentLinesSchema });
export const chargeInput = z.object({
  orderId: orderIdSchema,
  customerId: customerIdSchema,
  amountMinor: z.number().int().min(0),
  currency: currencySchema,
});
export const refundInput = chargeInput.omit({ customerId: true }).extend({ reason: z.string() });
export const shipInput = linesInput.extend({ shippingAddress: shippingAddressSchema });
export const reportInput = z.object({
  orderId: orderIdSchema,
  customerId: customerIdSchema,
  status: z.enum(REPORTED_STATUSES),
  /** Truncated, never refused: an activity input that fails validation would lose the report. */
  reason: reasonSchema.optional(),
  occurredAt: z.iso.datetime({ offset: true }),
});
export type ReportInput = z.input<typeof reportInput>;
const orderRef = z.object({ orderId: orderIdSchema });

export type ActivityHandlers = Readonly<Record<ActivityName, (input: unknown, context: InvocationContext) => Promise<unknown>>>;

export function fulfillmentActivities(getDeps: () => FulfillmentDeps | Promise<FulfillmentDeps>): ActivityHandlers {
  return {
    reserveStock: async (input, context): Promise<ReserveResult> => {
      const { orderId, items } = linesInput.parse(input);
      const result = await (await getDeps()).stock.reserve(orderId, items);
      context.info(`order ${orderId}: stock ${result.ok ? "reserved" : `not reserved (${result.reason} ${result.sku})`}`);
      return result;
    },
    releaseStock: async (input, context): Promise<{ released: true }> => {
      const { orderId, items } = linesInput.parse(input);
      await (await getDeps()).stock.release(orderId, items);
      context.info(`order ${orderId}: stock released`);
      return { released: true };
    },
    takePayment: async (input, context): Promise<ChargeResult> => {
      const request = chargeInput.parse(input);
      const result = await (await getDeps()).payments.charge(request);
      context.info(`order ${request.orderId}: payment ${result.ok ? `taken (${result.paymentId})` : result.reason}`);
      return result;
    },
    refundPayment: async (input, context): Promise<RefundResult> => {
      const request = refundInput.parse(input);
      const result = await (await getDeps()).payments.refund(request);
      context.info(`order ${request.orderId}: ${result.refunded ? `refunded (${result.refundId})` : "nothing to refund"}`);
      return result;
    },
    shipOrder: async (input, context): Promise<ShipResult> => {
      const { orderId, items, shippingAddress } = shipInput.parse(input);
      const deps = await getDeps();
      const shipment = await deps.shipments.ship(orderId, items, shippingAddress);
      if (!shipment.shipped) {
        context.info(`order ${orderId}: not shipped, a cancellation got there first`);
        return shipment;
      }
      await deps.stock.commit(orderId, items);
      context.info(`order ${orderId}: shipped (${shipment.trackingNumber})`);
      return shipment;
    },
    blockShipment: async (input, context): Promise<BlockResult> => {
      const { orderId } = orderRef.parse(input);
      const result = await (await getDeps()).shipments.blockShipment(orderId);
      context.info(`order ${orderId}: ${result.blocked ? "shipment blocked by the cancellation" : "already shipped; cancellation too late"}`);
      return result;
    },
    reportStatus: async (input): Promise<{ sent: true }> => {
      const report = reportInput.parse(input);
      const message: StatusReport = {
        type: "FulfillmentStatusReported",
        // Deterministic: a rerun of this activity sends a message orders recognises as the same.
        messageId: `${report.orderId}:${report.status}`,
        ...report,
      };
      await (await getDeps()).statusQueue.sendMessage(encodeQueueMessage(message));
      return { sent: true };
    },
  };
}
