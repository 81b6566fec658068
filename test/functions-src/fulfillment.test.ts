/**
 * Fulfillment's starter (queue → one orchestration per order) and activities (stock and shipments in
 * Cosmos DB, the payment back end over HTTP, status reports on orders' queue), against the emulators and
 * a local HTTP server standing in for the existing payment service.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Container } from "@azure/cosmos";
import type { QueueClient } from "@azure/storage-queue";
import type { DurableClient } from "durable-functions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { statusReportSchema } from "../../functions-src/shared/contracts/order-status";
import { TransientError } from "../../functions-src/shared/errors";
import { cosmosClientFromSettings } from "../../functions-src/shared/clients";
import manifest, { STOCK_CONTAINER } from "../../functions-src/fulfillment/service";
import { ACTIVITIES, fulfillmentActivities } from "../../functions-src/fulfillment/src/activities";
import { type FulfillmentDeps, fulfillmentDeps } from "../../functions-src/fulfillment/src/deps";
import { CANCEL_EVENT, type FulfillmentInput, ORCHESTRATION, instanceIdFor } from "../../functions-src/fulfillment/src/orchestrator";
import { type StarterClient, durableStarterClient, starterHandler } from "../../functions-src/fulfillment/src/starter";
import type { StockItem } from "../../functions-src/fulfillment/src/stock";
import { encodeQueueMessage } from "../../functions-src/shared/queue";
import { createDatabase, createQueues, drainJson, drainTexts, emulatorSettings, testContext, unique } from "./support/services";

const database = unique("fulfil");
const queueNames = { inbound: unique("inbound"), status: unique("status") };

interface RecordedRequest {
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: unknown;
}
let paymentServer: Server;
const paymentRequests: RecordedRequest[] = [];
let paymentReply: (path: string, body: Record<string, unknown>) => { status: number; body?: unknown } = () => ({ status: 500 });

let deps: FulfillmentDeps;
let stock: Container;
let poison: QueueClient;
let statusQueue: QueueClient;

const orderId = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
const address = { name: "Ada", line1: "Main St 1", city: "Utrecht", postalCode: "3511", country: "NL" };

async function seed(sku: string, available: number): Promise<void> {
  await stock.items.upsert<StockItem>({ id: sku, sku, available, reservations: {}, updatedAt: new Date().toISOString() });
}
async function stockOf(sku: string): Promise<StockItem> {
  const { resource } = await stock.item(sku, sku).read<StockItem>();
  if (!resource) throw new Error(`no stock item ${sku}`);
  return resource;
}

beforeAll(async () => {
  paymentServer = createServer((req: IncomingMessage, res: ServerResponse) => {
    let text = "";
    req.on("data", (chunk: Buffer) => (text += chunk.toString()));
    req.on("end", () => {
      const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      paymentRequests.push({ path: req.url ?? "", headers: req.headers, body });
      const reply = paymentReply(req.url ?? "", body);
      res.writeHead(reply.status, { "content-type": "application/json" });
      res.end(reply.body === undefined ? "" : JSON.stringify(reply.body));
    });
  });
  await new Promise<void>((resolve) => paymentServer.listen(0, "127.0.0.1", resolve));
  const settings = emulatorSettings({
    COSMOS_DATABASE: database,
    BACKEND_PAYMENT_URL: `http://127.0.0.1:${(paymentServer.address() as AddressInfo).port}/api`,
  });
  await createDatabase(settings, database, manifest.owns.containers);
  [statusQueue, poison] = (await createQueues(settings, queueNames.status, `${queueNames.inbound}-poison`)) as [QueueClient, QueueClient];
  deps = fulfillmentDeps(settings, { queueNames });
  stock = cosmosClientFromSettings(settings).database(database).container(STOCK_CONTAINER);
});

afterAll(async () => {
  await new Promise<void>((resolve) => paymentServer.close(() => resolve()));
});

/** An in-memory durable client: instances by id, with what was started and raised. */
class FakeDurableClient implements StarterClient {
  readonly statuses = new Map<string, string>();
  readonly started: { instanceId: string; input: FulfillmentInput }[] = [];
  readonly raised: { instanceId: string; eventName: string; data: unknown }[] = [];
  failStatus: Error | undefined;
  async status(instanceId: string): Promise<string | undefined> {
    if (this.failStatus) throw this.failStatus;
    return this.statuses.get(instanceId);
  }
  /** Like the extension with `overridableExistingInstanceStates: NonRunningStates`: a running instance
   * refuses a second start, a finished one is silently replaced (so the starter must check first). */
  async start(instanceId: string, input: FulfillmentInput): Promise<void> {
    const existing = this.statuses.get(instanceId);
    if (existing && ["Pending", "Running", "Suspended"].includes(existing)) {
      throw new Error("An orchestration with this instance id already exists and is running");
    }
    this.statuses.set(instanceId, "Pending");
    this.started.push({ instanceId, input });
  }
  async raise(instanceId: string, eventName: string, data: unknown): Promise<void> {
    this.raised.push({ instanceId, eventName, data });
  }
}

function created(id: string): Record<string, unknown> {
  return {
    type: "OrderCreated",
    messageId: unique("msg"),
    occurredAt: "2026-01-01T00:00:00.000Z",
    order: {
      orderId: id,
      customerId: "cust-1",
      items: [{ sku: "SKU-A", quantity: 1, unitPriceMinor: 500 }],
      currency: "EUR",
      totalMinor: 500,
      shippingAddress: address,
    },
  };
}
const cancelledMessage = (id: string): Record<string, unknown> => ({
  type: "OrderCancelled",
  messageId: unique("msg"),
  occurredAt: "2026-01-01T00:00:00.000Z",
  orderId: id,
  customerId: "cust-1",
  reason: "customer",
});

describe("starter (queue order-fulfillment)", () => {
  const deliver = (client: StarterClient, raw: unknown): Promise<void> =>
    starterHandler(() => deps, () => client, queueNames.inbound)(raw, testContext({ triggerMetadata: { id: "q1", dequeueCount: 1 } }).context);

  it("starts one orchestration per order, with the id derived from the order id", async () => {
    const client = new FakeDurableClient();
    const id = orderId(1);
    await deliver(client, created(id));
    expect(client.started).toEqual([{ instanceId: `order-${id}`, input: { kind: "fulfil", order: expect.objectContaining({ orderId: id }) } }]);
    expect(instanceIdFor(id)).toBe(`order-${id}`);
  });

  it("starts nothing for duplicate deliveries (base64 or plain)", async () => {
    const client = new FakeDurableClient();
    const message = created(orderId(2));
    await deliver(client, message);
    await deliver(client, encodeQueueMessage(message));
    await deliver(client, JSON.stringify(message));
    expect(client.started).toHaveLength(1);
  });

  it("never restarts a finished order's orchestration on a late duplicate", async () => {
    for (const status of ["Completed", "Failed", "Terminated"]) {
      const client = new FakeDurableClient();
      const id = orderId(10);
      client.statuses.set(instanceIdFor(id), status);
      await deliver(client, created(id));
      expect(client.started, status).toEqual([]);
    }
  });

  it("tolerates a concurrent duplicate that started the instance between check and start", async () => {
    const client = new FakeDurableClient();
    const id = orderId(3);
    let checks = 0;
    const racing: StarterClient = {
      // Our first check sees no instance; by the time we start, the other delivery has started it.
      status: async (instanceId) => (checks++ === 0 ? undefined : client.status(instanceId)),
      start: async (instanceId, input) => {
        await client.start(instanceId, input); // the other delivery wins...
        throw new Error("409 already exists"); // ...and ours is refused
      },
      raise: (i, e, d) => client.raise(i, e, d),
    };
    await expect(deliver(racing, created(id))).resolves.toBeUndefined();
    expect(client.started).toHaveLength(1);
  });

  it("raises CancelRequested on a running instance", async () => {
    const client = new FakeDurableClient();
    const id = orderId(4);
    client.statuses.set(instanceIdFor(id), "Running");
    await deliver(client, cancelledMessage(id));
    expect(client.raised).toEqual([{ instanceId: `order-${id}`, eventName: CANCEL_EVENT, data: expect.objectContaining({ reason: "customer" }) }]);
  });

  it("records a cancellation that overtook the creation, so the late creation starts nothing", async () => {
    const client = new FakeDurableClient();
    const id = orderId(5);
    await deliver(client, cancelledMessage(id));
    expect(client.started).toEqual([{ instanceId: `order-${id}`, input: { kind: "cancelledBeforeStart", orderId: id, customerId: "cust-1" } }]);
    await deliver(client, created(id));
    expect(client.started).toHaveLength(1);
  });

  it("does not raise on a finished instance", async () => {
    const client = new FakeDurableClient();
    const id = orderId(6);
    client.statuses.set(instanceIdFor(id), "Completed");
    await deliver(client, cancelledMessage(id));
    expect(client.raised).toEqual([]);
    expect(client.started).toEqual([]);
  });

  it("moves invalid messages to the poison queue without starting anything", async () => {
    await drainTexts(poison);
    const client = new FakeDurableClient();
    await deliver(client, { type: "OrderCreated", order: { orderId: "not-a-uuid" } });
    await deliver(client, "%%% not json %%%");
    await deliver(client, { type: "OrderShipped", orderId: orderId(7) });
    expect(client.started).toEqual([]);
    const poisoned = await drainTexts(poison);
    expect(poisoned).toHaveLength(3);
    expect(poisoned[1]).toBe("%%% not json %%%");
  });

  it("refuses, at receipt, duplicate SKU lines and a total that does not match the lines (the contract's one schema)", async () => {
    await drainTexts(poison);
    const client = new FakeDurableClient();
    const base = created(orderId(11)) as { order: Record<string, unknown> };
    const duplicateSkus = { ...base, order: { ...base.order, items: [
      { sku: "SKU-A", quantity: 1, unitPriceMinor: 100 },
      { sku: "SKU-A", quantity: 5, unitPriceMinor: 100 },
    ], totalMinor: 600 } };
    const zeroTotal = { ...base, order: { ...base.order, totalMinor: 0 } };
    await drainJson(statusQueue);
    await deliver(client, duplicateSkus);
    await deliver(client, zeroTotal);
    expect(client.started).toEqual([]);
    expect(await drainTexts(poison)).toHaveLength(2);
    // The order does not wait for ever: orders hears it failed, and why.
    const reports = (await drainJson(statusQueue)).map((m) => statusReportSchema.parse(m));
    expect(reports.map((r) => [r.orderId, r.status])).toEqual([[orderId(11), "failed"], [orderId(11), "failed"]]);
    expect(reports[0]!.reason).toMatch(/duplicate sku SKU-A/);
    expect(reports[1]!.reason).toMatch(/totalMinor 0 does not match the lines/);
    // A refused copy of an order already being fulfilled does not fail it (its outcome will follow).
    client.statuses.set(instanceIdFor(orderId(11)), "Running");
    await deliver(client, zeroTotal);
    expect(await drainJson(statusQueue)).toEqual([]);
    expect(await drainTexts(poison)).toHaveLength(1);
  });

  it("accepts a cancellation whose free-text reason is longer than the contract's bound (truncated, not poisoned)", async () => {
    await drainTexts(poison);
    const client = new FakeDurableClient();
    const id = orderId(12);
    client.statuses.set(instanceIdFor(id), "Running");
    await deliver(client, { ...cancelledMessage(id), reason: "r".repeat(2_000) });
    expect(client.raised).toHaveLength(1);
    expect((client.raised[0]!.data as { reason: string }).reason.length).toBeLessThanOrEqual(500);
    expect(await drainTexts(poison)).toEqual([]);
  });

  it("rethrows when the durable client is unavailable, so the host retries the message", async () => {
    await drainTexts(poison);
    const client = new FakeDurableClient();
    client.failStatus = Object.assign(new Error("Durable Functions extension replied with HTTP 503"), { statusCode: 503 });
    await expect(deliver(client, created(orderId(8)))).rejects.toThrow(/503/);
    expect(await drainTexts(poison)).toEqual([]);
  });

  it("adapts the durable-functions client: its 404 means no instance, other errors propagate", async () => {
    const calls: string[] = [];
    const fake = {
      getStatus: async (instanceId: string) => {
        if (instanceId === "missing") {
          throw new Error("DurableClient error: Durable Functions extension replied with HTTP 404 response.");
        }
        if (instanceId === "broken") throw new Error("DurableClient error: HTTP 500");
        return { runtimeStatus: "Running" };
      },
      startNew: async (name: string, options: { instanceId: string }) => {
        calls.push(`${name}:${options.instanceId}`);
        return options.instanceId;
      },
      raiseEvent: async () => undefined,
    } as unknown as DurableClient;
    const client = durableStarterClient(fake);
    expect(await client.status("missing")).toBeUndefined();
    expect(await client.status("there")).toBe("Running");
    await expect(client.status("broken")).rejects.toThrow(/500/);
    await client.start("order-x", { kind: "cancelledBeforeStart", orderId: orderId(9), customerId: "c" });
    expect(calls).toEqual([`${ORCHESTRATION}:order-x`]);
  });
});

describe("activities", () => {
  const activities = (): ReturnType<typeof fulfillmentActivities> => fulfillmentActivities(() => deps);
  const ctx = (): ReturnType<typeof testContext>["context"] => testContext().context;

  it("reserves stock once per order, even when the activity runs twice", async () => {
    await seed("SKU-R1", 5);
    const input = { orderId: orderId(20), items: [{ sku: "SKU-R1", quantity: 2, unitPriceMinor: 1 }] };
    expect(await activities().reserveStock(input, ctx())).toEqual({ ok: true });
    expect(await activities().reserveStock(input, ctx())).toEqual({ ok: true });
    const item = await stockOf("SKU-R1");
    expect(item.available).toBe(3);
    expect(item.reservations).toEqual({ [orderId(20)]: 2 });
  });

  it("reserves all lines or none: a short line releases the others", async () => {
    await seed("SKU-R2", 5);
    await seed("SKU-R3", 1);
    const result = await activities().reserveStock(
      { orderId: orderId(21), items: [{ sku: "SKU-R2", quantity: 2, unitPriceMinor: 1 }, { sku: "SKU-R3", quantity: 2, unitPriceMinor: 1 }] },
      ctx(),
    );
    expect(result).toEqual({ ok: false, reason: "out-of-stock", sku: "SKU-R3" });
    expect((await stockOf("SKU-R2")).available).toBe(5);
    expect((await stockOf("SKU-R2")).reservations).toEqual({});
    expect(
      await activities().reserveStock({ orderId: orderId(21), items: [{ sku: "SKU-NOPE", quantity: 1, unitPriceMinor: 1 }] }, ctx()),
    ).toEqual({ ok: false, reason: "unknown-sku", sku: "SKU-NOPE" });
  });

  it("gives the last unit to exactly one of two concurrent orders (ETag-guarded)", async () => {
    await seed("SKU-LAST", 1);
    const results = await Promise.all(
      [30, 31].map((n) => activities().reserveStock({ orderId: orderId(n), items: [{ sku: "SKU-LAST", quantity: 1, unitPriceMinor: 1 }] }, ctx())),
    );
    expect(results.filter((r) => (r as { ok: boolean }).ok)).toHaveLength(1);
    expect((await stockOf("SKU-LAST")).available).toBe(0);
  });

  it("releases a reservation (idempotently)", async () => {
    await seed("SKU-REL", 4);
    const input = { orderId: orderId(40), items: [{ sku: "SKU-REL", quantity: 3, unitPriceMinor: 1 }] };
    await activities().reserveStock(input, ctx());
    await activities().releaseStock(input, ctx());
    await activities().releaseStock(input, ctx());
    expect(await stockOf("SKU-REL")).toMatchObject({ available: 4, reservations: {} });
  });

  it("ships once per order and commits the reservation", async () => {
    await seed("SKU-SHIP", 2);
    const input = { orderId: orderId(50), items: [{ sku: "SKU-SHIP", quantity: 1, unitPriceMinor: 1 }], shippingAddress: address };
    await activities().reserveStock(input, ctx());
    const first = (await activities().shipOrder(input, ctx())) as { trackingNumber: string };
    const again = (await activities().shipOrder(input, ctx())) as { trackingNumber: string };
    expect(again.trackingNumber).toBe(first.trackingNumber);
    expect(await stockOf("SKU-SHIP")).toMatchObject({ available: 1, reservations: {} });
  });

  it("reserves the sum of duplicate SKU lines, and releases all of it (the store does not rely on the contract)", async () => {
    await seed("SKU-DUP", 10);
    const lines = [{ sku: "SKU-DUP", quantity: 1 }, { sku: "SKU-DUP", quantity: 5 }];
    expect(await deps.stock.reserve(orderId(41), lines)).toEqual({ ok: true });
    expect(await stockOf("SKU-DUP")).toMatchObject({ available: 4, reservations: { [orderId(41)]: 6 } });
    await deps.stock.release(orderId(41), lines);
    expect(await stockOf("SKU-DUP")).toMatchObject({ available: 10, reservations: {} });
  });

  it("ship and cancel race for the order's one shipments item: exactly one wins, and a blocked order never ships", async () => {
    await seed("SKU-RACE", 100);
    for (let n = 80; n < 90; n++) {
      const input = { orderId: orderId(n), items: [{ sku: "SKU-RACE", quantity: 1, unitPriceMinor: 1 }], shippingAddress: address };
      await activities().reserveStock(input, ctx());
      const [ship, block] = (await Promise.all([
        activities().shipOrder(input, ctx()),
        activities().blockShipment({ orderId: orderId(n) }, ctx()),
      ])) as [{ shipped: boolean; trackingNumber?: string }, { blocked: boolean; trackingNumber?: string }];
      expect(ship.shipped, `order ${n}`).toBe(!block.blocked);
      if (ship.shipped) expect(block.trackingNumber).toBe(ship.trackingNumber);
      // Whatever happens later, the loser's answer never changes.
      expect(((await activities().shipOrder(input, ctx())) as { shipped: boolean }).shipped).toBe(ship.shipped);
      expect(((await activities().blockShipment({ orderId: orderId(n) }, ctx())) as { blocked: boolean }).blocked).toBe(block.blocked);
      // A blocked order's stock stays reserved for the compensation to release (never committed as sold).
      expect((await stockOf("SKU-RACE")).reservations[orderId(n)]).toBe(ship.shipped ? undefined : 1);
    }
  });

  it("charges through the payment back end with an idempotency key", async () => {
    paymentRequests.length = 0;
    paymentReply = () => ({ status: 201, body: { paymentId: "pay-123" } });
    const input = { orderId: orderId(60), customerId: "cust-1", amountMinor: 2500, currency: "EUR" };
    expect(await activities().takePayment(input, ctx())).toEqual({ ok: true, paymentId: "pay-123" });
    expect(paymentRequests).toHaveLength(1);
    expect(paymentRequests[0]!.path).toBe("/api/payments");
    expect(paymentRequests[0]!.headers["idempotency-key"]).toBe(`order-${orderId(60)}-charge`);
    expect(paymentRequests[0]!.body).toEqual(input);
  });

  it("returns a declined payment as an outcome, and throws on transient back-end failures", async () => {
    const input = { orderId: orderId(61), customerId: "cust-1", amountMinor: 1, currency: "EUR" };
    paymentReply = () => ({ status: 402, body: { detail: "card expired" } });
    expect(await activities().takePayment(input, ctx())).toEqual({ ok: false, reason: "declined", detail: "card expired" });
    paymentReply = () => ({ status: 503 });
    await expect(activities().takePayment(input, ctx())).rejects.toBeInstanceOf(TransientError);
    paymentReply = () => ({ status: 200, body: { unexpected: true } });
    await expect(activities().takePayment(input, ctx())).rejects.toBeInstanceOf(TransientError);
  });

  it("refunds with its own idempotency key; 404 means nothing was charged", async () => {
    paymentRequests.length = 0;
    const input = { orderId: orderId(62), amountMinor: 100, currency: "EUR", reason: "timeout" };
    paymentReply = () => ({ status: 200, body: { refundId: "ref-1" } });
    expect(await activities().refundPayment(input, ctx())).toEqual({ refunded: true, refundId: "ref-1" });
    expect(paymentRequests[0]).toMatchObject({ path: "/api/payments/refunds", headers: { "idempotency-key": `order-${orderId(62)}-refund` } });
    paymentReply = () => ({ status: 404 });
    expect(await activities().refundPayment(input, ctx())).toEqual({ refunded: false });
    paymentReply = () => ({ status: 409 });
    await expect(activities().refundPayment(input, ctx())).rejects.toThrow(/refused/);
  });

  it("treats an unreachable payment back end as transient", async () => {
    const settings = emulatorSettings({ COSMOS_DATABASE: database, BACKEND_PAYMENT_URL: "http://127.0.0.1:9/" });
    const offline = fulfillmentActivities(() => fulfillmentDeps(settings, { queueNames }));
    await expect(
      offline.takePayment({ orderId: orderId(63), customerId: "c", amountMinor: 1, currency: "EUR" }, ctx()),
    ).rejects.toBeInstanceOf(TransientError);
  });

  it("reports status to orders' queue in orders' contract, with a deterministic message id", async () => {
    await drainJson(statusQueue);
    const input = { orderId: orderId(70), customerId: "cust-1", status: "paid", occurredAt: "2026-01-01T00:00:00.000Z" };
    await activities().reportStatus(input, ctx());
    await activities().reportStatus(input, ctx());
    const messages = await drainJson(statusQueue);
    expect(messages).toHaveLength(2);
    const parsed = messages.map((m) => statusReportSchema.parse(m));
    expect(parsed[0]).toMatchObject({ type: "FulfillmentStatusReported", orderId: orderId(70), status: "paid" });
    expect(parsed[0]!.messageId).toBe(parsed[1]!.messageId);
  });

  it("every activity the orchestration calls exists", () => {
    expect(Object.keys(activities()).sort()).toEqual(Object.values(ACTIVITIES).sort());
  });
});
