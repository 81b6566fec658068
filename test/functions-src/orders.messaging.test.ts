/**
 * Orders' messaging: the outbox (announce once, recover from failed sends) and the status queue
 * (idempotent, order-insensitive, poison and transient paths), against the emulators.
 */
import { randomUUID } from "node:crypto";
import type { Container } from "@azure/cosmos";
import type { QueueClient } from "@azure/storage-queue";
import { beforeAll, describe, expect, it } from "vitest";
import { encodeQueueMessage } from "../../functions-src/shared/queue";
import manifest from "../../functions-src/orders/service";
import { type OrdersDeps, ordersContainers, ordersDeps } from "../../functions-src/orders/src/deps";
import { ordersHandlers } from "../../functions-src/orders/src/handlers";
import { OUTBOX_CLAIM_MS, type OrderDocument, cancellationRequested, outboxEntry } from "../../functions-src/orders/src/model";
import { fulfillmentActivities } from "../../functions-src/fulfillment/src/activities";
import type { FulfillmentDeps } from "../../functions-src/fulfillment/src/deps";
import { REASON_MAX_LENGTH } from "../../functions-src/shared/contracts/order";
import { relayOutbox } from "../../functions-src/orders/src/outbox";
import { statusUpdatesHandler } from "../../functions-src/orders/src/status-updates";
import { OrdersStore } from "../../functions-src/orders/src/store";
import {
  createDatabase,
  createQueues,
  drainJson,
  drainTexts,
  emulatorSettings,
  request,
  responseJson,
  testContext,
  unique,
} from "./support/services";

const database = unique("orders-msg");
const queueNames = { fulfillment: unique("fulfil"), status: unique("status") };
const settings = emulatorSettings({ COSMOS_DATABASE: database });

let deps: OrdersDeps;
let fulfillmentQueue: QueueClient;
let statusPoison: QueueClient;
let orders: Container;

const address = { name: "Ada", line1: "Main St 1", city: "Utrecht", postalCode: "3511", country: "NL" };

async function createOrder(customerId: string, withDeps: OrdersDeps = deps): Promise<string> {
  const response = await ordersHandlers(() => withDeps).createOrder(
    request({
      method: "POST",
      path: "/orders",
      body: { customerId, currency: "EUR", items: [{ sku: "SKU-1", quantity: 1, unitPriceMinor: 100 }], shippingAddress: address },
    }),
    testContext().context,
  );
  return String(responseJson(response as { body?: unknown }).id);
}

async function read(customerId: string, orderId: string): Promise<OrderDocument> {
  const found = await deps.store.read(customerId, orderId);
  if (!found) throw new Error("order missing");
  return found.doc;
}

function report(orderId: string, customerId: string, status: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    type: "FulfillmentStatusReported",
    messageId: `${orderId}:${status}`,
    orderId,
    customerId,
    status,
    occurredAt: "2026-01-01T00:00:00.000Z",
    ...extra,
  };
}

const applyReport = (raw: unknown, withDeps: OrdersDeps = deps): Promise<void> =>
  statusUpdatesHandler(() => withDeps, queueNames.status)(
    raw,
    testContext({ functionName: "applyStatusReport", triggerMetadata: { id: "m1", dequeueCount: 1 } }).context,
  );

beforeAll(async () => {
  await createDatabase(settings, database, manifest.owns.containers);
  const queues = await createQueues(settings, queueNames.fulfillment, queueNames.status, `${queueNames.status}-poison`);
  fulfillmentQueue = queues[0]!;
  statusPoison = queues[2]!;
  deps = ordersDeps(settings, { queueNames });
  orders = ordersContainers(settings).orders;
});

describe("outbox", () => {
  it("keeps a failed announcement pending and lets the relay send it once the claim lapses", async () => {
    await drainJson(fulfillmentQueue);
    // A queue that does not exist: the send fails, the order is still created (201).
    const unsent = { ...deps, fulfillmentQueue: ordersDeps(settings, { queueNames: { fulfillment: unique("missing") } }).fulfillmentQueue };
    const id = await createOrder("cust-relay", unsent);
    expect((await read("cust-relay", id)).outboxPending).toBe(true);

    // Within the writer's claim the relay leaves it alone (the writer may still be sending).
    expect((await relayOutbox(deps, testContext().context)).sent).toBe(0);
    expect(await drainJson(fulfillmentQueue)).toHaveLength(0);

    const later = { ...deps, clock: () => new Date(Date.now() + OUTBOX_CLAIM_MS + 1_000) };
    const first = await relayOutbox(later, testContext().context);
    expect(first.sent).toBeGreaterThanOrEqual(1);
    const messages = await drainJson(fulfillmentQueue);
    expect(messages.filter((m) => (m as { order?: { orderId?: string } }).order?.orderId === id)).toHaveLength(1);
    const doc = await read("cust-relay", id);
    expect(doc.outboxPending).toBe(false);
    expect(doc.outbox[0]).toMatchObject({ state: "sent", attempts: 1 });

    // Nothing left: a second sweep sends nothing.
    expect((await relayOutbox(later, testContext().context)).sent).toBe(0);
    expect(await drainJson(fulfillmentQueue)).toHaveLength(0);
  });

  it("sends an announcement once when two relays race for it", async () => {
    await drainJson(fulfillmentQueue);
    const unsent = { ...deps, fulfillmentQueue: ordersDeps(settings, { queueNames: { fulfillment: unique("missing") } }).fulfillmentQueue };
    const id = await createOrder("cust-race-relay", unsent);
    const later = { ...deps, clock: () => new Date(Date.now() + OUTBOX_CLAIM_MS + 1_000) };
    await Promise.all([relayOutbox(later, testContext().context), relayOutbox(later, testContext().context)]);
    const messages = (await drainJson(fulfillmentQueue)).filter((m) => (m as { order?: { orderId?: string } }).order?.orderId === id);
    expect(messages).toHaveLength(1);
  });

  it("uses the same message id when an announcement has to be resent", async () => {
    await drainJson(fulfillmentQueue);
    const id = await createOrder("cust-resend");
    const [sent] = (await drainJson(fulfillmentQueue)) as { messageId: string }[];
    // Simulate a crash between send and mark: the entry is pending again with a lapsed claim.
    const current = (await deps.store.read("cust-resend", id))!;
    await deps.store.replace(
      {
        ...current.doc,
        outboxPending: true,
        outbox: current.doc.outbox.map((e) => ({ ...e, state: "pending" as const, claimedUntil: new Date(0).toISOString() })),
      },
      current.etag,
    );
    await relayOutbox(deps, testContext().context);
    const [resent] = (await drainJson(fulfillmentQueue)) as { messageId: string }[];
    expect(resent?.messageId).toBe(sent?.messageId);
  });
});

describe("status reports (queue order-status)", () => {
  it("moves an order forward, ignoring duplicates and late reports", async () => {
    const id = await createOrder("cust-status");
    await applyReport(report(id, "cust-status", "reserved"));
    let doc = await read("cust-status", id);
    expect(doc.status).toBe("reserved");
    const version = doc.statusVersion;

    await applyReport(report(id, "cust-status", "reserved")); // duplicate delivery
    expect((await read("cust-status", id)).statusVersion).toBe(version);

    await applyReport(report(id, "cust-status", "shipped"));
    await applyReport(report(id, "cust-status", "paid")); // late, out of order
    doc = await read("cust-status", id);
    expect(doc.status).toBe("shipped");
    expect(doc.statusHistory.map((h) => h.status)).toEqual(["pending", "reserved", "shipped"]);

    await applyReport(report(id, "cust-status", "failed", { reason: "too late" })); // terminal stays
    expect((await read("cust-status", id)).status).toBe("shipped");
  });

  it("accepts the message as the host hands it over: object, JSON text or base64", async () => {
    const id = await createOrder("cust-encodings");
    await applyReport(JSON.stringify(report(id, "cust-encodings", "reserved")));
    expect((await read("cust-encodings", id)).status).toBe("reserved");
    await applyReport(encodeQueueMessage(report(id, "cust-encodings", "paid")));
    expect((await read("cust-encodings", id)).status).toBe("paid");
  });

  it("records a failure with its reason; a cancelled order stays cancelled", async () => {
    const failedId = await createOrder("cust-failed");
    await applyReport(report(failedId, "cust-failed", "failed", { reason: "out of stock: SKU-1" }));
    expect(await read("cust-failed", failedId)).toMatchObject({ status: "failed", statusReason: "out of stock: SKU-1", previousStatus: "pending" });

    const cancelledId = await createOrder("cust-cancelled");
    const current = (await deps.store.read("cust-cancelled", cancelledId))!;
    await deps.store.replace({ ...current.doc, status: "cancelled" }, current.etag);
    await applyReport(report(cancelledId, "cust-cancelled", "paid"));
    expect((await read("cust-cancelled", cancelledId)).status).toBe("cancelled");
  });

  it("moves an unprocessable message to the poison queue at once (nothing thrown, nothing lost)", async () => {
    await drainTexts(statusPoison);
    const unknownOrder = report("5d6f1c1e-1111-4222-8333-944455556668", "cust-x", "paid");
    await applyReport(unknownOrder);
    await applyReport("this is not json");
    await applyReport({ type: "FulfillmentStatusReported", orderId: "nope" });
    const poisoned = await drainTexts(statusPoison);
    expect(poisoned).toHaveLength(3);
    expect(JSON.parse(poisoned[0]!)).toEqual(unknownOrder);
    expect(poisoned[1]).toBe("this is not json");
    expect(JSON.parse(poisoned[2]!)).toMatchObject({ orderId: "nope" });
  });

  it("rethrows a transient Cosmos DB failure so the host retries (and poisons nothing)", async () => {
    await drainTexts(statusPoison);
    const id = await createOrder("cust-transient");
    const failing = new Proxy(orders, {
      get(target, property, receiver) {
        if (property === "item") {
          return () => ({
            read: () => Promise.reject(Object.assign(new Error("Request rate is large"), { code: 429 })),
          });
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const broken = { ...deps, store: new OrdersStore(failing, ordersContainers(settings).idempotency) };
    const { context, logs } = testContext({ triggerMetadata: { id: "m2", dequeueCount: 2 } });
    await expect(statusUpdatesHandler(() => broken, queueNames.status)(report(id, "cust-transient", "reserved"), context)).rejects.toMatchObject({
      code: 429,
    });
    expect(logs.some((l) => l.level === "warning" && /host will retry/.test(l.text))).toBe(true);
    expect(await drainTexts(statusPoison)).toHaveLength(0);
    // The retried delivery succeeds once Cosmos DB is back.
    await applyReport(report(id, "cust-transient", "reserved"));
    expect((await read("cust-transient", id)).status).toBe("reserved");
  });

  it("rethrows when the poison queue itself cannot be written (the host's retries still apply)", async () => {
    const noPoison = { ...deps, statusPoison: ordersDeps(settings, { queueNames: { status: unique("gone") } }).statusPoison };
    await expect(applyReport("garbage", noPoison)).rejects.toThrow(/neither JSON/);
  });

  it("retries lost optimistic-concurrency races", async () => {
    const id = await createOrder("cust-contention");
    // One concurrent writer changes the order between our read and write, once.
    let raced = false;
    const racing = new Proxy(orders, {
      get(target, property, receiver) {
        if (property === "item") {
          return (itemId: string, pk: string) => {
            const item = target.item(itemId, pk);
            return new Proxy(item, {
              get(t, p, r) {
                if (p === "replace" && !raced) {
                  raced = true;
                  return async (...args: Parameters<typeof item.replace>) => {
                    const { resource } = await t.read<OrderDocument>();
                    await t.replace({ ...resource!, updatedAt: "2026-01-01T00:00:00.000Z" });
                    return t.replace(...args);
                  };
                }
                return Reflect.get(t, p, r) as unknown;
              },
            });
          };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const contended = { ...deps, store: new OrdersStore(racing, ordersContainers(settings).idempotency) };
    await applyReport(report(id, "cust-contention", "reserved"), contended);
    expect(raced).toBe(true);
    expect((await read("cust-contention", id)).status).toBe("reserved");
  });
});

describe("the order lifecycle on orders' side (shared/contracts/order-lifecycle.ts)", () => {
  /** What the cancel handler does: request the cancellation (status cancelling) with its outbox entry. */
  async function requestCancellation(customerId: string, orderId: string): Promise<void> {
    const current = (await deps.store.read(customerId, orderId))!;
    const now = new Date();
    await deps.store.replace(cancellationRequested(current.doc, "changed my mind", outboxEntry(randomUUID(), "OrderCancelled", now), now), current.etag);
  }

  it("a cancellation after 'reserved' never ends 'cancelled' next to a shipment: late 'paid' and 'shipped' resolve it", async () => {
    await drainTexts(statusPoison);
    const id = await createOrder("cust-cancel-race");
    await applyReport(report(id, "cust-cancel-race", "reserved"));
    await requestCancellation("cust-cancel-race", id);
    // Fulfillment had already charged and shipped before it heard of the cancellation.
    await applyReport(report(id, "cust-cancel-race", "paid"));
    expect((await read("cust-cancel-race", id)).status).toBe("cancelling");
    await applyReport(report(id, "cust-cancel-race", "shipped", { reason: "cancellation refused: the order had already shipped" }));
    const doc = await read("cust-cancel-race", id);
    expect(doc.status).toBe("shipped");
    expect(doc.statusReason).toMatch(/cancellation refused/);
    // Neither report vanished: the late "paid" is recorded with why, the "shipped" applied.
    expect(doc.fulfillmentReports).toEqual([
      expect.objectContaining({ status: "reserved", disposition: "applied" }),
      expect.objectContaining({ status: "paid", disposition: "recorded", note: expect.stringMatching(/before the cancellation/) }),
      expect.objectContaining({ status: "shipped", disposition: "applied" }),
    ]);
    expect(await drainTexts(statusPoison)).toHaveLength(0);
  });

  it("a cancellation ends 'cancelled' only when fulfillment confirms it (refunded, released)", async () => {
    const id = await createOrder("cust-cancel-ok");
    await requestCancellation("cust-cancel-ok", id);
    await applyReport(report(id, "cust-cancel-ok", "cancelled"));
    const doc = await read("cust-cancel-ok", id);
    expect(doc.status).toBe("cancelled");
    expect(doc.statusHistory.map((h) => h.status)).toEqual(["pending", "cancelling", "cancelled"]);
  });

  it("records late progress on a finished order and dead-letters a contradicting outcome with the reason", async () => {
    await drainTexts(statusPoison);
    const id = await createOrder("cust-contradiction");
    await requestCancellation("cust-contradiction", id);
    await applyReport(report(id, "cust-contradiction", "cancelled"));
    await applyReport(report(id, "cust-contradiction", "reserved")); // late progress: recorded
    const { context, logs } = testContext({ triggerMetadata: { id: "m9", dequeueCount: 1 } });
    await statusUpdatesHandler(() => deps, queueNames.status)(report(id, "cust-contradiction", "shipped"), context);
    const doc = await read("cust-contradiction", id);
    expect(doc.status).toBe("cancelled");
    expect(doc.fulfillmentReports?.map((r) => [r.status, r.disposition])).toEqual([
      ["cancelled", "applied"],
      ["reserved", "recorded"],
    ]);
    const poisoned = await drainJson(statusPoison);
    expect(poisoned).toEqual([expect.objectContaining({ orderId: id, status: "shipped" })]);
    expect(logs.some((l) => l.level === "error" && /refused: order is cancelled, report is shipped/.test(l.text))).toBe(true);
  });

  it("a redelivered report is recognised by its id and written once", async () => {
    const id = await createOrder("cust-redelivered");
    await applyReport(report(id, "cust-redelivered", "paid"));
    const first = (await deps.store.read("cust-redelivered", id))!;
    await applyReport(report(id, "cust-redelivered", "paid"));
    expect((await deps.store.read("cust-redelivered", id))!.etag).toBe(first.etag);
  });

  it("a failure reason of any length reaches the order, truncated (end to end: activity → queue → orders)", async () => {
    await drainTexts(statusPoison);
    const id = await createOrder("cust-long-reason");
    const statusQueue = (await createQueues(settings, queueNames.status))[0]!;
    await drainTexts(statusQueue);
    const reason = `payment declined: ${"card issuer says no. ".repeat(200)}`;
    // The real activity, as the orchestration calls it (a payload from an older producer, unbounded).
    const activities = fulfillmentActivities(() => ({ statusQueue }) as unknown as FulfillmentDeps);
    await activities.reportStatus(
      { orderId: id, customerId: "cust-long-reason", status: "failed", reason, occurredAt: new Date().toISOString() },
      testContext().context,
    );
    const [sent] = await drainTexts(statusQueue);
    await applyReport(sent);
    // And a report whose producer did not bound it at all is still applied (tolerant reader).
    const id2 = await createOrder("cust-long-reason");
    await applyReport(report(id2, "cust-long-reason", "failed", { reason: "x".repeat(5_000) }));
    for (const orderId of [id, id2]) {
      const doc = await read("cust-long-reason", orderId);
      expect(doc.status).toBe("failed");
      expect(doc.statusReason!.length).toBeLessThanOrEqual(REASON_MAX_LENGTH);
    }
    expect((await read("cust-long-reason", id)).statusReason).toMatch(/^payment declined: card issuer says no\./);
    expect(await drainTexts(statusPoison)).toHaveLength(0);
  });
});
