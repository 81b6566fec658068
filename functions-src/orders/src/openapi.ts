/**
 * The orders API description (OpenAPI 3.0.3), generated from the same zod schemas the handlers
 * validate with. The gateway imports it (manifest `http.openapi`); `scripts/write-openapi.ts` writes it
 * to `.build/openapi/orders.json`. operationIds are part of the contract: the gateway's policies and
 * clients reference them, so never rename one.
 */
import { OpenAPIRegistry, OpenApiGeneratorV3, type ResponseConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { PROBLEM_CONTENT_TYPE, problemTypes } from "../../shared/problem";
import { DEFAULT_MAX_BODY_BYTES } from "../../shared/http";
import manifest from "../service";
import {
  cancelOrderRequestSchema,
  createOrderRequestSchema,
  customerParamsSchema,
  healthSchema,
  idempotencyKeySchema,
  listQuerySchema,
  orderPageSchema,
  orderParamsSchema,
  orderViewSchema,
  problemSchema,
} from "./schemas";

/** An OpenAPI 3.0.3 document as plain JSON data (what the gateway component accepts). */
export type OpenApiDocument = Readonly<Record<string, unknown>> & {
  readonly openapi: "3.0.3";
  readonly info: { readonly title: string; readonly version: string };
  readonly paths: Readonly<Record<string, unknown>>;
};

const etagHeader = {
  ETag: { description: "The order's entity tag; send it as If-Match to cancel.", schema: { type: "string" as const } },
};

function problemResponse(description: string): ResponseConfig {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } };
}

const validationProblem = problemResponse(
  "Malformed or invalid input (bad JSON, wrong types, missing or unknown fields); `errors` lists each field.",
);
const unavailableProblem = problemResponse("A dependency is temporarily unavailable; retry after `Retry-After`.");

function orderResponse(description: string, extraHeaders: Record<string, { description: string; schema: { type: "string" } }> = {}): ResponseConfig {
  return {
    description,
    headers: { ...etagHeader, ...extraHeaders },
    content: { "application/json": { schema: orderViewSchema } },
  };
}

export function openApiDocument(): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "Entra ID access token with an Orders.Read / Orders.Write role; validated by the gateway.",
  });
  const secured = (role: string): { security: { bearerAuth: string[] }[]; "x-required-role": string } => ({
    security: [{ bearerAuth: [] }],
    "x-required-role": role,
  });

  registry.registerPath({
    method: "post",
    path: "/orders",
    operationId: "createOrder",
    summary: "Create an order",
    description:
      "Creates an order and announces it to fulfillment. With an `Idempotency-Key`, a retry with the same key " +
      "and body returns the original order (with `Idempotent-Replayed: true`) and creates nothing; the same key " +
      `with a different body is rejected with 422. Bodies above ${DEFAULT_MAX_BODY_BYTES} bytes are rejected with 413.`,
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
      400: validationProblem,
      413: problemResponse("The body exceeds the size limit."),
      415: problemResponse("The body is not application/json."),
      422: problemResponse("The Idempotency-Key was already used with a different request."),
      503: unavailableProblem,
    },
  });

  registry.registerPath({
    method: "get",
    path: "/customers/{customerId}/orders",
    operationId: "listOrders",
    summary: "List a customer's orders, newest first",
    description: "Paged with continuation tokens: pass the previous page's `continuationToken` until it is null.",
    tags: ["orders"],
    ...secured("Orders.Read"),
    request: { params: customerParamsSchema, query: listQuerySchema },
    responses: {
      200: { description: "A page of orders.", content: { "application/json": { schema: orderPageSchema } } },
      400: validationProblem,
      503: unavailableProblem,
    },
  });

  registry.registerPath({
    method: "get",
    path: "/customers/{customerId}/orders/{orderId}",
    operationId: "getOrder",
    summary: "Get an order",
    tags: ["orders"],
    ...secured("Orders.Read"),
    request: {
      params: orderParamsSchema,
      headers: z.object({ "If-None-Match": z.string().optional() }),
    },
    responses: {
      200: orderResponse("The order."),
      304: { description: "Not modified (If-None-Match matched)." },
      400: validationProblem,
      404: problemResponse("The customer has no such order."),
      503: unavailableProblem,
    },
  });

  const cancelResponses = {
    200: orderResponse("The cancelled order."),
    400: validationProblem,
    404: problemResponse("The customer has no such order."),
    409: problemResponse("The order's status no longer allows cancelling (payment taken, shipped, ...)."),
    412: problemResponse("If-Match does not match the order's current ETag: GET it again."),
    428: problemResponse("If-Match is missing."),
    503: unavailableProblem,
  };
  const ifMatch = z.object({ "If-Match": z.string().meta({ description: "The ETag from GET." }) });

  registry.registerPath({
    method: "post",
    path: "/customers/{customerId}/orders/{orderId}/cancel",
    operationId: "cancelOrder",
    summary: "Cancel an order",
    tags: ["orders"],
    ...secured("Orders.Write"),
    request: {
      params: orderParamsSchema,
      headers: ifMatch,
      body: { required: false, content: { "application/json": { schema: cancelOrderRequestSchema } } },
    },
    responses: { ...cancelResponses, 413: problemResponse("The body exceeds the size limit."), 415: problemResponse("The body is not application/json.") },
  });

  registry.registerPath({
    method: "delete",
    path: "/customers/{customerId}/orders/{orderId}",
    operationId: "deleteOrder",
    summary: "Cancel an order (orders are kept, never erased)",
    tags: ["orders"],
    ...secured("Orders.Write"),
    request: { params: orderParamsSchema, headers: ifMatch },
    responses: cancelResponses,
  });

  registry.registerPath({
    method: "get",
    path: "/health",
    operationId: "getHealth",
    summary: "Liveness probe (anonymous; calls no dependency)",
    tags: ["health"],
    security: [],
    responses: { 200: { description: "The app is up.", content: { "application/json": { schema: healthSchema } } } },
  });

  const http = manifest.http;
  const generated = new OpenApiGeneratorV3(registry.definitions).generateDocument({
    openapi: "3.0.3",
    info: {
      title: `${http.displayName} API`,
      version: http.version,
      description:
        "Errors are RFC 9457 problem details (`application/problem+json`) with these types: " +
        Object.values(problemTypes)
          .map((p) => `/problems/${p.slug} (${p.status})`)
          .join(", ") +
        ".",
    },
    tags: [{ name: "orders" }, { name: "health" }],
  });
  return { ...generated, openapi: "3.0.3", info: generated.info, paths: generated.paths ?? {} };
}
