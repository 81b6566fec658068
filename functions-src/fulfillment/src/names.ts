/**
 * The fulfillment app's Durable function names, apart from the code behind them: the entry registers
 * every function by name at start, and the orchestrator, activities and their schemas load on first use.
 */

/** Orchestrator function name: part of every instance's history, never rename it. */
export const ORCHESTRATION = "fulfillOrder";

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
