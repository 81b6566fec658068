/**
 * The order as stored (one Cosmos item per order, partitioned by customer) and the rules that change it.
 * Pure functions only: the store and the handlers do the I/O.
 */
import { type OrderLine, type OrderStatus, type ShippingAddress, linesTotalMinor } from "../../shared/contracts/order";
import {
  type OrderCancelledMessage,
  type OrderCreatedMessage,
  orderCancelledMessageSchema,
  orderCreatedMessageSchema,
} from "../../shared/contracts/fulfillment";
import { CANCELLABLE_STATUSES, type Rule, decide } from "../../shared/contracts/order-lifecycle";
import type { StatusReport } from "../../shared/contracts/order-status";
import { publicReason } from "../../shared/reasons";
import type { CreateOrderRequest, OrderView } from "./schemas";

/** A message waiting to be sent (transactional outbox): written in the same item write as the change. */
export interface OutboxEntry {
  /** The message id; stable across resends so the consumer can correlate duplicates. */
  readonly id: string;
  readonly type: "OrderCreated" | "OrderCancelled";
  readonly state: "pending" | "sent";
  readonly createdAt: string;
  /**
   * Until when a sender holds the right to send this entry. The writer of the entry holds it first;
   * after it lapses, the relay (or a replayed request) claims it with an If-Match write.
   */
  readonly claimedUntil: string;
  readonly attempts: number;
  readonly sentAt?: string;
}

export interface StatusChange {
  readonly status: OrderStatus;
  readonly at: string;
  readonly reason?: string;
  readonly source: "api" | "fulfillment";
}

/** What became of a fulfillment report: every report leaves a trace on the order (or is dead-lettered). */
export interface ReportRecord {
  readonly messageId: string;
  readonly status: StatusReport["status"];
  readonly receivedAt: string;
  readonly disposition: "applied" | "recorded";
  /** For a recorded report: why it did not change the status. */
  readonly note?: string;
}

/** How many report records an order keeps (fulfillment sends at most one per reported status). */
export const MAX_REPORT_RECORDS = 20;

export interface OrderDocument {
  readonly id: string;
  readonly customerId: string;
  readonly status: OrderStatus;
  /** +1 per status change; with the id it identifies a change (the event id downstream). */
  readonly statusVersion: number;
  readonly statusChangedAt: string;
  readonly previousStatus?: OrderStatus;
  readonly statusReason?: string;
  readonly items: readonly OrderLine[];
  readonly currency: string;
  readonly totalMinor: number;
  readonly shippingAddress: ShippingAddress;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** SHA-256 of the canonical create request: tells a replay from a different request. */
  readonly requestHash: string;
  readonly statusHistory: readonly StatusChange[];
  /** Fulfillment reports received, applied or recorded (absent on orders that never got one). */
  readonly fulfillmentReports?: readonly ReportRecord[];
  readonly outbox: readonly OutboxEntry[];
  /** True while any outbox entry is pending: the relay's (indexed) filter. */
  readonly outboxPending: boolean;
  readonly _etag?: string;
}

/** How long a writer keeps the exclusive right to send its outbox entry before the relay may. */
export const OUTBOX_CLAIM_MS = 30_000;

export function outboxEntry(id: string, type: OutboxEntry["type"], now: Date): OutboxEntry {
  return {
    id,
    type,
    state: "pending",
    createdAt: now.toISOString(),
    claimedUntil: new Date(now.getTime() + OUTBOX_CLAIM_MS).toISOString(),
    attempts: 0,
  };
}

export function orderTotal(items: readonly OrderLine[]): number {
  return linesTotalMinor(items);
}

export function newOrderDocument(
  orderId: string,
  request: CreateOrderRequest,
  requestHash: string,
  now: Date,
  announcement: OutboxEntry,
): OrderDocument {
  const at = now.toISOString();
  return {
    id: orderId,
    customerId: request.customerId,
    status: "pending",
    statusVersion: 1,
    statusChangedAt: at,
    items: request.items,
    currency: request.currency,
    totalMinor: orderTotal(request.items),
    shippingAddress: request.shippingAddress,
    createdAt: at,
    updatedAt: at,
    requestHash,
    statusHistory: [{ status: "pending", at, source: "api" }],
    outbox: [announcement],
    outboxPending: true,
  };
}

/** Statuses a customer may still cancel in (from the lifecycle table): until the order has shipped. */
export const CANCELLABLE: ReadonlySet<OrderStatus> = CANCELLABLE_STATUSES;

function withStatus(
  doc: OrderDocument,
  status: OrderStatus,
  now: Date,
  source: StatusChange["source"],
  reason: string | undefined,
): OrderDocument {
  const at = now.toISOString();
  const change: StatusChange = reason ? { status, at, reason, source } : { status, at, source };
  const { statusReason: _previousReason, ...rest } = doc;
  return {
    ...rest,
    status,
    previousStatus: doc.status,
    statusVersion: doc.statusVersion + 1,
    statusChangedAt: at,
    ...(reason ? { statusReason: reason } : {}),
    updatedAt: at,
    statusHistory: [...doc.statusHistory, change],
  };
}

/** The lifecycle's verdict on a customer's cancellation request for this order. */
export function cancellationRule(doc: OrderDocument): Rule {
  return decide(doc.status, "cancelRequested");
}

/**
 * Records the customer's cancellation request (status `cancelling`) and the message that asks
 * fulfillment to stop. Fulfillment answers with the outcome: `cancelled` (refunded, released) or
 * `shipped` (the request came too late). Callers check {@link cancellationRule} first.
 */
export function cancellationRequested(
  doc: OrderDocument,
  reason: string | undefined,
  entry: OutboxEntry,
  now: Date,
): OrderDocument {
  const rule = cancellationRule(doc);
  if (rule.kind !== "move" || !rule.to) throw new Error(`order ${doc.id}: ${rule.why}`);
  const next = withStatus(doc, rule.to, now, "api", reason ?? "cancelled by the customer");
  return { ...next, outbox: [...next.outbox, entry], outboxPending: true };
}

export type ReportOutcome =
  /** The status changes (`doc` is the new order). */
  | { readonly kind: "apply"; readonly doc: OrderDocument }
  /** The status stays; `doc` records the report and why. */
  | { readonly kind: "record"; readonly doc: OrderDocument; readonly why: string }
  /** This very message was already applied or recorded (a redelivery): nothing to write. */
  | { readonly kind: "seen"; readonly why: string }
  /** The report contradicts the lifecycle: it must be dead-lettered with `why`. */
  | { readonly kind: "refuse"; readonly why: string };

function withReportRecord(doc: OrderDocument, entry: ReportRecord): OrderDocument {
  const records = [...(doc.fulfillmentReports ?? []), entry].slice(-MAX_REPORT_RECORDS);
  return { ...doc, fulfillmentReports: records };
}

/**
 * Applies a fulfillment report by the lifecycle table: idempotent (a redelivered message is recognised
 * by its id) and order-insensitive (late progress is recorded, not applied). Nothing is ignored
 * silently: the outcome says what happened, and a contradiction is refused for the dead-letter queue.
 */
export function applyReport(doc: OrderDocument, report: StatusReport, now: Date): ReportOutcome {
  if (doc.fulfillmentReports?.some((r) => r.messageId === report.messageId)) {
    return { kind: "seen", why: `report ${report.messageId} was already received` };
  }
  const rule = decide(doc.status, report.status);
  const receivedAt = now.toISOString();
  if (rule.kind === "refuse") return { kind: "refuse", why: `order is ${doc.status}, report is ${report.status}: ${rule.why}` };
  if (rule.kind === "record" || !rule.to) {
    const entry: ReportRecord = { messageId: report.messageId, status: report.status, receivedAt, disposition: "recorded", note: rule.why };
    return { kind: "record", doc: { ...withReportRecord(doc, entry), updatedAt: receivedAt }, why: rule.why };
  }
  // Resolving a pending cancellation explains itself (refunded, or refused because already shipped).
  const reason = report.reason ?? (doc.status === "cancelling" ? rule.why : undefined);
  const moved = withStatus(doc, rule.to, now, "fulfillment", reason);
  const entry: ReportRecord = { messageId: report.messageId, status: report.status, receivedAt, disposition: "applied" };
  return { kind: "apply", doc: withReportRecord(moved, entry) };
}

/** The wire message for an outbox entry, built from the order as it is now. */
export function outboxMessage(doc: OrderDocument, entry: OutboxEntry): OrderCreatedMessage | OrderCancelledMessage {
  // Validated with the contract's own schema before sending: fulfillment validates with the same one,
  // so a message orders can produce is a message fulfillment accepts (and the reverse).
  if (entry.type === "OrderCreated") {
    return orderCreatedMessageSchema.parse({
      type: "OrderCreated",
      messageId: entry.id,
      occurredAt: entry.createdAt,
      order: {
        orderId: doc.id,
        customerId: doc.customerId,
        items: [...doc.items],
        currency: doc.currency,
        totalMinor: doc.totalMinor,
        shippingAddress: doc.shippingAddress,
      },
    });
  }
  return orderCancelledMessageSchema.parse({
    type: "OrderCancelled",
    messageId: entry.id,
    occurredAt: entry.createdAt,
    orderId: doc.id,
    customerId: doc.customerId,
    ...(doc.statusReason ? { reason: doc.statusReason } : {}),
  });
}

/**
 * The public representation: internal bookkeeping (hashes, outbox, etags) stays inside, and reasons
 * are catalogue codes with safe messages (internal reason text stays in the document and the logs).
 */
export function toView(doc: OrderDocument): OrderView {
  const reason = publicReason(doc.status, doc.statusReason);
  return {
    id: doc.id,
    customerId: doc.customerId,
    status: doc.status,
    ...(reason ? { statusReason: reason.code, statusMessage: reason.message } : {}),
    items: doc.items.map((line) => ({ ...line })),
    currency: doc.currency,
    totalMinor: doc.totalMinor,
    shippingAddress: doc.shippingAddress,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
    statusHistory: doc.statusHistory.map((change) => {
      const changeReason = publicReason(change.status, change.reason);
      return { status: change.status, at: change.at, ...(changeReason ? { reason: changeReason.code } : {}) };
    }),
  };
}
