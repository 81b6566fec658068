/**
 * The fulfillment orchestration (one instance per order, id `order-<orderId>`):
 *
 *   reserve stock → report "reserved" → take payment (raced against a durable timer) → report "paid"
 *   → ship → report "shipped"
 *
 * Each activity runs with a retry policy (exponential backoff) for transient failures. When a later step
 * fails (after its retries), times out, or the order is cancelled, the completed steps are compensated in
 * reverse order (refund, then release stock) and "failed" is reported (a cancellation is not reported:
 * orders decided it). If a compensation itself fails, the instance fails: an operator must look.
 *
 * Orchestrator code must be deterministic (it is replayed): time comes from `currentUtcDateTime`, no I/O
 * happens here, and logs are written only when not replaying.
 */
import * as df from "durable-functions";
import type { OrchestrationContext, Task } from "durable-functions";
import * as z from "zod";
import { fulfillmentOrderSchema } from "../../shared/contracts/fulfillment";
import { customerIdSchema, orderIdSchema } from "../../shared/contracts/order";
import { describeError } from "../../shared/errors";
import { ACTIVITIES, type ReportInput } from "./activities";

/** Orchestrator function name: part of every instance's history, never rename it. */
export const ORCHESTRATION = "fulfillOrder";
/** External event raised by the starter when orders announces a cancellation. */
export const CANCEL_EVENT = "CancelRequested";
/** How long the payment step may take, retries included, before the order is failed and compensated. */
export const PAYMENT_TIMEOUT_MS = 5 * 60_000;

export function instanceIdFor(orderId: string): string {
  return `order-${orderId}`;
}

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
const shipmentResult = z.object({ trackingNumber: z.string() });
const refundResult = z.object({ refunded: z.boolean() });

/** What has been done so far, i.e. what compensation must undo. */
interface Progress {
  readonly reserved: boolean;
  /** "unknown" after a timeout or exhausted retries: refund by order (a no-op if never charged). */
  readonly charged: "no" | "yes" | "unknown";
}

type Step = Generator<Task, unknown, unknown>;

export function* fulfillOrder(context: OrchestrationContext): Generator<Task, FulfillmentOutcome, unknown> {
  const input = fulfillmentInputSchema.parse(context.df.getInput());
  if (input.kind === "cancelledBeforeStart") {
    return { status: "cancelled", compensated: [] };
  }
  const { order } = input;
  const ctx = context.df;
  const log = (message: string): void => {
    if (!ctx.isReplaying) context.info(`order ${order.orderId}: ${message}`);
  };
  const call = (name: string, payload: unknown, retry: df.RetryOptions = activityRetry()): Task =>
    ctx.callActivityWithRetry(name, retry, payload);
  const lines = { orderId: order.orderId, items: order.items };
  // Tracked from the first race on; its isCompleted then reflects a cancellation received so far.
  const cancel = ctx.waitForExternalEvent(CANCEL_EVENT);

  function* report(status: ReportInput["status"], reason?: string): Step {
    const payload: ReportInput = {
      orderId: order.orderId,
      customerId: order.customerId,
      status,
      ...(reason ? { reason } : {}),
      occurredAt: ctx.currentUtcDateTime.toISOString(),
    };
    try {
      yield call(ACTIVITIES.reportStatus, payload, compensationRetry());
    } catch (error) {
      // Reporting is informational: the order's fulfilment must not stop because orders' queue is down.
      log(`could not report "${status}": ${describeError(error)}`);
    }
    return undefined;
  }

  function* compensate(progress: Progress, reason: string): Generator<Task, string[], unknown> {
    const undone: string[] = [];
    ctx.setCustomStatus({ stage: "compensating", reason });
    if (progress.charged !== "no") {
      const refund = refundResult.parse(
        yield call(
          ACTIVITIES.refundPayment,
          { orderId: order.orderId, amountMinor: order.totalMinor, currency: order.currency, reason },
          compensationRetry(),
        ),
      );
      undone.push(refund.refunded ? "payment refunded" : "no payment to refund");
    }
    if (progress.reserved) {
      yield call(ACTIVITIES.releaseStock, lines, compensationRetry());
      undone.push("stock released");
    }
    return undone;
  }

  function* fail(reason: string, progress: Progress): Generator<Task, FulfillmentOutcome, unknown> {
    log(`failing: ${reason}`);
    let compensated: string[];
    try {
      compensated = yield* compensate(progress, reason);
    } catch (error) {
      yield* report("failed", `${reason}; compensation incomplete, manual action required`);
      throw new Error(`order ${order.orderId}: compensation failed after "${reason}": ${describeError(error)}`, {
        cause: error,
      });
    }
    yield* report("failed", reason);
    ctx.setCustomStatus({ stage: "failed", reason });
    return { status: "failed", reason, compensated };
  }

  function* cancelled(progress: Progress): Generator<Task, FulfillmentOutcome, unknown> {
    log("cancelled by the customer; compensating");
    const compensated = yield* compensate(progress, "order cancelled");
    ctx.setCustomStatus({ stage: "cancelled" });
    return { status: "cancelled", compensated };
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
    return yield* fail(`${reservation.reason === "unknown-sku" ? "unknown SKU" : "out of stock"}: ${reservation.sku}`, {
      reserved: false,
      charged: "no",
    });
  }
  if (cancel.isCompleted) return yield* cancelled({ reserved: true, charged: "no" });
  yield* report("reserved");

  // 2. Take payment through the existing back end, bounded by a durable timer.
  ctx.setCustomStatus({ stage: "paying" });
  const timeout = ctx.createTimer(new Date(ctx.currentUtcDateTime.getTime() + PAYMENT_TIMEOUT_MS));
  const chargeTask = call(ACTIVITIES.takePayment, {
    orderId: order.orderId,
    customerId: order.customerId,
    amountMinor: order.totalMinor,
    currency: order.currency,
  });
  const first = yield ctx.Task.any([chargeTask, timeout]);
  if (first === timeout) {
    return yield* fail(`payment timed out after ${PAYMENT_TIMEOUT_MS / 1000} s`, { reserved: true, charged: "unknown" });
  }
  timeout.cancel();
  if (chargeTask.isFaulted) {
    return yield* fail(`payment failed: ${describeError(chargeTask.result)}`, { reserved: true, charged: "unknown" });
  }
  const payment = chargeResult.parse(chargeTask.result);
  if (!payment.ok) {
    return yield* fail(`payment ${payment.reason}: ${payment.detail}`, { reserved: true, charged: "no" });
  }
  if (cancel.isCompleted) return yield* cancelled({ reserved: true, charged: "yes" });
  yield* report("paid");

  // 3. Ship. From here on a cancellation is too late (orders refuses to cancel a paid order).
  ctx.setCustomStatus({ stage: "shipping" });
  let trackingNumber: string;
  try {
    trackingNumber = shipmentResult.parse(yield call(ACTIVITIES.shipOrder, { ...lines, shippingAddress: order.shippingAddress }))
      .trackingNumber;
  } catch (error) {
    return yield* fail(`shipping failed: ${describeError(error)}`, { reserved: true, charged: "yes" });
  }
  yield* report("shipped");
  ctx.setCustomStatus({ stage: "shipped", trackingNumber });
  log(`shipped (${trackingNumber})`);
  return { status: "shipped", trackingNumber };
}
