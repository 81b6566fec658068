/**
 * The orders HTTP handlers. Each is created from a deps getter (so the registration in index.ts builds
 * SDK clients lazily, and tests pass their own) and wrapped so bad input is a problem response.
 *
 * Object-level authorization (shared/caller.ts): a caller acts for the customer whose id is its own
 * `oid`; `Orders.Support` lets it act for any customer. Another customer's order, listing or
 * cancellation is answered exactly like a missing one (404), so probing reveals nothing; creating an
 * order for another customer is a 403 (the answer does not depend on that customer existing).
 */
import type { HttpHandler, HttpRequest, HttpResponseInit } from "@azure/functions";
import type { z } from "zod";
import { type Caller, type CallerHandler, mayActFor, secured } from "../../shared/caller";
import { type ContinuationBinding, invalidContinuationToken } from "../../shared/continuation";
import { errorStatus } from "../../shared/errors";
import {
  ifMatchSatisfied,
  ifNoneMatchSatisfied,
  jsonResponse,
  parseIfMatch,
  readJsonBody,
  toHttpEtag,
  validate,
} from "../../shared/http";
import { healthHandler } from "../../shared/health";
import { ProblemError } from "../../shared/problem";
import { canonicalJson, sha256Hex } from "../../shared/util";
import manifest from "../service";
import { ORDERS_ACCESS } from "./access";
import type { OrdersDeps } from "./deps";
import { cancellationRequested, cancellationRule, newOrderDocument, outboxEntry, toView, type OrderDocument } from "./model";
import { dispatchOutbox } from "./outbox";
import {
  ANY_CUSTOMER_ROLE,
  cancelOrderRequestSchema,
  createOrderRequestSchema,
  customerParamsSchema,
  idempotencyKeySchema,
  listQuerySchema,
  orderParamsSchema,
} from "./schemas";
import { ConcurrentUpdateError, type Stored } from "./store";

export { ANY_CUSTOMER_ROLE } from "./schemas";
/** Asynchronous in the app (the SDKs load on first use, see index.ts); tests may return deps directly. */
export type DepsGetter = () => OrdersDeps | Promise<OrdersDeps>;

export interface OrdersHandlers {
  readonly createOrder: HttpHandler;
  readonly getOrder: HttpHandler;
  readonly listOrders: HttpHandler;
  readonly cancelOrder: HttpHandler;
  readonly health: HttpHandler;
}

function orderResponse(status: number, stored: Stored<OrderDocument>, extra: Record<string, string> = {}): HttpResponseInit {
  return jsonResponse(status, toView(stored.doc), {
    ETag: toHttpEtag(stored.etag),
    "Cache-Control": "no-store",
    ...extra,
  });
}

/**
 * Relative to the request's `.../orders`, so it resolves correctly both on the app (`/api/orders`) and
 * behind the gateway (`/orders/v1/orders`) without the gateway rewriting headers.
 */
function orderLocation(doc: OrderDocument): string {
  return `customers/${encodeURIComponent(doc.customerId)}/orders/${doc.id}`;
}

function pathParams<S extends z.ZodType>(schema: S, request: HttpRequest): z.output<S> {
  return validate(schema, { ...request.params }, "path parameters", "/path");
}

/** What a continuation token of a customer's order listing is bound to (shared/continuation.ts). */
export function listingBinding(customerId: string): ContinuationBinding {
  return { listing: "orders.list.createdAt-desc.v1", subject: customerId };
}

function notFound(customerId: string, orderId: string): ProblemError {
  return new ProblemError("notFound", `customer ${customerId} has no order ${orderId}`);
}

/** 404, worded as for a missing order, unless the caller may act for the customer. */
function authorizeOrder(caller: Caller, customerId: string, orderId: string): void {
  if (!mayActFor(caller, customerId, ANY_CUSTOMER_ROLE)) throw notFound(customerId, orderId);
}

export function ordersHandlers(getDeps: DepsGetter): OrdersHandlers {
  const createOrder: CallerHandler = async (request, context, caller) => {
    const keyHeader = request.headers.get("idempotency-key");
    const key =
      keyHeader === null ? undefined : validate(idempotencyKeySchema, keyHeader, "Idempotency-Key header", "/header/Idempotency-Key");
    const body = validate(createOrderRequestSchema, await readJsonBody(request), "order");
    if (!mayActFor(caller, body.customerId, ANY_CUSTOMER_ROLE)) {
      throw new ProblemError("forbidden", `orders can be created only for the calling customer (${caller.id}); acting for others needs ${ANY_CUSTOMER_ROLE}`, {
        errors: [{ pointer: "/customerId", message: "not the calling customer" }],
      });
    }
    const deps = await getDeps();
    const requestHash = sha256Hex(canonicalJson(body));
    const now = deps.clock();

    let orderId = deps.newId();
    if (key !== undefined) {
      const record = await deps.store.claimIdempotencyKey({
        // Scoped per customer: two customers' keys never meet (customer ids contain no line breaks).
        id: sha256Hex(`${body.customerId}\n${key}`),
        orderId,
        customerId: body.customerId,
        requestHash,
        createdAt: now.toISOString(),
      });
      if (record.requestHash !== requestHash) {
        throw new ProblemError(
          "idempotencyKeyReused",
          "this Idempotency-Key was already used with a different request body; use a new key for a new order",
        );
      }
      orderId = record.orderId;
    }

    const announcement = outboxEntry(deps.newId(), "OrderCreated", now);
    const created = await deps.store.create(newOrderDocument(orderId, body, requestHash, now, announcement));
    if (!created) {
      // The key's order exists: a retry. Answer as the first time, write and send nothing new (a
      // lapsed, unsent announcement is picked up here or by the relay).
      const existing = await deps.store.read(body.customerId, orderId);
      if (!existing) throw new Error(`order ${orderId} reported as existing but not readable`);
      if (existing.doc.requestHash !== requestHash) {
        throw new ProblemError("idempotencyKeyReused", "this Idempotency-Key was already used with a different request body");
      }
      const latest = await dispatchOutbox(deps, existing, context);
      return orderResponse(201, latest, { Location: orderLocation(latest.doc), "Idempotent-Replayed": "true" });
    }
    const latest = await dispatchOutbox(deps, created, context, new Set([announcement.id]));
    context.info(`order ${orderId} created for customer ${body.customerId} by caller ${caller.id}`);
    return orderResponse(201, latest, { Location: orderLocation(latest.doc) });
  };

  const getOrder: CallerHandler = async (request, _context, caller) => {
    const { customerId, orderId } = pathParams(orderParamsSchema, request);
    authorizeOrder(caller, customerId, orderId);
    const found = await (await getDeps()).store.read(customerId, orderId);
    if (!found) throw notFound(customerId, orderId);
    const etag = toHttpEtag(found.etag);
    const ifNoneMatch = request.headers.get("if-none-match");
    if (ifNoneMatch && ifNoneMatchSatisfied(ifNoneMatch, etag)) {
      return { status: 304, headers: { ETag: etag, "Cache-Control": "no-store" } };
    }
    return orderResponse(200, found);
  };

  const listOrders: CallerHandler = async (request, _context, caller) => {
    const { customerId } = pathParams(customerParamsSchema, request);
    if (!mayActFor(caller, customerId, ANY_CUSTOMER_ROLE)) throw new ProblemError("notFound", `there is no customer ${customerId} with orders`);
    const query = validate(
      listQuerySchema,
      Object.fromEntries(["limit", "continuationToken"].flatMap((k) => (request.query.has(k) ? [[k, request.query.get(k)]] : []))),
      "query",
      "/query",
    );
    const deps = await getDeps();
    const binding = listingBinding(customerId);
    const token = query.continuationToken ? await deps.continuationTokens.open(binding, query.continuationToken) : undefined;
    let page: Awaited<ReturnType<typeof deps.store.page>>;
    try {
      page = await deps.store.page(customerId, query.limit, token);
    } catch (error) {
      // A token we issued that the service no longer accepts (e.g. after an SDK change): the client's
      // way out is to list again, so a 400, never a 500.
      if (token !== undefined && errorStatus(error) === 400) throw invalidContinuationToken();
      throw error;
    }
    return jsonResponse(
      200,
      {
        items: page.docs.map(toView),
        continuationToken: page.continuationToken ? await deps.continuationTokens.issue(binding, page.continuationToken) : null,
      },
      { "Cache-Control": "no-store" },
    );
  };

  const cancelOrder: CallerHandler = async (request, context, caller) => {
    const { customerId, orderId } = pathParams(orderParamsSchema, request);
    authorizeOrder(caller, customerId, orderId);
    const ifMatch = request.headers.get("if-match");
    if (!ifMatch) {
      throw new ProblemError("preconditionRequired", "cancelling requires If-Match with the order's current ETag (from GET)");
    }
    const tags = parseIfMatch(ifMatch);
    if (tags === "*" || tags.length === 0) {
      throw new ProblemError("preconditionRequired", 'If-Match must carry the order\'s ETag (e.g. "\\"abc\\""), not "*"');
    }
    const input =
      request.method === "POST"
        ? validate(cancelOrderRequestSchema, (await readJsonBody(request, { optional: true })) ?? {}, "cancellation")
        : {};
    const deps = await getDeps();
    const found = await deps.store.read(customerId, orderId);
    if (!found) throw notFound(customerId, orderId);
    if (!ifMatchSatisfied(tags, toHttpEtag(found.etag))) {
      throw new ProblemError("preconditionFailed", "the order changed since you read it; GET it again and retry with its new ETag", {
        headers: { ETag: toHttpEtag(found.etag) },
      });
    }
    // The lifecycle decides (shared/contracts/order-lifecycle.ts): a request until the order has shipped.
    const rule = cancellationRule(found.doc);
    if (rule.kind !== "move") throw new ProblemError("conflict", rule.why);
    const now = deps.clock();
    const announcement = outboxEntry(deps.newId(), "OrderCancelled", now);
    let saved: Stored<OrderDocument>;
    try {
      saved = await deps.store.replace(cancellationRequested(found.doc, input.reason, announcement, now), found.etag);
    } catch (error) {
      if (error instanceof ConcurrentUpdateError) {
        throw new ProblemError("preconditionFailed", "the order changed while cancelling; GET it again and retry");
      }
      throw error;
    }
    const latest = await dispatchOutbox(deps, saved, context, new Set([announcement.id]));
    context.info(`order ${orderId} of customer ${customerId}: cancellation requested by caller ${caller.id}`);
    // 202: accepted, not done. Fulfillment decides (cancelled, or shipped if it was too late).
    return orderResponse(202, latest);
  };

  return {
    createOrder: secured(ORDERS_ACCESS.createOrder.role, createOrder),
    getOrder: secured(ORDERS_ACCESS.getOrder.role, getOrder),
    listOrders: secured(ORDERS_ACCESS.listOrders.role, listOrders),
    cancelOrder: secured(ORDERS_ACCESS.cancelOrder.role, cancelOrder),
    health: healthHandler(manifest.name),
  };
}
