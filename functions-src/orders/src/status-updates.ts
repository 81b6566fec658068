/**
 * Applies fulfillment's status reports to orders (queue `order-status`, owned by orders).
 *
 * Why a queue and not fulfillment writing the order: data per service. Orders is the only writer of
 * its container, so the status rules (forward-only, terminal states, cancellation wins) live in one
 * place next to the ETags and the outbox, the change feed sees one writer, and fulfillment needs no
 * data-plane role on orders' database. The price is eventual consistency of a few seconds.
 *
 * Each report is applied by the lifecycle table (shared/contracts/order-lifecycle.ts): it moves the
 * order, or is recorded on it (a late or superseded report), or, if it contradicts the order's history,
 * is dead-lettered with the reason. No report is ever dropped with just a log line.
 */
import type { InvocationContext } from "@azure/functions";
import { type StatusReport, ORDER_STATUS_QUEUE, statusReportSchema } from "../../shared/contracts/order-status";
import { PermanentError, TransientError } from "../../shared/errors";
import { queueHandler } from "../../shared/queue";
import type { OrdersDeps } from "./deps";
import { applyReport } from "./model";
import { ConcurrentUpdateError } from "./store";

const MAX_ATTEMPTS = 5;

export async function applyStatusReport(deps: OrdersDeps, report: StatusReport, context: InvocationContext): Promise<void> {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const found = await deps.store.read(report.customerId, report.orderId);
    if (!found) {
      // Fulfillment only hears of orders that exist, and orders are never deleted: a report for an
      // unknown order is a bug upstream that no retry fixes.
      throw new PermanentError(`order ${report.orderId} of customer ${report.customerId} does not exist`);
    }
    const outcome = applyReport(found.doc, report, deps.clock());
    if (outcome.kind === "seen") {
      context.info(`status report ${report.messageId}: ${outcome.why}`);
      return;
    }
    if (outcome.kind === "refuse") {
      // Dead-lettered by the queue handler, with the reason, for an operator.
      throw new PermanentError(`status report ${report.messageId} for order ${report.orderId} refused: ${outcome.why}`);
    }
    try {
      await deps.store.replace(outcome.doc, found.etag);
      context.info(
        outcome.kind === "apply"
          ? `order ${report.orderId}: ${found.doc.status} -> ${outcome.doc.status}`
          : `order ${report.orderId}: report ${report.messageId} (${report.status}) recorded: ${outcome.why}`,
      );
      return;
    } catch (error) {
      if (!(error instanceof ConcurrentUpdateError)) throw error;
    }
  }
  // Rethrown: the host retries later, when the competing writers are done.
  throw new TransientError(`order ${report.orderId}: status update lost ${MAX_ATTEMPTS} optimistic-concurrency races`);
}

export function statusUpdatesHandler(
  getDeps: () => OrdersDeps | Promise<OrdersDeps>,
  queue: string = ORDER_STATUS_QUEUE,
): (raw: unknown, context: InvocationContext) => Promise<void> {
  return async (raw, context) => {
    const deps = await getDeps();
    return queueHandler({
      queue,
      schema: statusReportSchema,
      poison: deps.statusPoison,
      handle: (report, ctx) => applyStatusReport(deps, report, ctx),
    })(raw, context);
  };
}
