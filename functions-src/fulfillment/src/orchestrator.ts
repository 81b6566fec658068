/**
 * The fulfillment orchestration (one instance per order, id `order-<orderId>`):
 *
 *   reserve stock → report "reserved" → take payment (raced against a durable timer) → report "paid"
 *   → ship → report the outcome
 *
 * Each activity runs with a retry policy (exponential backoff) for transient failures. When a later step
 * fails (after its retries), times out, or the order is cancelled, what the lifecycle obliges
 * (shared/contracts/order-lifecycle.ts: refund, then release stock) is done *before* the outcome is
 * reported. A cancellation that arrives while shipping is arbitrated in the shipments container (see
 * stock.ts): either the shipment exists and the order ships (the cancellation is refused, and orders is
 * told so), or it never will and the order is refunded, released and reported cancelled.
 *
 * Every instance reports exactly one outcome (`shipped`, `cancelled` or `failed`) to orders; if that
 * report cannot be sent after its retries, the instance fails so an operator sees it, instead of the
 * outcome vanishing. Progress reports ("reserved", "paid") are informational. If a compensation itself
 * fails, the instance fails too: an operator must look.
 *
 * Orchestrator code must be deterministic (it is replayed): time comes from `currentUtcDateTime`, no I/O
 * happens here, and logs are written only when not replaying. Changing this code changes the replay of
 * running instances: deploy changes to it with no instance in flight, or as a new orchestration name.
 */
import * as df from "durable-functions";
import type { OrchestrationContext, Task } from "durable-functions";
import * as z from "zod";
import { fulfillmentOrderSchema } from "../../shared/contracts/fulfillment";
import { boundReason, customerIdSchema, orderIdSchema } from "../../shared/contracts/order";
import { type FulfillmentOutcomeStatus, type FulfillmentProgress, obligationsFor } from "../../shared/contracts/order-lifecycle";
import { describeError } from "../../shared/errors";
import { type ReportInput } from "./activities";
import { ACTIVITIES, CANCEL_EVENT } from "./names";

export { CANCEL_EVENT, ORCHESTRATION, instanceIdFor } from "./names";
/** How long the payment step may take, retries included, before the order is failed and compensated. */
export const PAYMENT_TIMEOUT_MS = 5 * 60_000;

export const fulfillmentInputSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("fulfil"), order: fulfillmentOrderSchema }),
  // Started when a cancellation arrives before the order's creation message (queues do not keep
  // order): the instance then exists, so the late OrderCreated starts nothing.
  z.object({ kind: z.literal("cancelledBeforeStart"), orderId: orderIdSchema, customerId: customerIdSchema }),
]);
export type FulfillmentInput = z.infer<typeof fulfillmentInputSchema>;

export type FulfillmentOutcome =
  | { readonly status: "shipped"; readonly trackingNumber: string }
  | { readonly status: "failed"; readonly reason: string; readonly compensated: readonly string[] }
  | { readonly status: "cancelled"; readonly compensated: readonly string[] };

/** Retry policy for business activities: 2 s, 4 s, 8 s, 16 s between 5 attempts (capped at 1 min). */
export function activityRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(2_000, 5);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 60_000;
  return retry;
}

/** Compensations must not give up easily: more attempts, same backoff. */
export function compensationRetry(): df.RetryOptions {
  const retry = new df.RetryOptions(5_000, 10);
  retry.backoffCoefficient = 2;
  retry.maxRetryIntervalInMilliseconds = 5 * 60_000;
  return retry;
}

const reserveResult = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true) }),
  z.object({ ok: z.literal(false), reason: z.string(), sku: z.string() }),
]);
const chargeResult = z.discriminatedUnion("ok", [
  z.object({ ok: z.literal(true), paymentId: z.string() }),
  z.object({ ok: z.literal(false), reason: z.string(), detail: z.string() }),
]);
const shipResult = z.union([
  z.object({ shipped: z.literal(false), reason: z.string() }),
  z.object({ shipped: z.literal(true).optional(), trackingNumber: z.string() }),
]);
const blockResult = z.discriminatedUnion("blocked", [
  z.object({ blocked: z.literal(true) }),
  z.object({ blocked: z.literal(false), trackingNumber: z.string() }),
]);
const refundResult = z.object({ refunded: z.boolean() });

/** What has been done so far, before shipping (a shipped order is never compensated). */
type Progress = Omit<FulfillmentProgress, "shipped">;

type Step = Generator<Task, unknown, unknown>;

export function* fulfillOrder(context: OrchestrationContext): Generator<Task, FulfillmentOutcome, unknown> {
  const input = fulfillmentInputSchema.parse(context.df.getInput());
  const ctx = context.df;
  const ids =
    input.kind === "fulfil"
      ? { orderId: input.order.orderId, customerId: input.order.customerId }
      : { orderId: input.orderId, customerId: input.customerId };
  const log = (message: string): void => {
    if (!ctx.isReplaying) context.info(`order ${ids.orderId}: ${message}`);
  };
  const call = (name: string, payload: unknown, retry: df.RetryOptions = activityRetry()): Task =>
    ctx.callActivityWithRetry(name, retry, payload);
  const reportPayload = (status: ReportInput["status"], reason: string | undefined): ReportInput => ({
    ...ids,
    status,
    // Bounded here, at the producer, so the report always fits orders' contract.
    ...(reason ? { reason: boundReason(reason) } : {}),
    occurredAt: ctx.currentUtcDateTime.toISOString(),
  });

  /** Progress is informational: fulfilment must not stop because orders' queue is down. */
  function* reportProgress(status: "reserved" | "paid"): Step {
    try {
      yield call(ACTIVITIES.reportStatus, reportPayload(status, undefined), compensationRetry());
    } catch (error) {
      log(`could not report "${status}": ${describeError(error)}`);
    }
    return undefined;
  }

  /** The outcome must reach orders: if it cannot be sent, the instance fails (visible, restartable). */
  function* reportOutcome(status: FulfillmentOutcomeStatus, reason?: string): Step {
    try {
      yield call(ACTIVITIES.reportStatus, reportPayload(status, reason), compensationRetry());
    } catch (error) {
      throw new Error(`order ${ids.orderId}: the outcome "${status}" could not be reported to orders: ${describeError(error)}`, {
        cause: error,
      });
    }
    return undefined;
  }

  if (input.kind === "cancelledBeforeStart") {
    // Nothing was reserved or charged: the cancellation needs only its answer.
    yield* reportOutcome("cancelled");
    return { status: "cancelled", compensated: [] };
  }

  const { order } = input;
  const lines = { orderId: order.orderId, items: order.items };
  // Tracked from the first race on; its isCompleted then reflects a cancellation received so far.
  const cancel = ctx.waitForExternalEvent(CANCEL_EVENT);

  function* compensate(progress: Progress, reason: string): Generator<Task, string[], unknown> {
    const undone: string[] = [];
    ctx.setCustomStatus({ stage: "compensating", reason });
    for (const obligation of obligationsFor({ ...progress, shipped: false })) {
      if (obligation === "refundPayment") {
        const refund = refundResult.parse(
          yield call(
            ACTIVITIES.refundPayment,
            { orderId: order.orderId, amountMinor: order.totalMinor, currency: order.currency, reason: boundReason(reason) },
            compensationRetry(),
          ),
        );
        undone.push(refund.refunded ? "payment refunded" : "no payment to refund");
      } else {
        yield call(ACTIVITIES.releaseStock, lines, compensationRetry());
        undone.push("stock released");
      }
    }
    return undone;
  }

  function* fail(reason: string, progress: Progress): Generator<Task, FulfillmentOutcome, unknown> {
    log(`failing: ${reason}`);
    let compensated: string[];
    try {
      compensated = yield* compensate(progress, reason);
    } catch (error) {
      try {
        yield* reportOutcome("failed", `${reason}; compensation incomplete, manual action required`);
      } catch {
        // The instance fails below either way; the compensation error is the one to show.
      }
      throw new Error(`order ${order.orderId}: compensation failed after "${boundReason(reason)}": ${describeError(error)}`, {
        cause: error,
      });
    }
    yield* reportOutcome("failed", reason);
    ctx.setCustomStatus({ stage: "failed", reason: boundReason(reason) });
    return { status: "failed", reason, compensated };
  }

  function* cancelled(progress: Progress): Generator<Task, FulfillmentOutcome, unknown> {
    log("cancelled by the customer; compensating");
    const compensated = yield* compensate(progress, "order cancelled");
    yield* reportOutcome("cancelled");
    ctx.setCustomStatus({ stage: "cancelled" });
    return { status: "cancelled", compensated };
  }

  function* shipped(trackingNumber: string): Generator<Task, FulfillmentOutcome, unknown> {
    // A cancellation that lost the race is answered on the order, not dropped.
    yield* reportOutcome("shipped", cancel.isCompleted ? "cancellation refused: the order had already shipped" : undefined);
    ctx.setCustomStatus({ stage: "shipped", trackingNumber });
    log(`shipped (${trackingNumber})`);
    return { status: "shipped", trackingNumber };
  }

  // 1. Reserve stock. Raced with the cancellation only to start tracking it: the reservation is always
  //    awaited (it may happen anyway), then undone if the order was cancelled meanwhile.
  ctx.setCustomStatus({ stage: "reserving" });
  const reserveTask = call(ACTIVITIES.reserveStock, lines);
  yield ctx.Task.any([reserveTask, cancel]);
  let reservation: z.infer<typeof reserveResult>;
  try {
    reservation = reserveResult.parse(yield reserveTask);
  } catch (error) {
    // Retries exhausted: part of the order may be reserved; releasing is a no-op for the rest.
    return yield* fail(`stock reservation failed: ${describeError(error)}`, { reserved: true, charged: "no" });
  }
  if (!reservation.ok) {
    if (cancel.isCompleted) return yield* cancelled({ reserved: false, charged: "no" });
    return yield* fail(`${reservation.reason === "unknown-sku" ? "unknown SKU" : "out of stock"}: ${reservation.sku}`, {
      reserved: false,
      charged: "no",
    });
  }
  if (cancel.isCompleted) return yield* cancelled({ reserved: true, charged: "no" });
  yield* reportProgress("reserved");

  // 2. Take payment through the existing back end, bounded by a durable timer.
  ctx.setCustomStatus({ stage: "paying" });
  const timeout = ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + PAYMENT_TIMEOUT_MS));
  const chargeTask = call(ACTIVITIES.takePayment, {
    orderId: order.orderId,
    customerId: order.customerId,
    amountMinor: order.totalMinor,
    currency: order.currency,
  });
  // Raced with the cancellation too: a payment back end that does not answer must not hold a
  // cancellation for the whole timeout. The charge is then "unknown", so compensation refunds it (the
  // back end refuses a late charge for an order it has refunded: payment.ts).
  const first = yield ctx.Task.any([chargeTask, timeout, cancel]);
  if (first === cancel) {
    timeout.cancel();
    return yield* cancelled({ reserved: true, charged: "unknown" });
  }
  if (first === timeout) {
    if (cancel.isCompleted) return yield* cancelled({ reserved: true, charged: "unknown" });
    return yield* fail(`payment timed out after ${PAYMENT_TIMEOUT_MS / 1000} s`, { reserved: true, charged: "unknown" });
  }
  timeout.cancel();
  if (chargeTask.isFaulted) {
    if (cancel.isCompleted) return yield* cancelled({ reserved: true, charged: "unknown" });
    return yield* fail(`payment failed: ${describeError(chargeTask.result)}`, { reserved: true, charged: "unknown" });
  }
  const payment = chargeResult.parse(chargeTask.result);
  if (!payment.ok) {
    if (cancel.isCompleted) return yield* cancelled({ reserved: true, charged: "no" });
    return yield* fail(`payment ${payment.reason}: ${payment.detail}`, { reserved: true, charged: "no" });
  }
  if (cancel.isCompleted) return yield* cancelled({ reserved: true, charged: "yes" });
  yield* reportProgress("paid");
  if (cancel.isCompleted) return yield* cancelled({ reserved: true, charged: "yes" });

  // 3. Ship. A cancellation arriving meanwhile races the shipment for the order's shipments item; the
  //    ship attempt is always awaited, and its answer (shipped, or not because cancelled) is the truth.
  ctx.setCustomStatus({ stage: "shipping" });
  const paid: Progress = { reserved: true, charged: "yes" };
  const shipTask = call(ACTIVITIES.shipOrder, { ...lines, shippingAddress: order.shippingAddress });
  yield ctx.Task.any([shipTask, cancel]);
  if (!shipTask.isCompleted && !shipTask.isFaulted) {
    // The cancellation came first: make sure no shipment can be recorded from now on, unless it already is.
    try {
      blockResult.parse(yield call(ACTIVITIES.blockShipment, { orderId: order.orderId }, compensationRetry()));
    } catch (error) {
      // Then the ship step's own answer decides (shipped: the cancellation is refused on the order).
      log(`could not block the shipment for the cancellation: ${describeError(error)}`);
    }
  }
  let shipment: z.infer<typeof shipResult>;
  try {
    shipment = shipResult.parse(yield shipTask);
  } catch (error) {
    // Retries exhausted. The shipment may exist (recorded, then a later step failed): settle it first.
    const block = blockResult.parse(yield call(ACTIVITIES.blockShipment, { orderId: order.orderId }, compensationRetry()));
    if (!block.blocked) return yield* shipped(block.trackingNumber);
    if (cancel.isCompleted) return yield* cancelled(paid);
    return yield* fail(`shipping failed: ${describeError(error)}`, paid);
  }
  if (shipment.shipped === false) return yield* cancelled(paid);
  return yield* shipped(shipment.trackingNumber);
}
