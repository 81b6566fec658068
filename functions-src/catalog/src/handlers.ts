/**
 * The catalog HTTP handlers. Each is created from a deps getter (so the registration in index.ts
 * builds SDK clients lazily, and tests pass their own) and wrapped so bad input is a problem response.
 *
 * Products belong to no customer: reads need `Catalog.Read`, writes `Catalog.Write`, checked here on
 * the caller identity the gateway forwards (shared/caller.ts) as well as at the gateway.
 */
import type { HttpHandler, HttpRequest, HttpResponseInit } from "@azure/functions";
import type { z } from "zod";
import { type CallerHandler, secured } from "../../shared/caller";
import { healthHandler } from "../../shared/health";
import {
  ifMatchSatisfied,
  ifNoneMatchSatisfied,
  jsonResponse,
  parseIfMatch,
  readJsonBody,
  toHttpEtag,
  validate,
} from "../../shared/http";
import { ProblemError } from "../../shared/problem";
import { skuSchema } from "../../shared/contracts/order";
import manifest from "../service";
import { CATALOG_ACCESS } from "./access";
import type { CatalogDeps } from "./deps";
import { type ProductDocument, productDocument, toView } from "./model";
import { listQuerySchema, productInputSchema, skuParamsSchema } from "./schemas";
import { ConcurrentUpdateError, type Stored } from "./store";

/** Asynchronous in the app (the SDKs load on first use, see index.ts); tests may return deps directly. */
export type DepsGetter = () => CatalogDeps | Promise<CatalogDeps>;

export interface CatalogHandlers {
  readonly listProducts: HttpHandler;
  readonly getProduct: HttpHandler;
  readonly putProduct: HttpHandler;
  readonly health: HttpHandler;
}

function productResponse(status: number, stored: Stored<ProductDocument>): HttpResponseInit {
  return jsonResponse(status, toView(stored.doc), { ETag: toHttpEtag(stored.etag), "Cache-Control": "no-store" });
}

function pathParams<S extends z.ZodType>(schema: S, request: HttpRequest): z.output<S> {
  return validate(schema, { ...request.params }, "path parameters", "/path");
}

/**
 * Continuation tokens are opaque to callers (a versioned, URL-safe wrapper around the last SKU). They
 * need no signature: the position is a SKU validated like any SKU (`sku > @after`, a parameter), the
 * catalog is the same for every reader, so a hand-made token can only name a position any reader
 * could page to; no crafted value reaches the SDK's token parser.
 */
export function encodeContinuation(afterSku: string): string {
  return Buffer.from(JSON.stringify({ v: 1, a: afterSku }), "utf8").toString("base64url");
}

export function decodeContinuation(value: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(value, "base64url").toString("utf8"));
  } catch {
    parsed = undefined;
  }
  const token = parsed as { v?: unknown; a?: unknown } | undefined;
  if (!token || token.v !== 1 || !skuSchema.safeParse(token.a).success) {
    throw new ProblemError("validation", "continuationToken is not a token returned by this API", {
      errors: [{ pointer: "/query/continuationToken", message: "unrecognised token" }],
    });
  }
  return token.a as string;
}

export function catalogHandlers(getDeps: DepsGetter): CatalogHandlers {
  const listProducts: CallerHandler = async (request) => {
    const query = validate(
      listQuerySchema,
      Object.fromEntries(["limit", "continuationToken"].flatMap((k) => (request.query.has(k) ? [[k, request.query.get(k)]] : []))),
      "query",
      "/query",
    );
    const after = query.continuationToken ? decodeContinuation(query.continuationToken) : undefined;
    const page = await (await getDeps()).store.page(query.limit, after);
    const last = page.docs.at(-1);
    return jsonResponse(
      200,
      { items: page.docs.map(toView), continuationToken: page.more && last ? encodeContinuation(last.sku) : null },
      { "Cache-Control": "no-store" },
    );
  };

  const getProduct: CallerHandler = async (request) => {
    const { sku } = pathParams(skuParamsSchema, request);
    const found = await (await getDeps()).store.read(sku);
    if (!found) throw new ProblemError("notFound", `there is no product ${sku}`);
    const etag = toHttpEtag(found.etag);
    const ifNoneMatch = request.headers.get("if-none-match");
    if (ifNoneMatch && ifNoneMatchSatisfied(ifNoneMatch, etag)) {
      return { status: 304, headers: { ETag: etag, "Cache-Control": "no-store" } };
    }
    return productResponse(200, found);
  };

  /**
   * Create or replace. Without If-Match the last writer wins (201 when created, 200 when replaced);
   * with it, the write happens only if the product exists with that ETag (`*`: exists at all), else 412.
   */
  const putProduct: CallerHandler = async (request, context) => {
    const { sku } = pathParams(skuParamsSchema, request);
    const ifMatchHeader = request.headers.get("if-match");
    // Strict (RFC 9110): anything but "*" or quoted entity tags is a 400 naming the header.
    const tags = ifMatchHeader === null ? undefined : parseIfMatch(ifMatchHeader);
    const input = validate(productInputSchema, await readJsonBody(request), "product");
    const deps = await getDeps();
    const doc = productDocument(sku, input, deps.clock());

    if (tags === undefined) {
      const { stored, created } = await deps.store.upsert(doc);
      context.info(`product ${sku} ${created ? "created" : "replaced"}`);
      return productResponse(created ? 201 : 200, stored);
    }

    const found = await deps.store.read(sku);
    if (!found) {
      throw new ProblemError("preconditionFailed", `there is no product ${sku} to match If-Match; omit If-Match to create it`);
    }
    if (tags !== "*" && !ifMatchSatisfied(tags, toHttpEtag(found.etag))) {
      throw new ProblemError("preconditionFailed", "the product changed since you read it; GET it again and retry with its new ETag", {
        headers: { ETag: toHttpEtag(found.etag) },
      });
    }
    try {
      const saved = await deps.store.replace(doc, found.etag);
      context.info(`product ${sku} replaced (If-Match)`);
      return productResponse(200, saved);
    } catch (error) {
      if (error instanceof ConcurrentUpdateError) {
        throw new ProblemError("preconditionFailed", "the product changed while saving; GET it again and retry");
      }
      throw error;
    }
  };

  return {
    listProducts: secured(CATALOG_ACCESS.listProducts.role, listProducts),
    getProduct: secured(CATALOG_ACCESS.getProduct.role, getProduct),
    putProduct: secured(CATALOG_ACCESS.putProduct.role, putProduct),
    health: healthHandler(manifest.name),
  };
}
