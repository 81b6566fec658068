/**
 * The orders API under attack (issue 13, items 1, 2, 3 and 8), against the emulators: per-customer
 * authorization (OWASP API1:2023), customer-facing status reasons, forged continuation tokens, and
 * hostile inputs. Each test failed on the code before these safeguards.
 */
import type { HttpHandler, HttpResponseInit } from "@azure/functions";
import type { Container } from "@azure/cosmos";
import type { QueueClient } from "@azure/storage-queue";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import manifest from "../../functions-src/orders/service";
import { type OrdersDeps, ordersContainers, ordersDeps } from "../../functions-src/orders/src/deps";
import { type OrdersHandlers, ordersHandlers } from "../../functions-src/orders/src/handlers";
import type { OrderDocument } from "../../functions-src/orders/src/model";
import {
  type TestCaller,
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

const database = unique("orders-sec");
const queueNames = { fulfillment: unique("fulfil"), status: unique("status") };
const settings = emulatorSettings({ COSMOS_DATABASE: database });

let deps: OrdersDeps;
let api: OrdersHandlers;
let fulfillmentQueue: QueueClient;
let ordersContainer: Container;

const alice: TestCaller = { id: "0b1f6a4e-aaaa-4bbb-8ccc-000000000001", roles: ["Orders.Read", "Orders.Write"] };
const bob: TestCaller = { id: "0b1f6a4e-aaaa-4bbb-8ccc-000000000002", roles: ["Orders.Read", "Orders.Write"] };
const agent: TestCaller = { id: "0b1f6a4e-aaaa-4bbb-8ccc-0000000000a7", roles: ["Orders.Read", "Orders.Support"] };

function order(customerId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    customerId,
    currency: "EUR",
    items: [{ sku: "SKU-1", quantity: 1, unitPriceMinor: 1250 }],
    shippingAddress: { name: "Ada", line1: "Main St 1", city: "Utrecht", postalCode: "3511 AA", country: "NL" },
    ...overrides,
  };
}

async function call(handler: HttpHandler, init: Parameters<typeof request>[0]): Promise<HttpResponseInit> {
  return (await handler(request(init), testContext().context)) as HttpResponseInit;
}

const create = (caller: TestCaller | null, body: unknown, headers: Record<string, string> = {}): Promise<HttpResponseInit> =>
  call(api.createOrder, { method: "POST", path: "/orders", body: body as object, headers, caller });
const get = (caller: TestCaller | null, customerId: string, orderId: string, handlers: OrdersHandlers = api): Promise<HttpResponseInit> =>
  call(handlers.getOrder, { method: "GET", path: `/customers/${customerId}/orders/${orderId}`, params: { customerId, orderId }, caller });
const list = (caller: TestCaller | null, customerId: string, query: Record<string, string> = {}, handlers: OrdersHandlers = api): Promise<HttpResponseInit> =>
  call(handlers.listOrders, { method: "GET", path: `/customers/${customerId}/orders`, params: { customerId }, query, caller });
const cancel = (caller: TestCaller | null, customerId: string, orderId: string, ifMatch: string, method = "POST"): Promise<HttpResponseInit> =>
  call(api.cancelOrder, {
    method,
    path: `/customers/${customerId}/orders/${orderId}${method === "POST" ? "/cancel" : ""}`,
    params: { customerId, orderId },
    headers: { "If-Match": ifMatch },
    caller,
  });

function expectProblem(response: HttpResponseInit, status: number, type: string): Record<string, unknown> {
  expect(response.status).toBe(status);
  expect(header(response, "content-type")).toBe("application/problem+json");
  const body = responseJson(response);
  expect(body).toMatchObject({ status, type: `/problems/${type}` });
  return body;
}

async function ordersOf(customerId: string): Promise<OrderDocument[]> {
  const { resources } = await ordersContainer.items
    .query<OrderDocument>({ query: "SELECT * FROM c WHERE c.customerId = @c", parameters: [{ name: "@c", value: customerId }] })
    .fetchAll();
  return resources;
}

async function placed(caller: TestCaller, customerId = caller.id): Promise<{ id: string; etag: string }> {
  const response = await create(caller, order(customerId));
  expect(response.status).toBe(201);
  return { id: String(responseJson(response).id), etag: header(response, "etag")! };
}

beforeAll(async () => {
  await createDatabase(settings, database, manifest.owns.containers);
  [fulfillmentQueue] = await createQueues(settings, queueNames.fulfillment, queueNames.status, `${queueNames.status}-poison`);
  deps = ordersDeps(settings, { queueNames });
  api = ordersHandlers(() => deps);
  ordersContainer = ordersContainers(settings).orders;
});

describe("per-customer authorization (OWASP API1:2023 BOLA)", () => {
  it("a customer creates, reads, lists and cancels its own orders", async () => {
    const { id, etag } = await placed(alice);
    expect((await get(alice, alice.id, id)).status).toBe(200);
    const page = responseJson(await list(alice, alice.id)) as { items: { id: string }[] };
    expect(page.items.map((o) => o.id)).toContain(id);
    expect((await cancel(alice, alice.id, id, etag)).status).toBe(202);
  });

  it("reading another customer's order is a 404 indistinguishable from a missing order", async () => {
    const { id } = await placed(alice);
    const foreign = expectProblem(await get(bob, alice.id, id), 404, "not-found");
    const missingId = "5d6f1c1e-1111-4222-8333-944455556667";
    const missing = expectProblem(await get(alice, alice.id, missingId), 404, "not-found");
    const shape = (p: Record<string, unknown>): unknown => ({ type: p.type, title: p.title, status: p.status, detail: String(p.detail).replace(/[0-9a-f-]{36}$/, "<id>") });
    expect(shape(foreign)).toEqual(shape(missing));
    expect(JSON.stringify(foreign)).not.toContain("Ada");
  });

  it("listing another customer's orders is a 404, not their orders", async () => {
    await placed(alice);
    const body = expectProblem(await list(bob, alice.id), 404, "not-found");
    expect(JSON.stringify(body)).not.toContain('"items"');
  });

  it("creating an order for another customer is refused (403) and writes and sends nothing", async () => {
    const victim = unique("victim");
    await drainJson(fulfillmentQueue);
    expectProblem(await create(bob, order(victim)), 403, "forbidden");
    expect(await ordersOf(victim)).toHaveLength(0);
    expect(await drainJson(fulfillmentQueue)).toHaveLength(0);
  });

  it("cancelling another customer's order, even with its current ETag, is a 404 and changes nothing", async () => {
    const { id, etag } = await placed(alice);
    expectProblem(await cancel(bob, alice.id, id, etag), 404, "not-found");
    expectProblem(await cancel(bob, alice.id, id, etag, "DELETE"), 404, "not-found");
    const [stored] = (await ordersOf(alice.id)).filter((o) => o.id === id);
    expect(stored?.status).toBe("pending");
  });

  it("Orders.Support reads and lists any customer's orders, but still needs Orders.Write to cancel", async () => {
    const { id, etag } = await placed(alice);
    expect((await get(agent, alice.id, id)).status).toBe(200);
    expect((await list(agent, alice.id)).status).toBe(200);
    expectProblem(await cancel(agent, alice.id, id, etag), 403, "forbidden");
    const backOffice: TestCaller = { id: "back-office-1", roles: ["Orders.Write", "Orders.Support"] };
    expect((await create(backOffice, order(alice.id))).status).toBe(201);
    expect((await cancel(backOffice, alice.id, id, etag)).status).toBe(202);
  });

  it("without the gateway's identity headers every operation is a 401, before any data is touched", async () => {
    const untouched = ordersHandlers(() => {
      throw new Error("must not build clients for an unidentified caller");
    });
    const id = "5d6f1c1e-1111-4222-8333-944455556667";
    for (const response of [
      await call(untouched.createOrder, { method: "POST", path: "/orders", body: order(alice.id), caller: null }),
      await get(null, alice.id, id, untouched),
      await list(null, alice.id, {}, untouched),
      await call(untouched.cancelOrder, { method: "DELETE", path: "/x", params: { customerId: alice.id, orderId: id }, headers: { "If-Match": '"a"' }, caller: null }),
    ]) {
      expectProblem(response, 401, "unauthenticated");
    }
  });

  it("a forged or doubled identity header is refused, and a caller without the operation's role gets 403", async () => {
    const { id } = await placed(alice);
    // Two identity values (a client header next to the gateway's) arrive joined by a comma: refused.
    const doubled = await call(api.getOrder, {
      method: "GET",
      path: "/x",
      params: { customerId: alice.id, orderId: id },
      headers: { "x-caller-object-id": `${bob.id}, ${alice.id}`, "x-caller-roles": "Orders.Read" },
      caller: null,
    });
    expectProblem(doubled, 401, "unauthenticated");
    const readOnly: TestCaller = { id: alice.id, roles: ["Orders.Read"] };
    expectProblem(await create(readOnly, order(alice.id)), 403, "forbidden");
    expectProblem(await get({ id: alice.id, roles: ["Orders.Write", "Orders.Support"] }, alice.id, id), 403, "forbidden");
  });
});

describe("continuation tokens", () => {
  const customer = "cust-tokens";
  const support: TestCaller = { id: "support-tokens", roles: ["Orders.Read", "Orders.Write", "Orders.Support"] };

  beforeAll(async () => {
    for (let i = 0; i < 3; i++) await placed(support, customer);
  });

  it("a crafted token is a 400 problem, never a 500", async () => {
    const crafted = [
      { v: 1, c: customer, t: '{"compositeToken":' },
      { v: 1, c: customer, t: '[{"compositeToken":"x","orderByItems":[{"item":1}],"rid":"x","skipCount":-1}]' },
      { v: 1, c: customer, t: "-RID:~abc#RT:1#TRC:2" },
    ].map((t) => Buffer.from(JSON.stringify(t), "utf8").toString("base64url"));
    for (const token of crafted) expectProblem(await list(support, customer, { continuationToken: token }), 400, "validation-failed");
  });

  it("a crafted token never reaches the SDK's parser, where it used to become a 500", async () => {
    // The emulator ignores tokens it cannot parse; Cosmos DB's SDK throws on them. Stand in for it.
    const seen: (string | undefined)[] = [];
    const strict = Object.create(deps.store) as OrdersDeps["store"];
    strict.page = async (customerId, limit, token) => {
      seen.push(token);
      if (token !== undefined && !token.startsWith("{")) throw new SyntaxError(`Unexpected token in JSON at position 0: ${token}`);
      return deps.store.page(customerId, limit, token);
    };
    const sdkLike = ordersHandlers(() => ({ ...deps, store: strict }));
    const crafted = Buffer.from(JSON.stringify({ v: 1, c: customer, t: "-RID:~abc#RT:1" }), "utf8").toString("base64url");
    const { context, logs } = testContext();
    const response = (await sdkLike.listOrders(
      request({ method: "GET", path: "/x", params: { customerId: customer }, query: { continuationToken: crafted }, caller: support }),
      context,
    )) as HttpResponseInit;
    expectProblem(response, 400, "validation-failed");
    expect(seen).toEqual([]);
    expect(logs.filter((l) => l.level === "error")).toEqual([]);
  });

  it("a token Cosmos DB rejects (400) is a 400 for the client, not a 500", async () => {
    const first = responseJson(await list(support, customer, { limit: "1" }));
    const rejecting = Object.create(deps.store) as OrdersDeps["store"];
    rejecting.page = async () => {
      throw Object.assign(new Error("Invalid continuation token"), { code: 400 });
    };
    const handlers = ordersHandlers(() => ({ ...deps, store: rejecting }));
    expectProblem(await list(support, customer, { continuationToken: String(first.continuationToken) }, handlers), 400, "validation-failed");
  });

  it("any string is a 400 problem, never a 500 (property)", async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 300 }), async (token) => {
        const response = await list(support, customer, { continuationToken: token });
        expect(response.status).toBe(400);
      }),
      { numRuns: 40 },
    );
  });

  it("a token is valid only for the customer it was issued for, and survives a new instance (shared key)", async () => {
    const first = responseJson(await list(support, customer, { limit: "1" }));
    const token = String(first.continuationToken);
    expectProblem(await list(support, "cust-other-tokens", { continuationToken: token }), 400, "validation-failed");
    const otherInstance = ordersHandlers(() => ordersDeps(settings, { queueNames }));
    const next = await list(support, customer, { limit: "1", continuationToken: token }, otherInstance);
    expect(next.status).toBe(200);
    const items = (responseJson(next) as { items: { id: string }[] }).items;
    expect(items).toHaveLength(1);
    expect(items[0]!.id).not.toBe((first as { items: { id: string }[] }).items[0]!.id);
  });
});

describe("hostile inputs", () => {
  it("a 100 KB Content-Type comes back bounded in the 415", async () => {
    const response = await create(alice, order(alice.id), { "content-type": `text/plain; x=${"A".repeat(100_000)}` });
    expectProblem(response, 415, "unsupported-media-type");
    expect(String(response.body).length).toBeLessThan(1000);
  });

  it("If-Match must be an entity-tag list: trailing garbage or an unquoted tag is a 400 and cancels nothing", async () => {
    const { id, etag } = await placed(alice);
    expectProblem(await cancel(alice, alice.id, id, `garbage ${etag} trailing`), 400, "validation-failed");
    expectProblem(await cancel(alice, alice.id, id, "garbage"), 400, "validation-failed");
    expectProblem(await cancel(alice, alice.id, id, etag.replace(/"/g, "")), 400, "validation-failed");
    const [stored] = (await ordersOf(alice.id)).filter((o) => o.id === id);
    expect(stored?.status).toBe("pending");
  });

  it.each(["0x10", "1e1", " 5 ", "+5", "5.0"])("limit=%j is a 400", async (limit) => {
    expectProblem(await list(alice, alice.id, { limit }), 400, "validation-failed");
  });

  it.each([
    ["name", "Ada\u0000Lovelace"],
    ["line1", "Main St 1\r\nX-Injected: yes"],
    ["city", "Utrecht\ud800"],
    ["name", "\u202eecivni"],
    ["line2", "\u200b\u200b"],
    ["postalCode", "\u2066 3511\u2069"],
  ])("a shipping address %s with hostile characters is a 400 naming the field, and nothing is written", async (field, value) => {
    const customer = unique("hostile");
    const base = order(customer) as { shippingAddress: Record<string, string> };
    const response = await create({ id: customer, roles: ["Orders.Write"] }, { ...base, shippingAddress: { ...base.shippingAddress, [field]: value } });
    const body = expectProblem(response, 400, "validation-failed");
    expect(body.errors).toEqual(expect.arrayContaining([expect.objectContaining({ pointer: `/shippingAddress/${field}` })]));
    expect(await ordersOf(customer)).toHaveLength(0);
  });

  it("a body with a duplicated member name is a 400, not the last value silently", async () => {
    const customer = unique("dup");
    const text = JSON.stringify(order(customer)).replace(/^\{/, `{"customerId":"${bob.id}",`);
    const response = await call(api.createOrder, { method: "POST", path: "/orders", body: text, headers: { "content-type": "application/json" }, caller: { id: customer, roles: ["Orders.Write"] } });
    const body = expectProblem(response, 400, "malformed-json");
    expect(body.errors).toEqual([{ pointer: "/customerId", message: "duplicate member name" }]);
    expect(await ordersOf(customer)).toHaveLength(0);
  });
});

describe("customer-facing status reasons", () => {
  it("internal failure text never reaches the order's HTTP representation", async () => {
    const { id } = await placed(alice);
    const internal = "payment failed: TypeError: fetch failed (connect ECONNREFUSED 10.20.30.40:8443)\n    at node:internal/deps/undici/undici:13502:13";
    const [current] = (await ordersOf(alice.id)).filter((o) => o.id === id);
    const at = new Date().toISOString();
    await ordersContainer.items.upsert<OrderDocument>({
      ...current!,
      status: "failed",
      statusReason: internal,
      statusHistory: [...current!.statusHistory, { status: "failed", at, reason: internal, source: "fulfillment" }],
    });
    const single = await get(alice, alice.id, id);
    const page = await list(alice, alice.id, { limit: "100" });
    for (const response of [single, page]) {
      const text = String(response.body);
      expect(text).not.toMatch(/ECONNREFUSED|10\.20\.30\.40|undici|TypeError/);
    }
    expect(responseJson(single)).toMatchObject({ status: "failed", statusReason: "payment-failed", statusMessage: "The payment could not be completed." });
  });
});
