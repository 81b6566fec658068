/**
 * Stock and shipments (fulfillment's own data). One item per SKU holds the available quantity and the
 * reservations against it, keyed by order id, so reserving, releasing and committing are idempotent
 * (an activity can run twice) and guarded by the item's ETag (two orders never take the same unit).
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
  readonly orderId: string;
  readonly items: readonly OrderLine[];
  readonly address: ShippingAddress;
  readonly trackingNumber: string;
  readonly shippedAt: string;
}

type Line = Pick<OrderLine, "sku" | "quantity">;

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
    for (const line of lines) {
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
    for (const line of lines) {
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
    for (const line of lines) {
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

  /** Records the shipment once per order (the id is the order id); a rerun returns the first one. */
  async ship(orderId: string, items: readonly OrderLine[], address: ShippingAddress): Promise<Shipment> {
    const shipment: Shipment = {
      id: orderId,
      orderId,
      items,
      address,
      trackingNumber: `TRK-${sha256Hex(orderId).slice(0, 12).toUpperCase()}`,
      shippedAt: this.clock().toISOString(),
    };
    try {
      await this.shipments.items.create(shipment);
      return shipment;
    } catch (error) {
      if (!isConflict(error)) throw error;
    }
    const { resource } = await this.shipments.item(orderId, orderId).read<Shipment>();
    if (!resource) throw new TransientError(`shipment ${orderId} conflicted but could not be read`);
    return resource;
  }
}
