/**
 * Cosmos DB access for orders: point reads/writes in the customer's partition with ETag conditions,
 * paged queries, and the idempotency-key records. Every method is one round trip.
 */
import type { Container } from "@azure/cosmos";
import { TransientError, isConflict, isPreconditionFailed } from "../../shared/errors";
import type { OrderDocument } from "./model";

export interface Stored<T> {
  readonly doc: T;
  /** The item's `_etag`, as Cosmos returns it (quoting varies between the service and emulators). */
  readonly etag: string;
}

export class ConcurrentUpdateError extends Error {
  override readonly name = "ConcurrentUpdateError";
}

/** Records which order an Idempotency-Key created, and for which request. */
export interface IdempotencyRecord {
  /** SHA-256 of the key: keys are caller-chosen text, ids have a restricted alphabet. */
  readonly id: string;
  readonly orderId: string;
  readonly customerId: string;
  readonly requestHash: string;
  readonly createdAt: string;
}

function stored<T extends { _etag?: string }>(resource: T | undefined, etag: string | undefined): Stored<T> {
  const tag = etag ?? resource?._etag;
  if (!resource || !tag) throw new Error("Cosmos DB returned no item or no etag for a successful write");
  return { doc: resource, etag: tag };
}

export class OrdersStore {
  constructor(
    private readonly orders: Container,
    private readonly idempotency: Container,
  ) {}

  /** Creates the order; `undefined` if an order with this id already exists (a replay). */
  async create(doc: OrderDocument): Promise<Stored<OrderDocument> | undefined> {
    try {
      const response = await this.orders.items.create<OrderDocument>(doc);
      return stored(response.resource, response.etag);
    } catch (error) {
      if (isConflict(error)) return undefined;
      throw error;
    }
  }

  async read(customerId: string, orderId: string): Promise<Stored<OrderDocument> | undefined> {
    const response = await this.orders.item(orderId, customerId).read<OrderDocument>();
    if (response.statusCode === 404 || !response.resource) return undefined;
    return stored(response.resource, response.etag);
  }

  /** Replaces the order if it still has `etag`; throws {@link ConcurrentUpdateError} otherwise. */
  async replace(doc: OrderDocument, etag: string): Promise<Stored<OrderDocument>> {
    const { _etag: _ignored, ...body } = doc;
    try {
      const response = await this.orders
        .item(doc.id, doc.customerId)
        .replace<OrderDocument>(body, { accessCondition: { type: "IfMatch", condition: etag } });
      return stored(response.resource, response.etag);
    } catch (error) {
      if (isPreconditionFailed(error)) throw new ConcurrentUpdateError(`order ${doc.id} changed concurrently`);
      throw error;
    }
  }

  /** One page of a customer's orders, newest first. */
  async page(
    customerId: string,
    limit: number,
    continuationToken: string | undefined,
  ): Promise<{ readonly docs: readonly OrderDocument[]; readonly continuationToken: string | undefined }> {
    const iterator = this.orders.items.query<OrderDocument>(
      {
        query: "SELECT * FROM c WHERE c.customerId = @customerId ORDER BY c.createdAt DESC",
        parameters: [{ name: "@customerId", value: customerId }],
      },
      { partitionKey: customerId, maxItemCount: limit, ...(continuationToken ? { continuationToken } : {}) },
    );
    // A page can come back empty with a token (the service's page boundaries): keep going then.
    for (;;) {
      const response = await iterator.fetchNext();
      const docs = response.resources ?? [];
      const next = response.continuationToken || undefined;
      if (docs.length > 0 || !next || !iterator.hasMoreResults()) return { docs, continuationToken: next };
    }
  }

  /** Orders with an unsent outbox entry, across customers (the relay's sweep). */
  async withPendingOutbox(max: number): Promise<readonly OrderDocument[]> {
    const response = await this.orders.items
      .query<OrderDocument>(
        { query: "SELECT * FROM c WHERE c.outboxPending = true" },
        { maxItemCount: max },
      )
      .fetchNext();
    return response.resources ?? [];
  }

  /**
   * Claims an Idempotency-Key for a new order, or returns the record of the request that claimed it
   * first. The create is atomic on the key's id, so of two concurrent requests exactly one wins.
   */
  async claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord> {
    // Twice at most: a record can expire (TTL) between our create's conflict and our read.
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await this.idempotency.items.create<IdempotencyRecord>(record);
        return record;
      } catch (error) {
        if (!isConflict(error)) throw error;
      }
      const existing = await this.idempotency.item(record.id, record.id).read<IdempotencyRecord>();
      if (existing.resource) return existing.resource;
    }
    throw new TransientError(`idempotency key ${record.id} keeps changing hands`);
  }
}
