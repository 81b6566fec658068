/**
 * The product as stored: one Cosmos item per SKU, `id` = `sku` = the partition key, so every read
 * and write is a point operation. Pure functions only: the store and the handlers do the I/O.
 */
import type { ProductInput, ProductView } from "./schemas";

export interface ProductDocument {
  readonly id: string;
  readonly sku: string;
  readonly name: string;
  readonly description?: string;
  readonly currency: string;
  readonly priceMinor: number;
  readonly updatedAt: string;
  /** Set by Cosmos DB on read; never written back. */
  readonly _etag?: string;
}

export function productDocument(sku: string, input: ProductInput, now: Date): ProductDocument {
  return {
    id: sku,
    sku,
    name: input.name,
    ...(input.description !== undefined ? { description: input.description } : {}),
    currency: input.currency,
    priceMinor: input.priceMinor,
    updatedAt: now.toISOString(),
  };
}

/** What callers see: the fields we own, never Cosmos system properties (`_rid`, `_ts`, ...). */
export function toView(doc: ProductDocument): ProductView {
  return {
    sku: doc.sku,
    name: doc.name,
    ...(doc.description !== undefined ? { description: doc.description } : {}),
    currency: doc.currency,
    priceMinor: doc.priceMinor,
    updatedAt: doc.updatedAt,
  };
}
