/**
 * The order lifecycle table (shared/contracts/order-lifecycle.ts) and the orders→fulfillment contract,
 * checked as data: no emulators.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { LIFECYCLE_DOC, lifecycleTable, withCurrentTable } from "../../scripts/order-lifecycle-doc";
import * as z from "zod";
import { refundInput, reportInput } from "../../functions-src/fulfillment/src/activities";
import { fulfillmentMessageSchema, fulfillmentOrderSchema, orderCreatedMessageSchema } from "../../functions-src/shared/contracts/fulfillment";
import { orderStatusChangedDataSchema } from "../../functions-src/shared/contracts/order-events";
import { ORDER_STATUSES, REASON_MAX_LENGTH, boundReason } from "../../functions-src/shared/contracts/order";
import {
  CANCELLABLE_STATUSES,
  EVENT_ACTOR,
  FULFILLMENT_OUTCOMES,
  LIFECYCLE_EVENTS,
  ORDER_LIFECYCLE,
  TERMINAL_STATUSES,
  decide,
  obligationsFor,
} from "../../functions-src/shared/contracts/order-lifecycle";
import { statusReportSchema } from "../../functions-src/shared/contracts/order-status";
import { newOrderDocument, outboxEntry, outboxMessage } from "../../functions-src/orders/src/model";

const address = { name: "Ada", line1: "Main St 1", city: "Utrecht", postalCode: "3511", country: "NL" };
const orderId = "0b5f4a4e-8a47-4c43-9c59-6a0f0a3d5d11";

describe("the lifecycle table", () => {
  it("decides every status × event, and only fulfillment's outcomes or the customer's request move an order", () => {
    for (const status of ORDER_STATUSES) {
      for (const event of LIFECYCLE_EVENTS) {
        const rule = decide(status, event);
        expect(rule, `${status} × ${event}`).toBeDefined();
        if (rule.kind === "move") expect(ORDER_STATUSES).toContain(rule.to);
      }
    }
    expect(EVENT_ACTOR.cancelRequested).toBe("customer");
    for (const event of LIFECYCLE_EVENTS.filter((e) => e !== "cancelRequested")) expect(EVENT_ACTOR[event]).toBe("fulfillment");
  });

  it("never leaves a terminal status, and reaches `cancelled` only from `cancelling` (fulfillment's confirmation)", () => {
    for (const status of TERMINAL_STATUSES) {
      for (const event of LIFECYCLE_EVENTS) expect(decide(status, event).kind, `${status} × ${event}`).not.toBe("move");
    }
    for (const status of ORDER_STATUSES) {
      for (const event of LIFECYCLE_EVENTS) {
        const rule = decide(status, event);
        if (rule.kind === "move" && rule.to === "cancelled") expect([status, event]).toEqual(["cancelling", "cancelled"]);
      }
    }
  });

  it("accepts a cancellation until the order is final, and a stopped order obliges refund and release", () => {
    expect([...CANCELLABLE_STATUSES].sort()).toEqual(["paid", "pending", "reserved"]);
    for (const status of CANCELLABLE_STATUSES) {
      expect(decide(status, "cancelRequested")).toMatchObject({ kind: "move", to: "cancelling", obliges: ["refundPayment", "releaseStock"] });
    }
    expect(decide("paid", "cancelRequested").why).toMatch(/refund/);
    expect(decide("shipped", "cancelRequested")).toMatchObject({ kind: "refuse", why: expect.stringMatching(/shipped can no longer be cancelled/) });
    expect(decide("cancelling", "cancelRequested").kind).toBe("refuse");
  });

  it("records duplicates and late progress; refuses a second, different outcome", () => {
    expect(decide("shipped", "shipped").kind).toBe("record");
    expect(decide("shipped", "paid").kind).toBe("record");
    expect(decide("cancelling", "paid").kind).toBe("record");
    for (const a of FULFILLMENT_OUTCOMES) {
      for (const b of FULFILLMENT_OUTCOMES) {
        if (a !== b) expect(decide(a, b).kind, `${a} then ${b}`).toBe("refuse");
      }
    }
    expect(ORDER_LIFECYCLE.cancelling.shipped).toMatchObject({ kind: "move", to: "shipped", why: expect.stringMatching(/cancellation refused/) });
  });

  it("obliges fulfillment to undo exactly what happened, refund before release, and nothing once shipped", () => {
    expect(obligationsFor({ reserved: false, charged: "no", shipped: false })).toEqual([]);
    expect(obligationsFor({ reserved: true, charged: "no", shipped: false })).toEqual(["releaseStock"]);
    expect(obligationsFor({ reserved: true, charged: "unknown", shipped: false })).toEqual(["refundPayment", "releaseStock"]);
    expect(obligationsFor({ reserved: true, charged: "yes", shipped: false })).toEqual(["refundPayment", "releaseStock"]);
    expect(obligationsFor({ reserved: true, charged: "yes", shipped: true })).toEqual([]);
  });
});

describe("the orders→fulfillment contract: one schema at both ends", () => {
  const order = {
    orderId,
    customerId: "cust-1",
    items: [{ sku: "SKU-1", quantity: 2, unitPriceMinor: 1250 }],
    currency: "EUR",
    totalMinor: 2500,
    shippingAddress: address,
  };

  it("refuses duplicate SKU lines (the caller merges them) and a total that does not match the lines", () => {
    expect(fulfillmentOrderSchema.safeParse(order).success).toBe(true);
    const duplicate = fulfillmentOrderSchema.safeParse({
      ...order,
      items: [{ sku: "SKU-1", quantity: 1, unitPriceMinor: 100 }, { sku: "SKU-1", quantity: 5, unitPriceMinor: 100 }],
      totalMinor: 600,
    });
    expect(duplicate.success).toBe(false);
    expect(duplicate.error?.issues[0]).toMatchObject({ path: ["items", 1, "sku"], message: expect.stringMatching(/duplicate sku SKU-1/) });
    const zero = fulfillmentOrderSchema.safeParse({ ...order, totalMinor: 0 });
    expect(zero.error?.issues[0]).toMatchObject({ path: ["totalMinor"], message: expect.stringMatching(/does not match the lines \(2500\)/) });
  });

  it("is validated by orders before sending: an inconsistent order is never announced", () => {
    const now = new Date("2026-01-01T00:00:00.000Z");
    const entry = outboxEntry("msg-1", "OrderCreated", now);
    const doc = newOrderDocument(orderId, { customerId: "cust-1", currency: "EUR", items: order.items, shippingAddress: address }, "h", now, entry);
    expect(orderCreatedMessageSchema.parse(outboxMessage(doc, entry))).toMatchObject({ order: { totalMinor: 2500 } });
    expect(() => outboxMessage({ ...doc, totalMinor: 0 }, entry)).toThrow(/does not match the lines/);
  });
});

describe("free-text reasons are bounded, never refused", () => {
  it("truncates at the bound with an ellipsis and never splits a surrogate pair", () => {
    expect(boundReason("short")).toBe("short");
    const long = boundReason("a".repeat(REASON_MAX_LENGTH + 1));
    expect(long).toHaveLength(REASON_MAX_LENGTH);
    expect(long.endsWith("…")).toBe(true);
    const emoji = boundReason(`${"a".repeat(REASON_MAX_LENGTH - 3)}😀😀`);
    expect(emoji.length).toBeLessThanOrEqual(REASON_MAX_LENGTH);
    expect(() => encodeURIComponent(emoji)).not.toThrow(); // no lone surrogate
  });

  it("accepts a status report with a reason of any length (truncated)", () => {
    const parsed = statusReportSchema.parse({
      type: "FulfillmentStatusReported",
      messageId: `${orderId}:failed`,
      orderId,
      customerId: "cust-1",
      status: "failed",
      reason: "z".repeat(10_000),
      occurredAt: "2026-01-01T00:00:00.000Z",
    });
    expect(parsed.reason).toHaveLength(REASON_MAX_LENGTH);
  });
});

describe("docs/ORDER-LIFECYCLE.md", () => {
  it("holds the table the code defines (regenerate: npx tsx scripts/order-lifecycle-doc.ts --write)", () => {
    const document = readFileSync(LIFECYCLE_DOC, "utf8");
    expect(document).toContain(lifecycleTable());
    expect(withCurrentTable(document)).toBe(document);
  });
});

describe("message contracts never refuse free text by its length (the class of issue 13, item 5)", () => {
  type Def = { type: string; shape?: Record<string, unknown>; element?: unknown; innerType?: unknown; options?: unknown[]; in?: unknown; format?: string; checks?: { _zod: { def: { check: string; format?: string } } }[] };
  const defOf = (schema: unknown): Def => (schema as { _zod: { def: Def } })._zod.def;

  /** Paths of plain strings (no format, no pattern) that carry a maximum length. */
  function boundedFreeText(schema: unknown, path: string): string[] {
    const def = defOf(schema);
    switch (def.type) {
      case "object":
        return Object.entries(def.shape ?? {}).flatMap(([key, value]) => boundedFreeText(value, `${path}.${key}`));
      case "array":
        return boundedFreeText(def.element, `${path}[]`);
      case "optional":
      case "nullable":
      case "default":
        return boundedFreeText(def.innerType, path);
      case "union":
        return (def.options ?? []).flatMap((option) => boundedFreeText(option, path));
      case "pipe":
        return boundedFreeText(def.in, path); // what is accepted is what matters
      case "string": {
        const checks = (def.checks ?? []).map((c) => c._zod.def);
        const formatted = def.format !== undefined || checks.some((c) => c.check === "string_format");
        return !formatted && checks.some((c) => c.check === "max_length") ? [path] : [];
      }
      default:
        return [];
    }
  }

  // Deliberate refusals: identifiers, and shipping data (truncating an address would ship to the wrong
  // place; a refused creation is reported "failed" to orders instead: fulfillment.test.ts).
  const deliberate = (path: string): boolean => /\.messageId$/.test(path) || /\.shippingAddress\./.test(path);

  it.each([
    ["order-status report", statusReportSchema],
    ["orders→fulfillment message", fulfillmentMessageSchema],
    ["OrderStatusChanged data", orderStatusChangedDataSchema],
    ["reportStatus activity input", reportInput],
    ["refundPayment activity input", refundInput],
  ])("%s", (_name, schema) => {
    expect(boundedFreeText(schema, "$").filter((p) => !deliberate(p))).toEqual([]);
  });

  it("finds a bounded free-text field when there is one (the check can fail)", () => {
    expect(boundedFreeText(z.object({ reason: z.string().max(500).optional() }), "$")).toEqual(["$.reason"]);
    // ...and walks the real contracts (unions, pipes) down to their leaves.
    expect(boundedFreeText(fulfillmentMessageSchema, "$")).toContain("$.order.shippingAddress.name");
  });
});
