/**
 * The fulfillment app's Durable names (functions, event, instance ids), apart from the code behind them:
 * the entry registers every function by name at start, and the orchestrator, activities and their
 * schemas load on first use; the starter addresses instances without loading the orchestrator.
 */

/** Orchestrator function name: part of every instance's history, never rename it. */
export const ORCHESTRATION = "fulfillOrder";
/** External event raised by the starter when orders announces a cancellation. */
export const CANCEL_EVENT = "CancelRequested";

/** One orchestration instance per order: its id is derived from the order's. */
export function instanceIdFor(orderId: string): string {
  return `order-${orderId}`;
}

/** Activity function names: part of every running instance's history, so never rename one. */
export const ACTIVITIES = {
  reserveStock: "reserveStock",
  releaseStock: "releaseStock",
  takePayment: "takePayment",
  refundPayment: "refundPayment",
  shipOrder: "shipOrder",
  blockShipment: "blockShipment",
  reportStatus: "reportStatus",
} as const;
export type ActivityName = (typeof ACTIVITIES)[keyof typeof ACTIVITIES];
