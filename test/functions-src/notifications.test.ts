/**
 * Notifications: the change-feed relay (with the real EventGridPublisherClient against a local HTTPS
 * stand-in for the topic) and the webhook delivery (against a local HTTP receiver), with delivery
 * records in the Cosmos DB emulator and the poison queue in Azurite.
 */
import { readFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import type { AddressInfo } from "node:net";
import type { TokenCredential } from "@azure/identity";
import type { QueueClient } from "@azure/storage-queue";
import { afterAll, beforeAll, describe, expect, it, inject } from "vitest";
import { createEventGridPublisher } from "../../functions-src/shared/clients";
import { ConfigurationError } from "../../functions-src/shared/settings";
import { encodeQueueMessage } from "../../functions-src/shared/queue";
import { newOrderDocument, outboxEntry, applyReport } from "../../functions-src/orders/src/model";
import manifest from "../../functions-src/notifications/service";
import { publishStatusChanges } from "../../functions-src/notifications/src/change-feed";
import { deliveryHandler } from "../../functions-src/notifications/src/delivery";
import { type DeliveryDeps, deliveryDeps } from "../../functions-src/notifications/src/deps";
import { publisherDeps } from "../../functions-src/notifications/src/publisher-deps";
import { WebhookClient } from "../../functions-src/notifications/src/webhook";
import { createDatabase, createQueues, drainTexts, emulatorSettings, testContext, unique } from "./support/services";

interface Received {
  readonly path: string;
  readonly headers: IncomingMessage["headers"];
  readonly body: unknown;
}

function recorder(reply: () => number): { handler: (req: IncomingMessage, res: ServerResponse) => void; received: Received[] } {
  const received: Received[] = [];
  return {
    received,
    handler: (req, res) => {
      let text = "";
      req.on("data", (chunk: Buffer) => (text += chunk.toString()));
      req.on("end", () => {
        const status = reply();
        if (status < 300) received.push({ path: req.url ?? "", headers: req.headers, body: text ? (JSON.parse(text) as unknown) : undefined });
        res.writeHead(status).end();
      });
    },
  };
}

const credential: TokenCredential = {
  getToken: async () => ({ token: "test-token", expiresOnTimestamp: Date.now() + 3_600_000 }),
};

let topicStatus = 200;
const topic = recorder(() => topicStatus);
let topicServer: Server;
let topicEndpoint: string;

let webhookStatus = 200;
const webhook = recorder(() => webhookStatus);
let webhookServer: Server;

const database = unique("notify");
const queueName = unique("notify-q");
let delivery: DeliveryDeps;
let poison: QueueClient;

const address = { name: "Ada", line1: "Main St 1", city: "Utrecht", postalCode: "3511", country: "NL" };

/** An orders document as the change feed hands it over (system properties included). */
function orderDocument(orderId: string, status?: "reserved"): Record<string, unknown> {
  const now = new Date("2026-01-01T10:00:00.000Z");
  let doc = newOrderDocument(
    orderId,
    { customerId: "cust-n", currency: "EUR", items: [{ sku: "SKU-1", quantity: 1, unitPriceMinor: 100 }], shippingAddress: address },
    "hash",
    now,
    outboxEntry("m1", "OrderCreated", now),
  );
  if (status) {
    const outcome = applyReport(
      doc,
      { type: "FulfillmentStatusReported", messageId: "x", orderId, customerId: "cust-n", status, occurredAt: now.toISOString() },
      new Date("2026-01-01T10:00:05.000Z"),
    );
    if (outcome.kind === "apply") doc = outcome.doc;
  }
  return { ...doc, _rid: "abc==", _self: "dbs/x/colls/y/docs/z", _etag: '"0000"', _ts: 1767261600, _lsn: 7 };
}

const orderA = "11111111-1111-4111-8111-111111111111";
const orderB = "22222222-2222-4222-8222-222222222222";

beforeAll(async () => {
  const { certFile, keyFile } = inject("emulators");
  topicServer = createHttpsServer({ cert: readFileSync(certFile), key: readFileSync(keyFile) }, topic.handler);
  await new Promise<void>((resolve) => topicServer.listen(0, "127.0.0.1", resolve));
  topicEndpoint = `https://127.0.0.1:${(topicServer.address() as AddressInfo).port}/api/events`;
  webhookServer = createHttpServer(webhook.handler);
  await new Promise<void>((resolve) => webhookServer.listen(0, "127.0.0.1", resolve));

  const settings = emulatorSettings({
    COSMOS_DATABASE: database,
    NOTIFICATION_WEBHOOK_URL: `http://127.0.0.1:${(webhookServer.address() as AddressInfo).port}/hooks/orders`,
  });
  await createDatabase(settings, database, manifest.owns.containers);
  [poison] = (await createQueues(settings, `${queueName}-poison`)) as [QueueClient];
  delivery = deliveryDeps(settings, { queueName });
});

afterAll(async () => {
  await Promise.all([topicServer, webhookServer].map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

const publisher = (): ReturnType<typeof publisherDeps> =>
  publisherDeps({ TOPIC_ORDER_EVENTS_ENDPOINT: topicEndpoint }, { credential });

type PublishedEvent = { id: string; type: string; source: string; specversion: string; subject: string; dataversion: string; data: Record<string, unknown> };

describe("change feed → OrderStatusChanged on the topic", () => {
  it("publishes one CloudEvents 1.0 event per changed order (the topic's input schema), with an Entra token", async () => {
    topic.received.length = 0;
    const { context } = testContext();
    const result = await publishStatusChanges(publisher(), [orderDocument(orderA), orderDocument(orderB, "reserved")], context);
    expect(result).toEqual({ published: 2, skipped: 0 });
    expect(topic.received).toHaveLength(1);
    expect(topic.received[0]!.headers.authorization).toBe("Bearer test-token");
    expect(topic.received[0]!.headers["content-type"]).toMatch(/^application\/cloudevents-batch\+json/);
    const events = topic.received[0]!.body as PublishedEvent[];
    expect(events.map((e) => e.id)).toEqual([`${orderA}:v1`, `${orderB}:v2`]);
    expect(events[1]).toMatchObject({
      specversion: "1.0",
      type: "OrderStatusChanged",
      source: "/serverless-platform/orders",
      subject: `/customers/cust-n/orders/${orderB}`,
      dataversion: "1.1", // 1.1: status may be "cancelling"
      data: { orderId: orderB, customerId: "cust-n", status: "reserved", previousStatus: "pending", statusVersion: 2 },
    });
    expect(events[0]!.data).not.toHaveProperty("outbox");
  });

  it("publishes a document seen twice in a batch once, and skips (and logs) what is not an order", async () => {
    topic.received.length = 0;
    const { context, logs } = testContext();
    const result = await publishStatusChanges(
      publisher(),
      [orderDocument(orderA), orderDocument(orderA), { id: "lease-or-junk", foo: 1 }],
      context,
    );
    expect(result).toEqual({ published: 1, skipped: 1 });
    expect((topic.received[0]!.body as PublishedEvent[]).map((e) => e.id)).toEqual([`${orderA}:v1`]);
    expect(logs.some((l) => l.level === "error" && /lease-or-junk/.test(l.text))).toBe(true);
  });

  it("throws when the topic refuses the batch, so the trigger retries it (the lease does not move)", async () => {
    // 403: e.g. the identity lacks EventGrid Data Sender (a 503 behaves the same after the SDK's own retries).
    topicStatus = 403;
    try {
      await expect(publishStatusChanges(publisher(), [orderDocument(orderA)], testContext().context)).rejects.toThrow();
    } finally {
      topicStatus = 200;
    }
  });

  it("never sends a bearer token to a non-https endpoint", () => {
    expect(() => createEventGridPublisher("http://127.0.0.1:1/api/events", {}, { credential })).toThrow(ConfigurationError);
  });
});

describe("queue order-notifications → webhook", () => {
  const deliver = (raw: unknown): Promise<void> =>
    deliveryHandler(() => delivery, queueName)(raw, testContext({ triggerMetadata: { id: "n1", dequeueCount: 1 } }).context);

  function event(id: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
    return {
      id,
      eventType: "OrderStatusChanged",
      subject: `/customers/cust-n/orders/${orderA}`,
      eventTime: "2026-01-01T10:00:00.000Z",
      dataVersion: "1.0",
      topic: "/subscriptions/x/resourceGroups/y/providers/Microsoft.EventGrid/topics/order-events",
      data: { orderId: orderA, customerId: "cust-n", status: "paid", statusVersion: 3, changedAt: "2026-01-01T10:00:00.000Z" },
      ...overrides,
    };
  }

  it("delivers a single event with its id as Idempotency-Key", async () => {
    webhook.received.length = 0;
    const id = unique("evt");
    await deliver(event(id));
    expect(webhook.received).toHaveLength(1);
    expect(webhook.received[0]!.path).toBe("/hooks/orders");
    expect(webhook.received[0]!.headers["idempotency-key"]).toBe(id);
    expect(webhook.received[0]!.headers["x-event-type"]).toBe("OrderStatusChanged");
    expect(webhook.received[0]!.body).toMatchObject({ id, type: "OrderStatusChanged", data: { orderId: orderA, status: "paid" } });
  });

  it("accepts base64 or plain text, one event or an array, EventGrid or CloudEvents schema", async () => {
    webhook.received.length = 0;
    const ids = [unique("e"), unique("e"), unique("e"), unique("e")];
    await deliver(encodeQueueMessage([event(ids[0]!), event(ids[1]!)]));
    await deliver(JSON.stringify(event(ids[2]!)));
    const { eventType: _t, eventTime: _e, dataVersion: _d, topic: _p, ...rest } = event(ids[3]!);
    await deliver({ ...rest, type: "OrderStatusChanged", source: "/order-events", specversion: "1.0", time: "2026-01-01T10:00:00Z" });
    expect(webhook.received.map((r) => r.headers["x-event-id"])).toEqual(ids);
  });

  it("delivers a redelivered event only once", async () => {
    webhook.received.length = 0;
    const message = event(unique("dup"));
    await deliver(message);
    await deliver(message);
    await deliver(encodeQueueMessage([message]));
    expect(webhook.received).toHaveLength(1);
  });

  it("rethrows while the webhook is failing transiently, then delivers once it recovers", async () => {
    webhook.received.length = 0;
    await drainTexts(poison);
    const message = event(unique("retry"));
    webhookStatus = 503;
    await expect(deliver(message)).rejects.toThrow(/503/);
    webhookStatus = 200;
    await deliver(message);
    expect(webhook.received).toHaveLength(1);
    expect(await drainTexts(poison)).toEqual([]);
  });

  it("dead-letters what can never be delivered: refused by the receiver, unknown types, bad data, not JSON", async () => {
    await drainTexts(poison);
    webhookStatus = 410;
    try {
      await deliver(event(unique("gone")));
    } finally {
      webhookStatus = 200;
    }
    await deliver(event(unique("t"), { eventType: "Microsoft.Storage.BlobCreated" }));
    await deliver(event(unique("d"), { data: { orderId: "x" } }));
    await deliver("<<not json>>");
    expect(await drainTexts(poison)).toHaveLength(4);
  });

  it("delivers the valid events of a mixed array, then dead-letters the message", async () => {
    webhook.received.length = 0;
    await drainTexts(poison);
    const good = unique("good");
    await deliver([event(good), event(unique("bad"), { data: null })]);
    expect(webhook.received.map((r) => r.headers["x-event-id"])).toEqual([good]);
    expect(await drainTexts(poison)).toHaveLength(1);
  });
});

describe("end to end: change feed → topic → queue → webhook", () => {
  it("delivers what the relay published", async () => {
    topic.received.length = 0;
    webhook.received.length = 0;
    const orderId = "33333333-3333-4333-8333-333333333333";
    await publishStatusChanges(publisher(), [orderDocument(orderId, "reserved")], testContext().context);
    const published = topic.received[0]!.body as PublishedEvent[];
    // The subscription puts each event on the queue (base64, EventGrid schema).
    for (const e of published) {
      await deliveryHandler(() => delivery, queueName)(encodeQueueMessage({ ...e, eventTime: new Date().toISOString() }), testContext().context);
    }
    expect(webhook.received).toHaveLength(1);
    expect(webhook.received[0]!.headers["idempotency-key"]).toBe(`${orderId}:v2`);
    expect(webhook.received[0]!.body).toMatchObject({ data: { orderId, status: "reserved" } });
  });
});

describe("hostile and unlucky deliveries (issue 13, item 7)", () => {
  const event = (id: string, data: Record<string, unknown> = {}): Record<string, unknown> => ({
    id,
    eventType: "OrderStatusChanged",
    subject: `/customers/cust-n/orders/${orderA}`,
    eventTime: "2026-01-01T10:00:00.000Z",
    dataVersion: "1.0",
    data: { orderId: orderA, customerId: "cust-n", status: "paid", statusVersion: 3, changedAt: "2026-01-01T10:00:00.000Z", ...data },
  });

  /** A receiver behind a fake fetch: answers per event id, after a delay, and counts the POSTs. */
  function receiver(answer: (eventId: string) => number, delayMs = 0): { deps: DeliveryDeps; posts: string[] } {
    const posts: string[] = [];
    const fakeFetch = (async (_url: unknown, init?: RequestInit) => {
      const eventId = new Headers(init?.headers).get("x-event-id") ?? "";
      posts.push(eventId);
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return new Response(null, { status: answer(eventId) });
    }) as typeof fetch;
    return { deps: { ...delivery, webhook: new WebhookClient(new URL("https://receiver.example/hooks"), fakeFetch) }, posts };
  }
  const run = (deps: DeliveryDeps, raw: unknown): Promise<void> =>
    deliveryHandler(() => deps, queueName)(raw, testContext({ triggerMetadata: { id: "n9", dequeueCount: 1 } }).context);

  it("dead-letters a message nested thousands of levels deep without throwing, keeping its text", async () => {
    await drainTexts(poison);
    let deep: unknown = "bottom";
    for (let i = 0; i < 20_000; i++) deep = [deep];
    // The host hands over parsed JSON: JSON.stringify of this throws "Maximum call stack size exceeded".
    await expect(run(delivery, deep)).resolves.toBeUndefined();
    const [kept] = await drainTexts(poison);
    expect(kept).toBe(`${"[".repeat(20_000)}"bottom"${"]".repeat(20_000)}`);
  });

  it("refuses at once (no retry) an event whose id cannot be an HTTP header, and any 4xx but 408/429", async () => {
    await drainTexts(poison);
    const { deps, posts } = receiver((id) => (id.startsWith("too-early") ? 425 : id.startsWith("forbidden") ? 403 : 200));
    await expect(run(deps, event("bad\r\nX-Injected: 1"))).resolves.toBeUndefined();
    await expect(run(deps, event(unique("too-early")))).resolves.toBeUndefined();
    await expect(run(deps, event(unique("forbidden")))).resolves.toBeUndefined();
    expect(await drainTexts(poison)).toHaveLength(3);
    expect(posts).toHaveLength(2); // the header-injection attempt never left the process
  });

  it("retries 408, 429 and 5xx", async () => {
    for (const status of [408, 429, 500, 503]) {
      const { deps } = receiver(() => status);
      await expect(run(deps, event(unique(`s${status}`))), String(status)).rejects.toThrow(new RegExp(String(status)));
    }
  });

  it("one refused event does not block the rest of the batch; only it is dead-lettered", async () => {
    await drainTexts(poison);
    const refusedId = unique("refused");
    const okIds = [unique("ok"), unique("ok")];
    const { deps, posts } = receiver((id) => (id === refusedId ? 410 : 200));
    await run(deps, encodeQueueMessage([event(okIds[0]!), event(refusedId), event(okIds[1]!)]));
    expect(posts).toEqual([okIds[0], refusedId, okIds[1]]);
    const poisoned = (await drainTexts(poison)).map((t) => JSON.parse(t) as { id: string });
    expect(poisoned.map((p) => p.id)).toEqual([refusedId]);
    // Redelivering the message posts nothing again: delivered and refused events are both settled.
    await run(deps, encodeQueueMessage([event(okIds[0]!), event(refusedId), event(okIds[1]!)]));
    expect(posts).toHaveLength(3);
  });

  it("concurrent deliveries of one event post it once", async () => {
    const id = unique("concurrent");
    const { deps, posts } = receiver(() => 200, 300);
    const results = await Promise.allSettled(Array.from({ length: 5 }, () => run(deps, event(id))));
    expect(posts).toEqual([id]);
    // The losers were told to retry (not dropped); their retries find the event delivered.
    for (const r of results) if (r.status === "rejected") expect(String(r.reason)).toMatch(/being delivered concurrently/);
    await run(deps, event(id));
    expect(posts).toEqual([id]);
  });

  it("a transient failure releases the claim, so the retry posts at once", async () => {
    const id = unique("flaky");
    let status = 503;
    const { deps, posts } = receiver(() => status);
    await expect(run(deps, event(id))).rejects.toThrow(/503/);
    status = 200;
    await run(deps, event(id));
    expect(posts).toEqual([id, id]);
  });
});
