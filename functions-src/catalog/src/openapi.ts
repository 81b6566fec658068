/**
 * The catalog API description (OpenAPI 3.0.3), generated from the same zod schemas the handlers
 * validate with. The gateway imports it (manifest `http.openapi`). operationIds are part of the
 * contract: the gateway's operation policies and clients reference them, so never rename one.
 */
import { OpenAPIRegistry, OpenApiGeneratorV3, type ResponseConfig } from "@asteasolutions/zod-to-openapi";
import { z } from "zod";
import { DEFAULT_MAX_BODY_BYTES } from "../../shared/http";
import { PROBLEM_CONTENT_TYPE, problemTypes } from "../../shared/problem";
import manifest from "../service";
import {
  healthSchema,
  listQuerySchema,
  productInputSchema,
  productPageSchema,
  productViewSchema,
  problemSchema,
  skuParamsSchema,
} from "./schemas";

/** An OpenAPI 3.0.3 document as plain JSON data (what the gateway component accepts). */
export type OpenApiDocument = Readonly<Record<string, unknown>> & {
  readonly openapi: "3.0.3";
  readonly info: { readonly title: string; readonly version: string };
  readonly paths: Readonly<Record<string, unknown>>;
};

/** The operationIds, fixed: the gateway keys a policy on each. */
export const OPERATION_IDS = ["listProducts", "getProduct", "putProduct", "getHealth"] as const;

function problemResponse(description: string): ResponseConfig {
  return { description, content: { [PROBLEM_CONTENT_TYPE]: { schema: problemSchema } } };
}

const validationProblem = problemResponse(
  "Malformed or invalid input (bad JSON, wrong types, missing or unknown fields, bad SKU); `errors` lists each field.",
);
const unavailableProblem = problemResponse("A dependency is temporarily unavailable; retry after `Retry-After`.");

function productResponse(description: string): ResponseConfig {
  return {
    description,
    headers: { ETag: { description: "The product's entity tag; send it as If-Match to replace safely.", schema: { type: "string" } } },
    content: { "application/json": { schema: productViewSchema } },
  };
}

export function openApiDocument(): OpenApiDocument {
  const http = manifest.http;
  const registry = new OpenAPIRegistry();
  registry.registerComponent("securitySchemes", "bearerAuth", {
    type: "http",
    scheme: "bearer",
    bearerFormat: "JWT",
    description: "Entra ID access token with a Catalog.Read / Catalog.Write role; validated by the gateway.",
  });
  const secured = (role: string): { security: { bearerAuth: string[] }[]; "x-required-role": string } => ({
    security: [{ bearerAuth: [] }],
    "x-required-role": role,
  });

  registry.registerPath({
    method: "get",
    path: "/products",
    operationId: "listProducts",
    summary: "List products by SKU",
    description: "Paged with continuation tokens: pass the previous page's `continuationToken` until it is null.",
    tags: ["products"],
    ...secured("Catalog.Read"),
    request: { query: listQuerySchema },
    responses: {
      200: { description: "A page of products, in SKU order.", content: { "application/json": { schema: productPageSchema } } },
      400: validationProblem,
      503: unavailableProblem,
    },
  });

  registry.registerPath({
    method: "get",
    path: "/products/{sku}",
    operationId: "getProduct",
    summary: "Get a product",
    tags: ["products"],
    ...secured("Catalog.Read"),
    request: { params: skuParamsSchema, headers: z.object({ "If-None-Match": z.string().optional() }) },
    responses: {
      200: productResponse("The product."),
      304: { description: "Not modified (If-None-Match matched)." },
      400: validationProblem,
      404: problemResponse("There is no product with this SKU."),
      503: unavailableProblem,
    },
  });

  registry.registerPath({
    method: "put",
    path: "/products/{sku}",
    operationId: "putProduct",
    summary: "Create or replace a product",
    description:
      "Without `If-Match` the product is created (201) or replaced (200). With `If-Match` (the ETag from GET, or `*`) " +
      "it is replaced only if it exists with that ETag, else 412. " +
      `Bodies above ${DEFAULT_MAX_BODY_BYTES} bytes are rejected with 413.`,
    tags: ["products"],
    ...secured("Catalog.Write"),
    request: {
      params: skuParamsSchema,
      headers: z.object({ "If-Match": z.string().optional().meta({ description: "The ETag from GET, or `*`." }) }),
      body: { required: true, content: { "application/json": { schema: productInputSchema } } },
    },
    responses: {
      200: productResponse("Replaced."),
      201: productResponse("Created."),
      400: validationProblem,
      412: problemResponse("If-Match does not match the product's current ETag, or the product does not exist."),
      413: problemResponse("The body exceeds the size limit."),
      415: problemResponse("The body is not application/json."),
      503: unavailableProblem,
    },
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
    tags: [{ name: "products" }, { name: "health" }],
  });
  return { ...generated, openapi: "3.0.3", info: generated.info, paths: generated.paths ?? {} };
}
