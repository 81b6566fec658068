/**
 * Stock and shipments (fulfillment's own data). One item per SKU holds the available quantity and the
 * reservations against it, keyed by order id, so reserving, releasing and committing are idempotent
 * (an activity can run twice) and guarded by the item's ETag (two orders never take the same unit).
 *
 * The shipments container also arbitrates between shipping and cancelling an order: both create the
 * order's one item (id and partition key = order id), a shipment or a cancellation marker. Cosmos DB
 * creates an id once per partition key value and answers 409 Conflict to every later create, so exactly
 * one of the two wins, whatever the timing
 * (https://learn.microsoft.com/en-us/rest/api/cosmos-db/create-a-document, status codes: 409).
 */
import type { Container } from "@azure/cosmos";
import type { OrderLine, ShippingAddress } from "../../shared/contracts/order";
import { TransientError, isConflict, isPreconditionFailed } from "../../shared/errors";
import { sha256Hex } from "../../shared/util";

export interface StockItem {
  /** The SKU (one item per SKU). */
  readonly id: string;
  readonly sku: string;
  readonly available: number;
  /** Quantity held per order id, until shipped (committed) or released. */
  readonly reservations: Readonly<Record<string, number>>;
  readonly updatedAt: string;
  readonly _etag?: string;
}

export type ReserveResult =
  | { readonly ok: true }
  | { readonly ok: false; readonly reason: "out-of-stock" | "unknown-sku"; readonly sku: string };

export interface Shipment {
  readonly id: string;
  /** Absent on shipments recorded before cancellation markers existed. */
  readonly state?: "shipped";
  readonly orderId: string;
  readonly items: readonly OrderLine[];
  readonly address: ShippingAddress;
  readonly trackingNumber: string;
  readonly shippedAt: string;
}

/** Written instead of a shipment when a cancellation reaches the order first: no shipment can follow. */
export interface CancellationMarker {
  readonly id: string;
  readonly orderId: string;
  readonly state: "cancelled";
  readonly cancelledAt: string;
}

export type ShipResult = ({ readonly shipped: true } & Shipment) | { readonly shipped: false; readonly reason: "cancelled" };
export type BlockResult =
  | { readonly blocked: true }
  | { readonly blocked: false; readonly trackingNumber: string };

type Line = Pick<OrderLine, "sku" | "quantity">;

/**
 * One line per SKU, quantities added up. The contract already refuses duplicate SKUs; the store does
 * not rely on it, because reservations are keyed by order per SKU: a second line for the same SKU would
 * otherwise be taken for a rerun of the first and reserve nothing.
 */
export function linesBySku(lines: readonly Line[]): Line[] {
  const total = new Map<string, number>();
  for (const line of lines) total.set(line.sku, (total.get(line.sku) ?? 0) + line.quantity);
  return [...total].map(([sku, quantity]) => ({ sku, quantity }));
}

const MAX_ATTEMPTS = 8;

export class StockStore {
  constructor(
    private readonly stock: Container,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /** Read-modify-write of one SKU with If-Match; `change` returns undefined for "nothing to do". */
  private async update(
    sku: string,
    change: (item: StockItem) => StockItem | "stop" | undefined,
  ): Promise<"missing" | "stopped" | "done"> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const { resource, etag } = await this.stock.item(sku, sku).read<StockItem>();
      if (!resource || !etag) return "missing";
      const next = change(resource);
      if (next === "stop") return "stopped";
      if (next === undefined) return "done";
      const { _etag: _ignored, ...body } = { ...next, updatedAt: this.clock().toISOString() };
      try {
        await this.stock.item(sku, sku).replace(body, { accessCondition: { type: "IfMatch", condition: etag } });
        return "done";
      } catch (error) {
        if (!isPreconditionFailed(error)) throw error;
      }
    }
    throw new TransientError(`stock for ${sku}: lost ${MAX_ATTEMPTS} concurrent-update races`);
  }

  /** Reserves every line for the order, or none: a partial reservation is released before returning. */
  async reserve(orderId: string, lines: readonly Line[]): Promise<ReserveResult> {
    const reserved: Line[] = [];
    for (const line of linesBySku(lines)) {
      const outcome = await this.update(line.sku, (item) => {
        if (item.reservations[orderId] !== undefined) return undefined; // already ours (a rerun)
        if (item.available < line.quantity) return "stop";
        return {
          ...item,
          available: item.available - line.quantity,
          reservations: { ...item.reservations, [orderId]: line.quantity },
        };
      });
      if (outcome !== "done") {
        await this.release(orderId, reserved);
        return { ok: false, reason: outcome === "missing" ? "unknown-sku" : "out-of-stock", sku: line.sku };
      }
      reserved.push(line);
    }
    return { ok: true };
  }

  /** Returns the order's reserved units to stock; lines without a reservation are skipped. */
  async release(orderId: string, lines: readonly Line[]): Promise<void> {
    for (const line of linesBySku(lines)) {
      await this.update(line.sku, (item) => {
        const held = item.reservations[orderId];
        if (held === undefined) return undefined;
        const { [orderId]: _released, ...rest } = item.reservations;
        return { ...item, available: item.available + held, reservations: rest };
      });
    }
  }

  /** Turns the order's reservations into a sale (the units left with the shipment). */
  async commit(orderId: string, lines: readonly Line[]): Promise<void> {
    for (const line of linesBySku(lines)) {
      await this.update(line.sku, (item) => {
        if (item.reservations[orderId] === undefined) return undefined;
        const { [orderId]: _sold, ...rest } = item.reservations;
        return { ...item, reservations: rest };
      });
    }
  }
}

export class ShipmentStore {
  constructor(
    private readonly shipments: Container,
    private readonly clock: () => Date = () => new Date(),
  ) {}

  /**
   * Records the shipment once per order (the id is the order id); a rerun returns the first one. If a
   * cancellation marker holds the id, the order must not ship: `{ shipped: false }`.
   */
  async ship(orderId: string, items: readonly OrderLine[], address: ShippingAddress): Promise<ShipResult> {
    const shipment: Shipment = {
      id: orderId,
      state: "shipped",
      orderId,
      items,
      address,
      trackingNumber: `TRK-${sha256Hex(orderId).slice(0, 12).toUpperCase()}`,
      shippedAt: this.clock().toISOString(),
    };
    const existing = await this.createOrRead(shipment);
    if (existing === undefined) return { shipped: true, ...shipment };
    if (existing.state === "cancelled") return { shipped: false, reason: "cancelled" };
    return { shipped: true, ...existing };
  }

  /**
   * Makes sure the order never ships, unless it already has: `{ blocked: true }` when the marker is (or
   * already was) in place, `{ blocked: false }` with the tracking number when the shipment won.
   */
  async blockShipment(orderId: string): Promise<BlockResult> {
    const marker: CancellationMarker = { id: orderId, orderId, state: "cancelled", cancelledAt: this.clock().toISOString() };
    const existing = await this.createOrRead(marker);
    if (existing === undefined || existing.state === "cancelled") return { blocked: true };
    return { blocked: false, trackingNumber: existing.trackingNumber };
  }

  /** Creates the order's item; `undefined` if created, else the item that holds the id. */
  private async createOrRead(item: Shipment | CancellationMarker): Promise<Shipment | CancellationMarker | undefined> {
    try {
      await this.shipments.items.create(item);
      return undefined;
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    const { resource } = await this.shipments.item(item.id, item.orderId).read<Shipment | CancellationMarker>();
    if (!resource) throw new TransientError(`shipment ${item.id} conflicted but could not be read`);
    return resource;
  }
}
