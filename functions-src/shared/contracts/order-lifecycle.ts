/**
 * The order lifecycle, written down once. Orders applies it to the order it owns (the customer's cancel
 * request, fulfillment's reports); fulfillment uses the same module to decide what it owes when it stops
 * an order (refund, release) and which outcome it reports. Tests check it exhaustively and by property
 * (test/functions-src/order-lifecycle*.test.ts).
 *
 * Who decides what:
 * - The customer (through orders' API) may only *request* a cancellation. Orders cannot decide it: its
 *   view of fulfillment's progress lags (reports travel on a queue), so an order orders believes
 *   "reserved" may already be paid for, or even shipped. A request moves the order to `cancelling`.
 * - Fulfillment decides every outcome, because only it knows what has physically happened. The point of
 *   no return is the shipment record: the ship step and a cancellation both try to create the order's
 *   item in the shipments container, and Cosmos DB lets exactly one create win (see stock.ts). If the
 *   cancellation wins, fulfillment refunds any charge and releases the stock *before* it reports
 *   `cancelled`; if the shipment wins, it reports `shipped` and the cancellation is refused on the order.
 * - A cancellation after payment therefore triggers refund and release (it is not refused with 409):
 *   orders cannot see payment reliably, so a 409 at "paid" would only cover the cases it happens to
 *   know about, and fulfillment has to refund a cancellation that overtook its payment anyway. One rule
 *   holds everywhere instead: a cancellation wins until the shipment exists. Orders refuses (409) only
 *   what can no longer change: `shipped`, `cancelled`, `failed`, or a cancellation already requested.
 *
 * Guarantees (checked by the property-based suite): charged ⇒ shipped or refunded; cancelled ⇒ not
 * shipped; stock reserved ⇒ released or shipped; each fulfillment outcome is applied exactly once; a
 * report is applied, recorded on the order, or dead-lettered with a reason, never dropped.
 */
import type { OrderStatus } from "./order";

/** What can happen to an order after it is created. */
export const LIFECYCLE_EVENTS = ["cancelRequested", "reserved", "paid", "shipped", "cancelled", "failed"] as const;
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

/** Who causes an event: the customer (orders' API, support acting for them) or fulfillment (its reports). */
export type Actor = "customer" | "fulfillment";
export const EVENT_ACTOR: Readonly<Record<LifecycleEvent, Actor>> = {
  cancelRequested: "customer",
  reserved: "fulfillment",
  paid: "fulfillment",
  shipped: "fulfillment",
  cancelled: "fulfillment",
  failed: "fulfillment",
};

/** The final outcomes fulfillment reports: exactly one per order. */
export const FULFILLMENT_OUTCOMES = ["shipped", "cancelled", "failed"] as const;
export type FulfillmentOutcomeStatus = (typeof FULFILLMENT_OUTCOMES)[number];
/** Progress fulfillment reports on the way (informational: the outcome follows). */
export const FULFILLMENT_PROGRESS = ["reserved", "paid"] as const;

/** Statuses after which nothing changes any more. */
export const TERMINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(["shipped", "cancelled", "failed"]);

/** What stopping an order obliges fulfillment to undo, in this order (reverse of the steps). */
export type Obligation = "refundPayment" | "releaseStock";

export interface Rule {
  /** `move`: the status changes; `record`: kept on the order, status unchanged; `refuse`: contradicts the lifecycle. */
  readonly kind: "move" | "record" | "refuse";
  readonly to?: OrderStatus;
  /** Why, in words that can be shown to an operator (and, for a refused cancellation, to the caller). */
  readonly why: string;
  /** What the transition obliges fulfillment to have done (or to do) for the order. */
  readonly obliges?: readonly Obligation[];
}

const move = (to: OrderStatus, why: string, obliges?: readonly Obligation[]): Rule => ({
  kind: "move",
  to,
  why,
  ...(obliges ? { obliges } : {}),
});
const record = (why: string): Rule => ({ kind: "record", why });
const refuse = (why: string): Rule => ({ kind: "refuse", why });

/** Refunding a charge that never happened is a no-op; releasing unreserved stock too. */
const UNDO_ALL: readonly Obligation[] = ["refundPayment", "releaseStock"];

const duplicate = record("duplicate report: the order already has this status");
const lateProgress = (status: OrderStatus): Rule => record(`late progress report: the order is already ${status}`);
const secondOutcome = (status: OrderStatus): Rule =>
  refuse(`fulfillment already reported the outcome "${status}"; a second, different outcome contradicts it`);
const cancelTooLate = (status: OrderStatus): Rule => refuse(`an order that is ${status} can no longer be cancelled`);

/**
 * The whole machine: every status × every event. The type makes it exhaustive, so adding a status or
 * an event does not compile until each of its pairs has been decided here.
 */
export const ORDER_LIFECYCLE: Readonly<Record<OrderStatus, Readonly<Record<LifecycleEvent, Rule>>>> = {
  pending: {
    cancelRequested: move("cancelling", "cancellation requested before fulfillment reported progress", UNDO_ALL),
    reserved: move("reserved", "stock reserved"),
    // The "reserved" report may be late or lost: progress is taken as it comes.
    paid: move("paid", "payment taken"),
    shipped: move("shipped", "shipped"),
    cancelled: refuse("fulfillment reported a cancellation nobody requested"),
    failed: move("failed", "fulfillment failed; it released what it had reserved and refunded what it had charged", UNDO_ALL),
  },
  reserved: {
    cancelRequested: move("cancelling", "cancellation requested; fulfillment releases the stock", UNDO_ALL),
    reserved: duplicate,
    paid: move("paid", "payment taken"),
    shipped: move("shipped", "shipped"),
    cancelled: refuse("fulfillment reported a cancellation nobody requested"),
    failed: move("failed", "fulfillment failed; it released what it had reserved and refunded what it had charged", UNDO_ALL),
  },
  paid: {
    cancelRequested: move("cancelling", "cancellation requested after payment; fulfillment refunds and releases", UNDO_ALL),
    reserved: lateProgress("paid"),
    paid: duplicate,
    shipped: move("shipped", "shipped"),
    cancelled: refuse("fulfillment reported a cancellation nobody requested"),
    failed: move("failed", "fulfillment failed; it released what it had reserved and refunded what it had charged", UNDO_ALL),
  },
  cancelling: {
    cancelRequested: refuse("a cancellation has already been requested; its outcome follows"),
    // Progress made before fulfillment heard of the cancellation: the refund and release cover it.
    reserved: record("progress made before the cancellation reached fulfillment"),
    paid: record("payment taken before the cancellation reached fulfillment; it will be refunded"),
    shipped: move("shipped", "cancellation refused: the order had already shipped when it reached fulfillment"),
    cancelled: move("cancelled", "cancelled; fulfillment refunded any payment and released the stock", UNDO_ALL),
    failed: move("failed", "fulfillment failed; it released what it had reserved and refunded what it had charged", UNDO_ALL),
  },
  shipped: {
    cancelRequested: cancelTooLate("shipped"),
    reserved: lateProgress("shipped"),
    paid: lateProgress("shipped"),
    shipped: duplicate,
    cancelled: secondOutcome("shipped"),
    failed: secondOutcome("shipped"),
  },
  cancelled: {
    cancelRequested: cancelTooLate("cancelled"),
    reserved: lateProgress("cancelled"),
    paid: lateProgress("cancelled"),
    shipped: secondOutcome("cancelled"),
    cancelled: duplicate,
    failed: secondOutcome("cancelled"),
  },
  failed: {
    cancelRequested: cancelTooLate("failed"),
    reserved: lateProgress("failed"),
    paid: lateProgress("failed"),
    shipped: secondOutcome("failed"),
    cancelled: secondOutcome("failed"),
    failed: duplicate,
  },
};

export function decide(status: OrderStatus, event: LifecycleEvent): Rule {
  return ORDER_LIFECYCLE[status][event];
}

/** Statuses in which a customer's cancellation request is accepted (derived from the table). */
export const CANCELLABLE_STATUSES: ReadonlySet<OrderStatus> = new Set(
  (Object.keys(ORDER_LIFECYCLE) as OrderStatus[]).filter((s) => ORDER_LIFECYCLE[s].cancelRequested.kind === "move"),
);

/** What fulfillment has done for an order so far. */
export interface FulfillmentProgress {
  readonly reserved: boolean;
  /** "unknown" after a timeout or exhausted retries: refund by order (a no-op if never charged). */
  readonly charged: "no" | "yes" | "unknown";
  readonly shipped: boolean;
}

/**
 * What fulfillment must undo before it may report `cancelled` or `failed`: the obligations the table
 * attaches to those outcomes, narrowed to what actually happened. A shipped order has nothing to undo
 * (and is never cancelled or failed).
 */
export function obligationsFor(progress: FulfillmentProgress): readonly Obligation[] {
  if (progress.shipped) return [];
  return UNDO_ALL.filter((o) => (o === "refundPayment" ? progress.charged !== "no" : progress.reserved));
}
