/**
 * The orders API description (OpenAPI 3.0.3), generated from the same zod schemas the handlers
 * validate with. The gateway imports it (manifest `http.openapi`); `scripts/write-openapi.ts` writes it
 * to `.build/openapi/orders.json`. operationIds are part of the contract: the gateway's policies and
 * clients reference them, so never rename one.
 */
import type { ResponseConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { DEFAULT_MAX_BODY_BYTES } from "../../shared/http";
import {
  apiRegistry,
  bodyTooLargeProblem,
  generateOpenApiDocument,
  notJsonProblem,
  type OpenApiDocument,
  problemResponse,
  registerHealthPath,
  unavailableProblem,
  validationProblem,
} from "../../shared/openapi";
import manifest from "../service";
import {
  ANY_CUSTOMER_ROLE,
  cancelOrderRequestSchema,
  createOrderRequestSchema,
  customerParamsSchema,
  idempotencyKeySchema,
  listQuerySchema,
  orderPageSchema,
  orderParamsSchema,
  orderViewSchema,
} from "./schemas";

export type { OpenApiDocument } from "../../shared/openapi";

const etagHeader = {
  ETag: { description: "The order's entity tag; send it as If-Match to cancel.", schema: { type: "string" as const } },
};

const invalidInput = validationProblem();

function orderResponse(description: string, extraHeaders: Record<string, { description: string; schema: { type: "string" } }> = {}): ResponseConfig {
  return {
    description,
    headers: { ...etagHeader, ...extraHeaders },
    content: { "application/json": { schema: orderViewSchema } },
  };
}

/** How every customer-scoped operation is authorized (shared/caller.ts, docs/GATEWAY.md). */
const OWN_ORDERS =
  "A caller acts for the customer whose id is its token's `oid` (the gateway forwards the validated claim); " +
  `the ${ANY_CUSTOMER_ROLE} role lets support and back-office callers act for any customer. ` +
  "Another customer's orders are answered as if they did not exist (404).";

export function openApiDocument(): OpenApiDocument {
  const http = manifest.http;
  const { registry, secured } = apiRegistry(http);

  registry.registerPath({
    method: "post",
    path: "/orders",
    operationId: "createOrder",
    summary: "Create an order",
    description:
      "Creates an order and announces it to fulfillment. With an `Idempotency-Key`, a retry with the same key " +
      "and body returns the original order (with `Idempotent-Replayed: true`) and creates nothing; the same key " +
      `with a different body is rejected with 422; keys are scoped per customer. Bodies above ${DEFAULT_MAX_BODY_BYTES} bytes are rejected with 413. ` +
      `\`customerId\` must be the caller's own (its token's \`oid\`) unless the caller has ${ANY_CUSTOMER_ROLE}; otherwise 403.`,
    tags: ["orders"],
    ...secured("Orders.Write"),
    request: {
      headers: z.object({ "Idempotency-Key": idempotencyKeySchema.optional() }),
      body: { required: true, content: { "application/json": { schema: createOrderRequestSchema } } },
    },
    responses: {
      201: orderResponse("Created (or the original order, for a replayed Idempotency-Key).", {
        Location: { description: "The order's URL.", schema: { type: "string" } },
        "Idempotent-Replayed": { description: '"true" when this answers a retried request.', schema: { type: "string" } },
      }),
      400: invalidInput,
      403: problemResponse(`The token lacks Orders.Write, or customerId is not the caller's own and it lacks ${ANY_CUSTOMER_ROLE}.`),
      413: bodyTooLargeProblem,
      415: notJsonProblem,
      422: problemResponse("The Idempotency-Key was already used by this customer with a different request."),
      503: unavailableProblem,
    },
  });

  registry.registerPath({
    method: "get",
    path: "/customers/{customerId}/orders",
    operationId: "listOrders",
    summary: "List a customer's orders, newest first",
    description:
      "Paged with continuation tokens: pass the previous page's `continuationToken` until it is null. A token is " +
      "valid only for the listing (customer and query) it was issued for; any other value is a 400. " +
      OWN_ORDERS,
    tags: ["orders"],
    ...secured("Orders.Read"),
    request: { params: customerParamsSchema, query: listQuerySchema },
    responses: {
      200: { description: "A page of orders.", content: { "application/json": { schema: orderPageSchema } } },
      400: invalidInput,
      404: problemResponse("Another customer's listing (without Orders.Support)."),
      503: unavailableProblem,
    },
  });

  registry.registerPath({
    method: "get",
    path: "/customers/{customerId}/orders/{orderId}",
    operationId: "getOrder",
    summary: "Get an order",
    description: OWN_ORDERS,
    tags: ["orders"],
    ...secured("Orders.Read"),
    request: {
      params: orderParamsSchema,
      headers: z.object({ "If-None-Match": z.string().optional() }),
    },
    responses: {
      200: orderResponse("The order."),
      304: { description: "Not modified (If-None-Match matched)." },
      400: invalidInput,
      404: problemResponse("The customer has no such order, or it is another customer's."),
      503: unavailableProblem,
    },
  });

  const cancelResponses = {
    202: orderResponse(
      "Cancellation requested: the order is `cancelling` until fulfillment answers with `cancelled` (any payment " +
        "refunded, stock released) or, if the order had already shipped, `shipped`.",
    ),
    400: invalidInput,
    404: problemResponse("The customer has no such order, or it is another customer's."),
    409: problemResponse("The order is already shipped, cancelled or failed, or a cancellation is already under way."),
    412: problemResponse("If-Match does not match the order's current ETag: GET it again."),
    428: problemResponse("If-Match is missing or `*` (the order's ETag is required)."),
    503: unavailableProblem,
  };
  const ifMatch = z.object({ "If-Match": z.string().meta({ description: "The ETag from GET." }) });

  registry.registerPath({
    method: "post",
    path: "/customers/{customerId}/orders/{orderId}/cancel",
    operationId: "cancelOrder",
    summary: "Request the cancellation of an order",
    description: OWN_ORDERS,
    tags: ["orders"],
    ...secured("Orders.Write"),
    request: {
      params: orderParamsSchema,
      headers: ifMatch,
      body: { required: false, content: { "application/json": { schema: cancelOrderRequestSchema } } },
    },
    responses: { ...cancelResponses, 413: bodyTooLargeProblem, 415: notJsonProblem },
  });

  registry.registerPath({
    method: "delete",
    path: "/customers/{customerId}/orders/{orderId}",
    operationId: "deleteOrder",
    summary: "Cancel an order (orders are kept, never erased)",
    description: OWN_ORDERS,
    tags: ["orders"],
    ...secured("Orders.Write"),
    request: { params: orderParamsSchema, headers: ifMatch },
    responses: cancelResponses,
  });

  registerHealthPath(registry);
  return generateOpenApiDocument(registry, http, ["orders", "health"]);
}
