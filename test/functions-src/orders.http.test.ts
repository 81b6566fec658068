/**
 * The orders HTTP handlers, called directly with real SDK clients against the emulators.
 */
import type { HttpHandler, HttpResponseInit } from "@azure/functions";
import type { Container } from "@azure/cosmos";
import type { QueueClient } from "@azure/storage-queue";
import { beforeAll, describe, expect, it } from "vitest";
import manifest from "../../functions-src/orders/service";
import { type OrdersDeps, ordersContainers, ordersDeps } from "../../functions-src/orders/src/deps";
import { type OrdersHandlers, ordersHandlers } from "../../functions-src/orders/src/handlers";
import type { OrderDocument } from "../../functions-src/orders/src/model";
import { OrdersStore } from "../../functions-src/orders/src/store";
import {
  createDatabase,
  createQueues,
  drainJson,
  emulatorSettings,
  header,
  request,
  responseJson,
  testContext,
  unique,
} from "./support/services";

const database = unique("orders-http");
const queueNames = { fulfillment: unique("fulfil"), status: unique("status") };
const settings = emulatorSettings({ COSMOS_DATABASE: database });

let deps: OrdersDeps;
let api: OrdersHandlers;
let fulfillmentQueue: QueueClient;
let ordersContainer: Container;

function validOrder(customerId = "cust-1", overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customerId,
    currency: "EUR",
    items: [
      { sku: "SKU-1", quantity: 2, unitPriceMinor: 1250 },
      { sku: "SKU-2", quantity: 1, unitPriceMinor: 999 },
    ],
    shippingAddress: { name: "Ada", line1: "Main St 1", city: "Utrecht", postalCode: "3511 AA", country: "NL" },
    ...overrides,
  };
}

async function call(handler: HttpHandler, init: Parameters<typeof request>[0]): Promise<HttpResponseInit> {
  return (await handler(request(init), testContext().context)) as HttpResponseInit;
}

async function create(body: unknown, headers: Record<string, string> = {}): Promise<HttpResponseInit> {
  return call(api.createOrder, { method: "POST", path: "/orders", body: body as object, headers });
}

function expectProblem(response: HttpResponseInit, status: number, type: string, detail?: RegExp): Record<string, unknown> {
  expect(response.status).toBe(status);
  expect(header(response, "content-type")).toBe("application/problem+json");
  const body = responseJson(response);
  expect(body).toMatchObject({ status, type: `/problems/${type}` });
  expect(typeof body.detail).toBe("string");
  if (detail) expect(body.detail).toMatch(detail);
  return body;
}

async function ordersOf(customerId: string): Promise<OrderDocument[]> {
  const { resources } = await ordersContainer.items
    .query<OrderDocument>({ query: "SELECT * FROM c WHERE c.customerId = @c", parameters: [{ name: "@c", value: customerId }] })
    .fetchAll();
  return resources;
}

beforeAll(async () => {
  await createDatabase(settings, database, manifest.owns.containers);
  [fulfillmentQueue] = await createQueues(settings, queueNames.fulfillment, queueNames.status, `${queueNames.status}-poison`);
  deps = ordersDeps(settings, { queueNames });
  api = ordersHandlers(() => deps);
  ordersContainer = ordersContainers(settings).orders;
});

describe("health", () => {
  it("answers 200 without touching any dependency", async () => {
    const offline = ordersHandlers(() => {
      throw new Error("health must not build clients");
    });
    const response = await call(offline.health, { method: "GET", path: "/health" });
    expect(response.status).toBe(200);
    expect(responseJson(response)).toMatchObject({ status: "ok", service: "orders" });
  });
});

describe("POST /orders", () => {
  it("creates the order, announces it once and returns it with Location and ETag", async () => {
    await drainJson(fulfillmentQueue);
    const response = await create(validOrder("cust-create"));
    expect(response.status).toBe(201);
    const body = responseJson(response);
    expect(body).toMatchObject({ customerId: "cust-create", status: "pending", currency: "EUR", totalMinor: 2 * 1250 + 999 });
    expect(body).not.toHaveProperty("outbox");
    expect(body).not.toHaveProperty("requestHash");
    const location = header(response, "location")!;
    expect(new URL(location, "http://localhost/api/orders").pathname).toBe(`/api/customers/cust-create/orders/${String(body.id)}`);
    expect(new URL(location, "https://gateway/orders/v1/orders").pathname).toBe(`/orders/v1/customers/cust-create/orders/${String(body.id)}`);
    const etag = header(response, "etag");
    expect(etag).toMatch(/^".+"$/);

    const messages = await drainJson(fulfillmentQueue);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatchObject({
      type: "OrderCreated",
      order: { orderId: body.id, customerId: "cust-create", totalMinor: 3499, items: body.items },
    });
    const [stored] = await ordersOf("cust-create");
    expect(stored?.outbox).toEqual([expect.objectContaining({ type: "OrderCreated", state: "sent" })]);
    expect(stored?.outboxPending).toBe(false);

    const fetched = await call(api.getOrder, {
      method: "GET",
      path: `/customers/cust-create/orders/${String(body.id)}`,
      params: { customerId: "cust-create", orderId: String(body.id) },
    });
    expect(fetched.status).toBe(200);
    expect(header(fetched, "etag")).toBe(etag);
    expect(responseJson(fetched)).toEqual(body);
  });

  it("makes retries with the same Idempotency-Key safe: one order, one message, the same answer", async () => {
    await drainJson(fulfillmentQueue);
    const key = unique("key");
    const first = await create(validOrder("cust-idem"), { "Idempotency-Key": key });
    const second = await create(validOrder("cust-idem"), { "Idempotency-Key": key });
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(header(second, "idempotent-replayed")).toBe("true");
    expect(header(first, "idempotent-replayed")).toBeUndefined();
    expect(responseJson(second).id).toBe(responseJson(first).id);
    expect(await ordersOf("cust-idem")).toHaveLength(1);
    expect(await drainJson(fulfillmentQueue)).toHaveLength(1);
  });

  it("creates one order for concurrent requests with the same key", async () => {
    await drainJson(fulfillmentQueue);
    const key = unique("race");
    const responses = await Promise.all([1, 2, 3].map(() => create(validOrder("cust-race"), { "Idempotency-Key": key })));
    expect(responses.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(new Set(responses.map((r) => responseJson(r).id)).size).toBe(1);
    expect(await ordersOf("cust-race")).toHaveLength(1);
    expect(await drainJson(fulfillmentQueue)).toHaveLength(1);
  });

  it("rejects a reused key with a different body with 422 and writes nothing", async () => {
    await drainJson(fulfillmentQueue);
    const key = unique("reuse");
    expect((await create(validOrder("cust-reuse"), { "Idempotency-Key": key })).status).toBe(201);
    await drainJson(fulfillmentQueue);
    expectProblem(
      await create(validOrder("cust-reuse", { currency: "USD" }), { "Idempotency-Key": key }),
      422,
      "idempotency-key-reused",
      /different request body/,
    );
    expect(await ordersOf("cust-reuse")).toHaveLength(1);
    expect(await drainJson(fulfillmentQueue)).toHaveLength(0);
  });

  it("scopes Idempotency-Keys per customer: another customer's equal key is a new order, not a 422", async () => {
    const key = unique("shared-key");
    const first = await create(validOrder("cust-key-a"), { "Idempotency-Key": key });
    expect(first.status).toBe(201);
    const second = await create(validOrder("cust-key-b"), { "Idempotency-Key": key });
    expect(second.status).toBe(201);
    expect(header(second, "idempotent-replayed")).toBeUndefined();
    expect(responseJson(second).id).not.toBe(responseJson(first).id);
    // Each customer's replay still answers its own order.
    const replay = await create(validOrder("cust-key-b"), { "Idempotency-Key": key });
    expect(responseJson(replay).id).toBe(responseJson(second).id);
    expect(await ordersOf("cust-key-a")).toHaveLength(1);
    expect(await ordersOf("cust-key-b")).toHaveLength(1);
  });

  it("treats key order and formatting of the same JSON as the same request", async () => {
    const key = unique("canon");
    const body = validOrder("cust-canon");
    expect((await create(body, { "Idempotency-Key": key })).status).toBe(201);
    const reordered = JSON.stringify(Object.fromEntries(Object.entries(body).reverse()), null, 2);
    const again = await call(api.createOrder, {
      method: "POST",
      path: "/orders",
      body: reordered,
      headers: { "content-type": "application/json", "Idempotency-Key": key },
    });
    expect(header(again, "idempotent-replayed")).toBe("true");
  });

  describe("bad input is a 4xx problem, never a 500", () => {
    it("malformed JSON → 400 malformed-json", async () => {
      const response = await call(api.createOrder, {
        method: "POST",
        path: "/orders",
        body: '{"customerId": "c1", ',
        headers: { "content-type": "application/json" },
      });
      expectProblem(response, 400, "malformed-json", /not valid JSON/);
    });

    it("wrong types → 400 with a pointer per field", async () => {
      const body = expectProblem(
        await create(validOrder("c1", { items: [{ sku: "SKU-1", quantity: "two", unitPriceMinor: 1.5 }] })),
        400,
        "validation-failed",
      );
      const pointers = (body.errors as { pointer: string }[]).map((e) => e.pointer);
      expect(pointers).toEqual(expect.arrayContaining(["/items/0/quantity", "/items/0/unitPriceMinor"]));
    });

    it("missing fields → 400 naming them", async () => {
      const { shippingAddress: _drop, ...rest } = validOrder("c1");
      const body = expectProblem(await create({ ...rest, items: [] }), 400, "validation-failed");
      const pointers = (body.errors as { pointer: string }[]).map((e) => e.pointer);
      expect(pointers).toEqual(expect.arrayContaining(["/shippingAddress", "/items"]));
    });

    it("unknown fields (top level and nested) → 400 listing each", async () => {
      const order = validOrder("c1", { coupon: "FREE" });
      (order.items as Record<string, unknown>[])[0]!.quantiy = 3;
      const body = expectProblem(await create(order), 400, "validation-failed", /unknown field/);
      expect(body.errors).toEqual(
        expect.arrayContaining([
          { pointer: "/coupon", message: "unknown field" },
          { pointer: "/items/0/quantiy", message: "unknown field" },
        ]),
      );
    });

    it("duplicate SKUs → 400", async () => {
      const order = validOrder("c1", { items: [{ sku: "SKU-1", quantity: 1, unitPriceMinor: 1 }, { sku: "SKU-1", quantity: 2, unitPriceMinor: 1 }] });
      expectProblem(await create(order), 400, "validation-failed", /duplicate sku SKU-1/);
    });

    it("a JSON array or scalar instead of an object → 400", async () => {
      expectProblem(await create([validOrder()]), 400, "validation-failed");
      expectProblem(
        await call(api.createOrder, { method: "POST", path: "/orders", body: "42", headers: { "content-type": "application/json" } }),
        400,
        "validation-failed",
      );
    });

    it("oversize body → 413, whether declared or streamed", async () => {
      const big = validOrder("c1", { padding: "x".repeat(70 * 1024) });
      expectProblem(await create(big), 413, "payload-too-large", /65536 bytes/);
      const text = JSON.stringify(big);
      expectProblem(
        await call(api.createOrder, {
          method: "POST",
          path: "/orders",
          body: text,
          headers: { "content-type": "application/json", "content-length": String(Buffer.byteLength(text)) },
        }),
        413,
        "payload-too-large",
        new RegExp(`${Buffer.byteLength(text)} bytes`),
      );
    });

    it("wrong or missing content type → 415", async () => {
      const text = JSON.stringify(validOrder());
      expectProblem(
        await call(api.createOrder, { method: "POST", path: "/orders", body: text, headers: { "content-type": "text/plain" } }),
        415,
        "unsupported-media-type",
        /text\/plain/,
      );
      expectProblem(
        await call(api.createOrder, {
          method: "POST",
          path: "/orders",
          body: text,
          headers: { "content-type": "application/json; charset=latin1" },
        }),
        415,
        "unsupported-media-type",
      );
      // application/*+json is JSON too.
      expect(
        (await call(api.createOrder, { method: "POST", path: "/orders", body: text, headers: { "content-type": "application/vnd.orders+json" } }))
          .status,
      ).toBe(201);
    });

    it("empty body → 400; invalid UTF-8 → 400", async () => {
      expectProblem(
        await call(api.createOrder, { method: "POST", path: "/orders", headers: { "content-type": "application/json" } }),
        400,
        "validation-failed",
        /body is required/,
      );
      expectProblem(
        await call(api.createOrder, {
          method: "POST",
          path: "/orders",
          body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
          headers: { "content-type": "application/json" },
        }),
        400,
        "malformed-json",
        /UTF-8/,
      );
    });

    it("an unusable Idempotency-Key → 400", async () => {
      expectProblem(await create(validOrder(), { "Idempotency-Key": "x".repeat(256) }), 400, "validation-failed", /Idempotency-Key/);
    });
  });
});

describe("GET one and the list", () => {
  it("404 for an unknown order, 400 for a malformed id", async () => {
    const unknown = "5d6f1c1e-1111-4222-8333-944455556666";
    expectProblem(
      await call(api.getOrder, { method: "GET", path: `/customers/c1/orders/${unknown}`, params: { customerId: "c1", orderId: unknown } }),
      404,
      "not-found",
      new RegExp(unknown),
    );
    expectProblem(
      await call(api.getOrder, { method: "GET", path: "/customers/c1/orders/nope", params: { customerId: "c1", orderId: "nope" } }),
      400,
      "validation-failed",
    );
  });

  it("304 when If-None-Match carries the current ETag", async () => {
    const created = await create(validOrder("cust-304"));
    const id = String(responseJson(created).id);
    const response = await call(api.getOrder, {
      method: "GET",
      path: `/customers/cust-304/orders/${id}`,
      params: { customerId: "cust-304", orderId: id },
      headers: { "If-None-Match": header(created, "etag")! },
    });
    expect(response.status).toBe(304);
  });

  it("pages a customer's orders with continuation tokens, newest first, and nothing twice", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(String(responseJson(await create(validOrder("cust-pages"))).id));
    const seen: string[] = [];
    const sizes: number[] = [];
    let token: string | null = null;
    do {
      const response: HttpResponseInit = await call(api.listOrders, {
        method: "GET",
        path: "/customers/cust-pages/orders",
        params: { customerId: "cust-pages" },
        query: { limit: "2", ...(token ? { continuationToken: token } : {}) },
      });
      expect(response.status).toBe(200);
      const page = responseJson(response) as { items: { id: string; createdAt: string }[]; continuationToken: string | null };
      sizes.push(page.items.length);
      seen.push(...page.items.map((o) => o.id));
      token = page.continuationToken;
    } while (token);
    expect(sizes).toEqual([2, 2, 1]);
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(new Set(seen).size).toBe(5);
  });

  it("rejects a bad limit and foreign or garbage continuation tokens with 400", async () => {
    const list = (customerId: string, query: Record<string, string>): Promise<HttpResponseInit> =>
      call(api.listOrders, { method: "GET", path: `/customers/${customerId}/orders`, params: { customerId }, query });
    expectProblem(await list("cust-pages", { limit: "0" }), 400, "validation-failed");
    expectProblem(await list("cust-pages", { limit: "ten" }), 400, "validation-failed");
    expectProblem(await list("cust-pages", { continuationToken: "not-a-token" }), 400, "validation-failed", /not a token/);
    const first = responseJson(await list("cust-pages", { limit: "1" }));
    expectProblem(
      await list("cust-else", { continuationToken: String(first.continuationToken) }),
      400,
      "validation-failed",
      /another customer/,
    );
  });
});

describe("cancel (POST .../cancel and DELETE)", () => {
  async function fresh(customerId: string): Promise<{ id: string; etag: string }> {
    const response = await create(validOrder(customerId));
    return { id: String(responseJson(response).id), etag: header(response, "etag")! };
  }
  const cancel = (customerId: string, id: string, headers: Record<string, string>, method = "POST", body?: object): Promise<HttpResponseInit> =>
    call(api.cancelOrder, {
      method,
      path: `/customers/${customerId}/orders/${id}${method === "POST" ? "/cancel" : ""}`,
      params: { customerId, orderId: id },
      headers,
      ...(body ? { body } : {}),
    });

  it("428 without If-Match (or with *), 404 for an unknown order, 412 for a stale ETag", async () => {
    const { id, etag } = await fresh("cust-cancel-pre");
    expectProblem(await cancel("cust-cancel-pre", id, {}), 428, "precondition-required", /If-Match/);
    expectProblem(await cancel("cust-cancel-pre", id, { "If-Match": "*" }), 428, "precondition-required");
    const unknown = "5d6f1c1e-1111-4222-8333-944455556667";
    expectProblem(await cancel("cust-cancel-pre", unknown, { "If-Match": etag }), 404, "not-found");
    expectProblem(await cancel("cust-cancel-pre", id, { "If-Match": '"stale"' }), 412, "precondition-failed", /GET it again/);
    expectProblem(await cancel("cust-cancel-pre", id, { "If-Match": `W/${etag}` }), 412, "precondition-failed");
  });

  it("accepts a cancellation request with the current ETag (202 cancelling), announces it, and answers 409 afterwards", async () => {
    await drainJson(fulfillmentQueue);
    const { id, etag } = await fresh("cust-cancel");
    await drainJson(fulfillmentQueue);
    const response = await cancel("cust-cancel", id, { "If-Match": etag }, "POST", { reason: "changed my mind" });
    // Accepted, not done: only fulfillment knows whether the goods have left (order-lifecycle.ts).
    expect(response.status).toBe(202);
    // The caller's free text stays internal (it may be a support agent's note): the view shows a code.
    expect(responseJson(response)).toMatchObject({
      id,
      status: "cancelling",
      statusReason: "cancellation-requested",
      statusMessage: "Cancellation was requested; the order is being cancelled.",
    });
    const newEtag = header(response, "etag")!;
    expect(newEtag).not.toBe(etag);
    expect(await drainJson(fulfillmentQueue)).toEqual([
      expect.objectContaining({ type: "OrderCancelled", orderId: id, customerId: "cust-cancel", reason: "changed my mind" }),
    ]);
    expectProblem(await cancel("cust-cancel", id, { "If-Match": newEtag }), 409, "state-conflict", /already been requested/);
    // The stale ETag is still a 412 (checked before the state): the caller must re-read first.
    expectProblem(await cancel("cust-cancel", id, { "If-Match": etag }), 412, "precondition-failed");
  });

  it("DELETE cancels too", async () => {
    const { id, etag } = await fresh("cust-delete");
    const response = await cancel("cust-delete", id, { "If-Match": etag }, "DELETE");
    expect(response.status).toBe(202);
    expect(responseJson(response).status).toBe("cancelling");
  });

  async function forceStatus(customerId: string, id: string, status: OrderDocument["status"]): Promise<string> {
    const store = new OrdersStore(ordersContainers(settings).orders, ordersContainers(settings).idempotency);
    const current = (await store.read(customerId, id))!;
    await store.replace({ ...current.doc, status }, current.etag);
    return `"${(await store.read(customerId, id))!.etag.replace(/"/g, "")}"`;
  }

  it("after payment, a cancellation is a request that obliges refund and release (not a 409)", async () => {
    const { id } = await fresh("cust-paid");
    await drainJson(fulfillmentQueue);
    const etag = await forceStatus("cust-paid", id, "paid");
    const response = await cancel("cust-paid", id, { "If-Match": etag });
    expect(response.status).toBe(202);
    expect(responseJson(response)).toMatchObject({ status: "cancelling" });
    expect(await drainJson(fulfillmentQueue)).toEqual([expect.objectContaining({ type: "OrderCancelled", orderId: id })]);
  });

  it("409 with the reason once the order has shipped, failed or been cancelled", async () => {
    for (const status of ["shipped", "failed", "cancelled"] as const) {
      const customer = `cust-${status}`;
      const { id } = await fresh(customer);
      const etag = await forceStatus(customer, id, status);
      expectProblem(await cancel(customer, id, { "If-Match": etag }), 409, "state-conflict", new RegExp(`${status} can no longer be cancelled`));
    }
  });

  it("a bad cancellation body is a 400/415 problem", async () => {
    const { id, etag } = await fresh("cust-cancel-body");
    expectProblem(await cancel("cust-cancel-body", id, { "If-Match": etag }, "POST", { reason: "x", extra: true }), 400, "validation-failed");
    const response = await call(api.cancelOrder, {
      method: "POST",
      path: `/customers/cust-cancel-body/orders/${id}/cancel`,
      params: { customerId: "cust-cancel-body", orderId: id },
      headers: { "If-Match": etag, "content-type": "text/xml" },
      body: "<reason/>",
    });
    expectProblem(response, 415, "unsupported-media-type");
  });
});

describe("dependency failures", () => {
  it("a transient Cosmos DB failure is a 503 problem with Retry-After, not a 500", async () => {
    const failing = new Proxy(ordersContainer, {
      get(target, property, receiver) {
        if (property === "items") {
          return { create: () => Promise.reject(Object.assign(new Error("Service Unavailable"), { code: 503 })) };
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    const broken = ordersHandlers(() => ({ ...deps, store: new OrdersStore(failing, ordersContainers(settings).idempotency) }));
    const response = await broken.createOrder(request({ method: "POST", path: "/orders", body: validOrder("c503") }), testContext().context);
    const problem = expectProblem(response as HttpResponseInit, 503, "temporarily-unavailable");
    expect(header(response as HttpResponseInit, "retry-after")).toBe("2");
    expect(problem.invocationId).toBeTruthy();
  });

  it("an unexpected error is a 500 problem without internals", async () => {
    const broken = ordersHandlers(() => {
      throw new Error("secret connection detail");
    });
    const response = (await broken.createOrder(
      request({ method: "POST", path: "/orders", body: validOrder() }),
      testContext().context,
    )) as HttpResponseInit;
    expectProblem(response, 500, "internal-error");
    expect(String(response.body)).not.toMatch(/secret/);
  });
});
