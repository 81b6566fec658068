/**
 * The orders HTTP handlers. Each is created from a deps getter (so the registration in index.ts builds
 * SDK clients lazily, and tests pass their own) and wrapped so bad input is a problem response.
 */
import type { HttpHandler, HttpRequest, HttpResponseInit } from "@azure/functions";
import type { z } from "zod";
import {
  ifMatchSatisfied,
  ifNoneMatchSatisfied,
  jsonResponse,
  parseIfMatch,
  readJsonBody,
  toHttpEtag,
  validate,
  withProblems,
} from "../../shared/http";
import { ProblemError } from "../../shared/problem";
import { canonicalJson, sha256Hex } from "../../shared/util";
import type { OrdersDeps } from "./deps";
import { cancellationRequested, cancellationRule, newOrderDocument, outboxEntry, toView, type OrderDocument } from "./model";
import { dispatchOutbox } from "./outbox";
import {
  cancelOrderRequestSchema,
  createOrderRequestSchema,
  customerParamsSchema,
  idempotencyKeySchema,
  listQuerySchema,
  orderParamsSchema,
} from "./schemas";
import { ConcurrentUpdateError, type Stored } from "./store";

export type DepsGetter = () => OrdersDeps;

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

/** Continuation tokens are opaque to callers, bound to the customer, and URL-safe. */
export function encodeContinuation(customerId: string, token: string): string {
  return Buffer.from(JSON.stringify({ v: 1, c: customerId, t: token }), "utf8").toString("base64url");
}

export function decodeContinuation(customerId: string, value: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const token = parsed as { v?: unknown; c?: unknown; t?: unknown } | undefined;
  if (!token || token.v !== 1 || typeof token.t !== "string") {
    throw new ProblemError("validation", "continuationToken is not a token returned by this API", {
      errors: [{ pointer: "/query/continuationToken", message: "unrecognised token" }],
    });
  }
  if (token.c !== customerId) {
    throw new ProblemError("validation", "continuationToken belongs to another customer's listing", {
      errors: [{ pointer: "/query/continuationToken", message: "token/customer mismatch" }],
    });
  }
  return token.t;
}

export function ordersHandlers(getDeps: DepsGetter): OrdersHandlers {
  const createOrder: HttpHandler = async (request, context) => {
    const keyHeader = request.headers.get("idempotency-key");
    const key =
      keyHeader === null ? undefined : validate(idempotencyKeySchema, keyHeader, "Idempotency-Key header", "/header/Idempotency-Key");
    const body = validate(createOrderRequestSchema, await readJsonBody(request), "order");
    const deps = getDeps();
    const requestHash = sha256Hex(canonicalJson(body));
    const now = deps.clock();

    let orderId = deps.newId();
    if (key !== undefined) {
      const record = await deps.store.claimIdempotencyKey({
        id: sha256Hex(key),
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
    context.info(`order ${orderId} created for customer ${body.customerId}`);
    return orderResponse(201, latest, { Location: orderLocation(latest.doc) });
  };

  const getOrder: HttpHandler = async (request) => {
    const { customerId, orderId } = pathParams(orderParamsSchema, request);
    const found = await getDeps().store.read(customerId, orderId);
    if (!found) throw new ProblemError("notFound", `customer ${customerId} has no order ${orderId}`);
    const etag = toHttpEtag(found.etag);
    const ifNoneMatch = request.headers.get("if-none-match");
    if (ifNoneMatch && ifNoneMatchSatisfied(ifNoneMatch, etag)) {
      return { status: 304, headers: { ETag: etag, "Cache-Control": "no-store" } };
    }
    return orderResponse(200, found);
  };

  const listOrders: HttpHandler = async (request) => {
    const { customerId } = pathParams(customerParamsSchema, request);
    const query = validate(
      listQuerySchema,
      Object.fromEntries(["limit", "continuationToken"].flatMap((k) => (request.query.has(k) ? [[k, request.query.get(k)]] : []))),
      "query",
      "/query",
    );
    const token = query.continuationToken ? decodeContinuation(customerId, query.continuationToken) : undefined;
    const page = await getDeps().store.page(customerId, query.limit, token);
    return jsonResponse(
      200,
      {
        items: page.docs.map(toView),
        continuationToken: page.continuationToken ? encodeContinuation(customerId, page.continuationToken) : null,
      },
      { "Cache-Control": "no-store" },
    );
  };

  const cancelOrder: HttpHandler = async (request, context) => {
    const { customerId, orderId } = pathParams(orderParamsSchema, request);
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
    const deps = getDeps();
    const found = await deps.store.read(customerId, orderId);
    if (!found) throw new ProblemError("notFound", `customer ${customerId} has no order ${orderId}`);
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
    context.info(`order ${orderId}: cancellation requested`);
    // 202: accepted, not done. Fulfillment decides (cancelled, or shipped if it was too late).
    return orderResponse(202, latest);
  };

  // Liveness only: no dependency is called, so an outage elsewhere does not take this app out of rotation.
  const health: HttpHandler = async () =>
    jsonResponse(200, { status: "ok", service: "orders", time: new Date().toISOString() }, { "Cache-Control": "no-store" });

  return {
    createOrder: withProblems(createOrder),
    getOrder: withProblems(getOrder),
    listOrders: withProblems(listOrders),
    cancelOrder: withProblems(cancelOrder),
    health,
  };
}
