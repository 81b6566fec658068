import { describe, expect, it } from "vitest";
import { ACTIVITIES } from "../../functions-src/fulfillment/src/activities";
import { CANCEL_EVENT, PAYMENT_TIMEOUT_MS, fulfillOrder } from "../../functions-src/fulfillment/src/orchestrator";
import { REASON_MAX_LENGTH } from "../../functions-src/shared/contracts/order";
import { type ActivityBehaviour, runOrchestration } from "./support/durable-replay";

const order = {
  orderId: "0b5f4a4e-8a47-4c43-9c59-6a0f0a3d5d11",
  customerId: "cust-1",
  items: [{ sku: "SKU-1", quantity: 2, unitPriceMinor: 1250 }],
  currency: "EUR",
  totalMinor: 2500,
  shippingAddress: { name: "A", line1: "Street 1", city: "Utrecht", postalCode: "3511", country: "NL" },
};
const input = { kind: "fulfil", order };

type Script = Partial<Record<string, (input: unknown, attempt: number) => ActivityBehaviour>>;

function activities(overrides: Script = {}): (name: string, input: unknown, attempt: number) => ActivityBehaviour {
  const defaults: Record<string, ActivityBehaviour> = {
    [ACTIVITIES.reserveStock]: { result: { ok: true } },
    [ACTIVITIES.takePayment]: { result: { ok: true, paymentId: "pay-1" } },
    [ACTIVITIES.shipOrder]: { result: { trackingNumber: "TRK-1" } },
    [ACTIVITIES.reportStatus]: { result: { sent: true } },
    [ACTIVITIES.releaseStock]: { result: { released: true } },
    [ACTIVITIES.refundPayment]: { result: { refunded: true, refundId: "ref-1" } },
    [ACTIVITIES.blockShipment]: { result: { blocked: true } },
  };
  return (name, payload, attempt) => overrides[name]?.(payload, attempt) ?? defaults[name] ?? { error: `unexpected ${name}` };
}

const names = (calls: readonly { name: string }[]): string[] => calls.map((c) => c.name);
const reported = (calls: readonly { name: string; input: unknown }[]): unknown[] =>
  calls.filter((c) => c.name === ACTIVITIES.reportStatus).map((c) => (c.input as { status: string }).status);

describe("fulfillOrder orchestration (durable-functions replay engine)", () => {
  it("reserves, pays, ships and reports each step", async () => {
    const run = await runOrchestration(fulfillOrder, { input, activity: activities() });
    expect(run.completed).toBe(true);
    expect(run.output).toEqual({ status: "shipped", trackingNumber: "TRK-1" });
    expect(names(run.calls)).toEqual(["reserveStock", "reportStatus", "takePayment", "reportStatus", "shipOrder", "reportStatus"]);
    expect(reported(run.calls)).toEqual(["reserved", "paid", "shipped"]);
    const charge = run.calls.find((c) => c.name === ACTIVITIES.takePayment);
    expect(charge?.input).toEqual({ orderId: order.orderId, customerId: "cust-1", amountMinor: 2500, currency: "EUR" });
  });

  it("retries a transient payment failure with exponential backoff, then continues", async () => {
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities({
        takePayment: (_input, attempt) => (attempt < 3 ? { error: "payment back end answered 503" } : { result: { ok: true, paymentId: "p" } }),
      }),
    });
    expect(run.output).toMatchObject({ status: "shipped" });
    const attempts = run.calls.filter((c) => c.name === ACTIVITIES.takePayment);
    expect(attempts.map((a) => a.attempt)).toEqual([1, 2, 3]);
    // 1 s per attempt (the runner's default duration) plus 2 s, then 4 s of backoff.
    expect(attempts[1]!.atMs - attempts[0]!.atMs).toBe(1_000 + 2_000);
    expect(attempts[2]!.atMs - attempts[1]!.atMs).toBe(1_000 + 4_000);
    expect(names(run.calls)).not.toContain(ACTIVITIES.refundPayment);
  });

  it("fails without compensation when the stock is not there (nothing was reserved)", async () => {
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities({ reserveStock: () => ({ result: { ok: false, reason: "out-of-stock", sku: "SKU-1" } }) }),
    });
    expect(run.output).toEqual({ status: "failed", reason: "out of stock: SKU-1", compensated: [] });
    expect(names(run.calls)).toEqual(["reserveStock", "reportStatus"]);
    expect(run.calls[1]!.input).toMatchObject({ status: "failed", reason: "out of stock: SKU-1" });
  });

  it("releases the stock when the payment is declined (and refunds nothing)", async () => {
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities({ takePayment: () => ({ result: { ok: false, reason: "declined", detail: "insufficient funds" } }) }),
    });
    expect(run.output).toEqual({
      status: "failed",
      reason: "payment declined: insufficient funds",
      compensated: ["stock released"],
    });
    expect(names(run.calls)).toEqual(["reserveStock", "reportStatus", "takePayment", "releaseStock", "reportStatus"]);
    expect(reported(run.calls)).toEqual(["reserved", "failed"]);
  });

  it("times out a hung payment with a durable timer, then refunds and releases", async () => {
    const run = await runOrchestration(fulfillOrder, { input, activity: activities({ takePayment: () => ({ hang: true }) }) });
    expect(run.output).toEqual({
      status: "failed",
      reason: `payment timed out after ${PAYMENT_TIMEOUT_MS / 1000} s`,
      compensated: ["payment refunded", "stock released"],
    });
    const charge = run.calls.find((c) => c.name === ACTIVITIES.takePayment)!;
    const refund = run.calls.find((c) => c.name === ACTIVITIES.refundPayment)!;
    expect(refund.atMs - charge.atMs).toBe(PAYMENT_TIMEOUT_MS);
    expect(refund.input).toMatchObject({ orderId: order.orderId, amountMinor: 2500, currency: "EUR" });
    expect(names(run.calls)).not.toContain(ACTIVITIES.shipOrder);
    expect(reported(run.calls)).toEqual(["reserved", "failed"]);
  });

  it("compensates in reverse order when shipping fails after its retries", async () => {
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities({ shipOrder: () => ({ error: "shipments container unavailable" }) }),
    });
    expect(run.output).toMatchObject({ status: "failed", compensated: ["payment refunded", "stock released"] });
    expect((run.output as { reason: string }).reason).toMatch(/^shipping failed: .*shipments container unavailable/);
    expect(run.calls.filter((c) => c.name === ACTIVITIES.shipOrder)).toHaveLength(5);
    const after = names(run.calls).slice(names(run.calls).lastIndexOf(ACTIVITIES.shipOrder) + 1);
    // First settle that no shipment exists (or ever will), then undo in reverse order.
    expect(after).toEqual(["blockShipment", "refundPayment", "releaseStock", "reportStatus"]);
    expect(reported(run.calls)).toEqual(["reserved", "paid", "failed"]);
  });

  it("refunds by order when payment retries are exhausted (the charge may have gone through)", async () => {
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities({ takePayment: () => ({ error: "payment back end unreachable" }) }),
    });
    expect(run.output).toMatchObject({ status: "failed", compensated: ["payment refunded", "stock released"] });
    expect(run.calls.filter((c) => c.name === ACTIVITIES.takePayment)).toHaveLength(5);
  });

  it("waits for an in-flight reservation when cancelled, then releases it and ends cancelled", async () => {
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities(),
      events: [{ name: CANCEL_EVENT, data: { reason: "customer" }, whenScheduled: ACTIVITIES.reserveStock }],
    });
    expect(run.output).toEqual({ status: "cancelled", compensated: ["stock released"] });
    expect(names(run.calls)).toEqual(["reserveStock", "releaseStock", "reportStatus"]);
    expect(reported(run.calls)).toEqual(["cancelled"]);
  });

  it("refunds and releases when the cancellation arrives while paying", async () => {
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities(),
      events: [{ name: CANCEL_EVENT, data: {}, whenScheduled: ACTIVITIES.takePayment }],
    });
    expect(run.output).toEqual({ status: "cancelled", compensated: ["payment refunded", "stock released"] });
    expect(names(run.calls)).not.toContain(ACTIVITIES.shipOrder);
    // The outcome is reported after the refund and the release, never before.
    expect(reported(run.calls)).toEqual(["reserved", "cancelled"]);
    expect(names(run.calls).slice(-3)).toEqual(["refundPayment", "releaseStock", "reportStatus"]);
  });

  it("answers a cancellation at once while the payment back end does not answer (refunds the unknown charge)", async () => {
    // Found by the local twin: with the payment call hanging, the order stayed "cancelling" until the
    // payment timeout, because only the charge and the timer raced.
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities({ takePayment: () => ({ hang: true }) }),
      events: [{ name: CANCEL_EVENT, data: {}, whenScheduled: ACTIVITIES.takePayment }],
    });
    expect(run.output).toEqual({ status: "cancelled", compensated: ["payment refunded", "stock released"] });
    const charge = run.calls.find((c) => c.name === ACTIVITIES.takePayment)!;
    const refund = run.calls.find((c) => c.name === ACTIVITIES.refundPayment)!;
    expect(refund.atMs - charge.atMs).toBeLessThan(PAYMENT_TIMEOUT_MS);
    expect(reported(run.calls)).toEqual(["reserved", "cancelled"]);
  });

  it("handles a cancellation delivered twice like one", async () => {
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities(),
      events: [
        { name: CANCEL_EVENT, data: { messageId: "c1" }, whenScheduled: ACTIVITIES.takePayment },
        { name: CANCEL_EVENT, data: { messageId: "c1" }, whenScheduled: ACTIVITIES.takePayment },
      ],
    });
    expect(run.output).toEqual({ status: "cancelled", compensated: ["payment refunded", "stock released"] });
    expect(run.calls.filter((c) => c.name === ACTIVITIES.refundPayment)).toHaveLength(1);
  });

  /** The shipments container's arbitration (stock.ts): the first of ship and block to create the item wins. */
  function shipmentsItem(): { ship: () => unknown; block: () => unknown } {
    let holder: "shipment" | "marker" | undefined;
    return {
      ship: () => {
        holder ??= "shipment";
        return holder === "shipment" ? { shipped: true, trackingNumber: "TRK-1" } : { shipped: false, reason: "cancelled" };
      },
      block: () => {
        holder ??= "marker";
        return holder === "marker" ? { blocked: true } : { blocked: false, trackingNumber: "TRK-1" };
      },
    };
  }

  it("a cancellation raised while shipping, that wins the race, refunds and releases and never ships", async () => {
    const item = shipmentsItem();
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities({
        shipOrder: () => ({ run: item.ship, durationMs: 5_000 }),
        blockShipment: () => ({ run: item.block, durationMs: 500 }),
      }),
      events: [{ name: CANCEL_EVENT, data: { reason: "customer" }, whenScheduled: ACTIVITIES.shipOrder }],
    });
    expect(run.output).toEqual({ status: "cancelled", compensated: ["payment refunded", "stock released"] });
    expect(reported(run.calls)).toEqual(["reserved", "paid", "cancelled"]);
    expect(names(run.calls).slice(-3)).toEqual(["refundPayment", "releaseStock", "reportStatus"]);
  });

  it("a cancellation raised while shipping, that loses the race, is refused on the order: shipped, charged once", async () => {
    const item = shipmentsItem();
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities({
        shipOrder: () => ({ run: item.ship, durationMs: 500 }),
        blockShipment: () => ({ run: item.block, durationMs: 5_000 }),
      }),
      events: [{ name: CANCEL_EVENT, data: { reason: "customer" }, whenScheduled: ACTIVITIES.shipOrder }],
    });
    expect(run.output).toEqual({ status: "shipped", trackingNumber: "TRK-1" });
    expect(names(run.calls)).not.toContain(ACTIVITIES.refundPayment);
    const last = run.calls.filter((c) => c.name === ACTIVITIES.reportStatus).at(-1);
    expect(last?.input).toMatchObject({ status: "shipped", reason: expect.stringMatching(/cancellation refused/) });
  });

  it("a cancellation that cannot block the shipment leaves the ship step's answer in charge (never a failed instance)", async () => {
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities({ blockShipment: () => ({ error: "shipments container unavailable" }) }),
      events: [{ name: CANCEL_EVENT, data: {}, whenScheduled: ACTIVITIES.shipOrder }],
    });
    expect(run.output).toEqual({ status: "shipped", trackingNumber: "TRK-1" });
    const last = run.calls.filter((c) => c.name === ACTIVITIES.reportStatus).at(-1);
    expect(last?.input).toMatchObject({ status: "shipped", reason: expect.stringMatching(/cancellation refused/) });
  });

  it("a shipment that failed after being recorded is reported shipped, not refunded", async () => {
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities({
        shipOrder: () => ({ error: "stock commit failed" }),
        blockShipment: () => ({ result: { blocked: false, trackingNumber: "TRK-9" } }),
      }),
    });
    expect(run.output).toEqual({ status: "shipped", trackingNumber: "TRK-9" });
    expect(names(run.calls)).not.toContain(ACTIVITIES.refundPayment);
    expect(reported(run.calls)).toEqual(["reserved", "paid", "shipped"]);
  });

  it("bounds a long failure reason at the producer, so the report fits orders' contract", async () => {
    const detail = "x".repeat(3_000);
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities({ takePayment: () => ({ result: { ok: false, reason: "declined", detail } }) }),
    });
    expect(run.output).toMatchObject({ status: "failed" });
    const failed = run.calls.filter((c) => c.name === ACTIVITIES.reportStatus).at(-1)!.input as { status: string; reason: string };
    expect(failed.status).toBe("failed");
    expect(failed.reason.length).toBeLessThanOrEqual(REASON_MAX_LENGTH);
    expect(failed.reason.startsWith("payment declined: xxx")).toBe(true);
  });

  it("fails the instance (for an operator) when a compensation cannot be done", async () => {
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities({
        shipOrder: () => ({ error: "carrier down" }),
        refundPayment: () => ({ error: "refund refused" }),
      }),
    });
    expect(run.failed).toBe(true);
    expect(run.error).toMatch(/compensation failed after "shipping failed/);
    expect(run.calls.filter((c) => c.name === ACTIVITIES.refundPayment)).toHaveLength(10);
    const lastReport = run.calls.filter((c) => c.name === ACTIVITIES.reportStatus).at(-1);
    expect(lastReport?.input).toMatchObject({ status: "failed", reason: expect.stringMatching(/manual action required/) });
  });

  it("keeps going when a progress report cannot be sent", async () => {
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities({
        reportStatus: (payload) => ((payload as { status: string }).status === "shipped" ? { result: { sent: true } } : { error: "queue unavailable" }),
      }),
    });
    expect(run.output).toMatchObject({ status: "shipped" });
  });

  it("fails the instance (visibly) rather than lose an outcome that cannot be reported", async () => {
    const run = await runOrchestration(fulfillOrder, {
      input,
      activity: activities({ reportStatus: () => ({ error: "queue unavailable" }) }),
    });
    expect(run.completed).toBe(false);
    expect(run.failed).toBe(true);
    expect(run.error).toMatch(/the outcome "shipped" could not be reported/);
  });

  it("answers a cancellation that overtook the creation message: reports cancelled, touches nothing", async () => {
    const run = await runOrchestration(fulfillOrder, {
      input: { kind: "cancelledBeforeStart", orderId: order.orderId, customerId: "cust-1" },
      activity: activities(),
    });
    expect(run.output).toEqual({ status: "cancelled", compensated: [] });
    expect(names(run.calls)).toEqual(["reportStatus"]);
    expect(run.calls[0]!.input).toMatchObject({ orderId: order.orderId, customerId: "cust-1", status: "cancelled" });
  });

  it("rejects an input that is not a fulfillment request", async () => {
    const run = await runOrchestration(fulfillOrder, { input: { kind: "fulfil", order: { orderId: 1 } }, activity: activities() });
    expect(run.failed).toBe(true);
    expect(run.calls).toEqual([]);
  });
});
