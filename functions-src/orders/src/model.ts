/**
 * The order as stored (one Cosmos item per order, partitioned by customer) and the rules that change it.
 * Pure functions only: the store and the handlers do the I/O.
 */
import {
  type OrderLine,
  type OrderStatus,
  type ShippingAddress,
  TERMINAL_STATUSES,
} from "../../shared/contracts/order";
import type { OrderCancelledMessage, OrderCreatedMessage } from "../../shared/contracts/fulfillment";
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
  return items.reduce((sum, line) => sum + line.quantity * line.unitPriceMinor, 0);
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

/** Statuses a customer may still cancel in: before payment is taken. */
export const CANCELLABLE: ReadonlySet<OrderStatus> = new Set(["pending", "reserved"]);

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

export function cancelled(doc: OrderDocument, reason: string | undefined, entry: OutboxEntry, now: Date): OrderDocument {
  const next = withStatus(doc, "cancelled", now, "api", reason ?? "cancelled by the customer");
  return { ...next, outbox: [...next.outbox, entry], outboxPending: true };
}

/** Forward order of the fulfillment steps; a report only moves an order forward. */
const RANK: Readonly<Record<OrderStatus, number>> = {
  pending: 0,
  reserved: 1,
  paid: 2,
  shipped: 3,
  cancelled: 4,
  failed: 4,
};

export type ReportOutcome =
  | { readonly kind: "apply"; readonly doc: OrderDocument }
  | { readonly kind: "ignore"; readonly why: string };

/**
 * Applies a fulfillment report. Idempotent and order-insensitive: duplicates and late reports (a
 * "reserved" after "paid") are ignored, terminal states are final, "failed" ends any open order.
 */
export function applyReport(doc: OrderDocument, report: StatusReport, now: Date): ReportOutcome {
  if (TERMINAL_STATUSES.has(doc.status)) {
    return { kind: "ignore", why: `order is already ${doc.status}` };
  }
  if (report.status === "failed") {
    return { kind: "apply", doc: withStatus(doc, "failed", now, "fulfillment", report.reason) };
  }
  if (RANK[report.status] <= RANK[doc.status]) {
    return { kind: "ignore", why: `order is already ${doc.status} (report: ${report.status})` };
  }
  return { kind: "apply", doc: withStatus(doc, report.status, now, "fulfillment", report.reason) };
}

/** The wire message for an outbox entry, built from the order as it is now. */
export function outboxMessage(doc: OrderDocument, entry: OutboxEntry): OrderCreatedMessage | OrderCancelledMessage {
  if (entry.type === "OrderCreated") {
    return {
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
    };
  }
  return {
    type: "OrderCancelled",
    messageId: entry.id,
    occurredAt: entry.createdAt,
    orderId: doc.id,
    customerId: doc.customerId,
    ...(doc.statusReason ? { reason: doc.statusReason } : {}),
  };
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
