/**
 * Cosmos DB access for products: point reads and writes by SKU (its own partition) with ETag
 * conditions, and keyset-paged listing. Every method is one round trip.
 */
import type { Container } from "@azure/cosmos";
import { isPreconditionFailed } from "../../shared/errors";
import type { ProductDocument } from "./model";

export interface Stored<T> {
  readonly doc: T;
  /** The item's `_etag`, as Cosmos returns it (quoting varies between the service and emulators). */
  readonly etag: string;
}

export class ConcurrentUpdateError extends Error {
  override readonly name = "ConcurrentUpdateError";
}

function stored(resource: ProductDocument | undefined, etag: string | undefined): Stored<ProductDocument> {
  const tag = etag ?? resource?._etag;
  if (!resource || !tag) throw new Error("Cosmos DB returned no item or no etag for a successful write");
  return { doc: resource, etag: tag };
}

export class ProductsStore {
  constructor(private readonly products: Container) {}

  async read(sku: string): Promise<Stored<ProductDocument> | undefined> {
    const response = await this.products.item(sku, sku).read<ProductDocument>();
    if (response.statusCode === 404 || !response.resource) return undefined;
    return stored(response.resource, response.etag);
  }

  /** Creates or replaces the product unconditionally; `created` tells which happened. */
  async upsert(doc: ProductDocument): Promise<{ readonly stored: Stored<ProductDocument>; readonly created: boolean }> {
    const response = await this.products.items.upsert<ProductDocument>(doc);
    return { stored: stored(response.resource, response.etag), created: response.statusCode === 201 };
  }

  /** Replaces the product if it still has `etag`; throws {@link ConcurrentUpdateError} otherwise. */
  async replace(doc: ProductDocument, etag: string): Promise<Stored<ProductDocument>> {
    try {
      const response = await this.products
        .item(doc.id, doc.sku)
        .replace<ProductDocument>(doc, { accessCondition: { type: "IfMatch", condition: etag } });
      return stored(response.resource, response.etag);
    } catch (error) {
      if (isPreconditionFailed(error)) throw new ConcurrentUpdateError(`product ${doc.sku} changed concurrently`);
      throw error;
    }
  }

  /**
   * Up to `limit` products in SKU order after `afterSku`, and whether more follow. Keyset paging
   * (`sku > @after`, one extra row to detect the end) instead of the SDK's cross-partition tokens:
   * the token is just a SKU, stays valid across partition splits, and no empty last page is returned.
   */
  async page(
    limit: number,
    afterSku: string | undefined,
  ): Promise<{ readonly docs: readonly ProductDocument[]; readonly more: boolean }> {
    const { resources } = await this.products.items
      .query<ProductDocument>({
        query: `SELECT TOP @top * FROM c ${afterSku === undefined ? "" : "WHERE c.sku > @after "}ORDER BY c.sku`,
        parameters: [
          { name: "@top", value: limit + 1 },
          ...(afterSku === undefined ? [] : [{ name: "@after", value: afterSku }]),
        ],
      })
      .fetchAll();
    return { docs: resources.slice(0, limit), more: resources.length > limit };
  }
}
