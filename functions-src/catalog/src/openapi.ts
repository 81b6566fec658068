/**
 * The catalog API description (OpenAPI 3.0.3), generated from the same zod schemas the handlers
 * validate with. The gateway imports it (manifest `http.openapi`). operationIds are part of the
 * contract: the gateway's operation policies and clients reference them, so never rename one.
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
import { listQuerySchema, productInputSchema, productPageSchema, productViewSchema, skuParamsSchema } from "./schemas";

export type { OpenApiDocument } from "../../shared/openapi";

/** The operationIds, fixed: the gateway keys a policy on each. */
export const OPERATION_IDS = ["listProducts", "getProduct", "putProduct", "getHealth"] as const;

const invalidInput = validationProblem("bad SKU");

function productResponse(description: string): ResponseConfig {
  return {
    description,
    headers: { ETag: { description: "The product's entity tag; send it as If-Match to replace safely.", schema: { type: "string" } } },
    content: { "application/json": { schema: productViewSchema } },
  };
}

export function openApiDocument(): OpenApiDocument {
  const http = manifest.http;
  const { registry, secured } = apiRegistry(http);

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
      400: invalidInput,
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
      400: invalidInput,
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
      400: invalidInput,
      412: problemResponse("If-Match does not match the product's current ETag, or the product does not exist."),
      413: bodyTooLargeProblem,
      415: notJsonProblem,
      503: unavailableProblem,
    },
  });

  registerHealthPath(registry);
  return generateOpenApiDocument(registry, http, ["products", "health"]);
}
