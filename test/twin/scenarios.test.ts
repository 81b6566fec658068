/**
 * The system run from the dev stack's plan (engine/twin): real bundles, real SDKs, Azurite and the Cosmos
 * DB emulator behind the twin's RBAC proxies, the gateway with user tokens. One twin serves every
 * scenario (starting it is the expensive part); scenarios assert contracts (statuses, HTTP classes,
 * who received what), not exact bodies.
 *
 * "The change feed's events reach the subscriber webhook" is the contract the review found broken
 * (issue 18 item 3): with an EventGrid-schema publisher against a CloudEventSchemaV1_0 topic it fails,
 * quoting the topic's 400. Retry delays (Event Grid's schedule, the change-feed trigger's backoff) are
 * scaled down here so a scenario never waits minutes; the twin's defaults are the documented ones.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Twin, bundlesFor, startStackTwin } from "../../engine/twin";
import type { Plan } from "../../engine/plan-format";
import { grantsWithoutEffect } from "./necessity";
import { createOrder, peek, putRaw, seedStock, waitFor, waitForStatus, callGateway, CUSTOMER, OTHER_CUSTOMER } from "./support";

let twin: Twin;
let plan: Plan;
const shipped: string[] = [];

beforeAll(async () => {
  ({ twin, plan } = await startStackTwin({ stack: "dev", log: () => undefined, eventGridTimeScale: 0.001, retryTimeScale: 0.01 }));
  await seedStock(twin);
}, 120_000);

afterAll(async () => {
  await twin?.stop();
});

describe("orders through the gateway", () => {
  it("refuses a caller without a token, without the operation's role, or without a subscription key", async () => {
    expect((await callGateway(twin, "GET", `/orders/v1/customers/${CUSTOMER}/orders`, { token: null })).status).toBe(401);
    expect((await callGateway(twin, "POST", "/orders/v1/orders", { roles: ["Orders.Read"], body: {} })).status).toBe(403);
    const noKey = await fetch(`${twin.gateway!.url}/orders/v1/customers/${CUSTOMER}/orders`, { headers: { authorization: `Bearer ${twin.userToken("orders", ["Orders.Read"])}` } });
    expect(noKey.status).toBe(401);
    // The apps admit only the gateway's identity (App Service authentication), not a user's token.
    const app = twin.apps.get("orders")!;
    const direct = await fetch(`${app.frontUrl}/api/customers/${CUSTOMER}/orders`, { headers: { authorization: `Bearer ${twin.userToken("orders", ["Orders.Read"])}` } });
    expect(direct.status).toBe(403);
  });

  it("a customer cannot read, list or cancel another customer's orders (404, existence not revealed)", async () => {
    const created = await createOrder(twin);
    expect(created.status, created.text).toBe(201);
    const id = String(created.json.id);
    const etag = created.headers.get("etag")!;
    const asOther = { oid: OTHER_CUSTOMER };
    const read = await callGateway(twin, "GET", `/orders/v1/customers/${CUSTOMER}/orders/${id}`, { ...asOther, roles: ["Orders.Read"] });
    expect(read.status, read.text).toBe(404);
    const missing = await callGateway(twin, "GET", `/orders/v1/customers/${CUSTOMER}/orders/00000000-0000-4000-8000-00000000dead`, { roles: ["Orders.Read"] });
    expect(read.json.type).toBe(missing.json.type);
    const cancel = await callGateway(twin, "POST", `/orders/v1/customers/${CUSTOMER}/orders/${id}/cancel`, { ...asOther, headers: { "if-match": etag } });
    expect(cancel.status, cancel.text).toBe(404);
    // A client-supplied identity header is replaced by the gateway with the validated token's oid.
    const forged = await callGateway(twin, "GET", `/orders/v1/customers/${CUSTOMER}/orders/${id}`, {
      ...asOther,
      roles: ["Orders.Read"],
      headers: { "x-caller-object-id": CUSTOMER },
    });
    expect(forged.status, forged.text).toBe(404);
  });

  it("an order goes created → reserved → paid → shipped", async () => {
    const created = await createOrder(twin);
    expect(created.status, created.text).toBe(201);
    const id = String(created.json.id);
    const done = await waitForStatus(twin, id, "shipped");
    const history = (done.json.statusHistory as { status: string }[]).map((h) => h.status);
    // Reports travel on a Storage queue (no FIFO) and the host runs a batch in parallel: "reserved" and
    // "paid" may arrive after "shipped" and be ignored by orders. The contract: it starts pending, ends shipped.
    expect(history[0]).toBe("pending");
    expect(history.at(-1)).toBe("shipped");
    expect(history).not.toContain("failed");
    shipped.push(id);
    expect(twin.authorizer.denials.map((d) => d.message)).toEqual([]);
  });

  it("payment declined → compensation → order failed", async () => {
    twin.payment.mode = "decline";
    try {
      const created = await createOrder(twin);
      expect(created.status, created.text).toBe(201);
      await waitForStatus(twin, String(created.json.id), "failed");
      expect(twin.payment.calls.some((c) => c.status === 402)).toBe(true);
    } finally {
      twin.payment.mode = "approve";
    }
  });

  it("cancel before payment: the order is cancelled and fulfillment is told", async () => {
    twin.payment.mode = "hang";
    try {
      const created = await createOrder(twin);
      const id = String(created.json.id);
      const reserved = await waitForStatus(twin, id, "reserved");
      const etag = reserved.headers.get("etag");
      expect(etag).toBeTruthy();
      const cancel = await callGateway(twin, "POST", `/orders/v1/customers/${CUSTOMER}/orders/${id}/cancel`, { headers: { "if-match": etag! } });
      // Accepted as a request (202 "cancelling"); fulfillment answers (refund, release) and the order ends "cancelled".
      expect(cancel.status, cancel.text).toBe(202);
      expect(cancel.json.status).toBe("cancelling");
      // The charge is unknown (the back end never answered), so fulfillment refunds before it answers
      // "cancelled": the back end comes back, the refund goes through, the order ends cancelled.
      twin.payment.mode = "approve";
      await waitForStatus(twin, id, "cancelled");
      await waitFor(
        () => (twin.logs.some((l) => l.source === "fulfillment" && l.line.includes(`cancellation raised on order-${id}`)) ? true : undefined),
        () => "fulfillment never raised the cancellation on the order's orchestration",
      );
    } finally {
      twin.payment.mode = "approve";
    }
  });

  it("a malformed message lands in its queue's poison queue, never dropped", async () => {
    for (const queue of ["order-fulfillment", "order-status", "order-notifications"]) await putRaw(twin, queue, Buffer.from("not json {").toString("base64"));
    for (const queue of ["order-fulfillment", "order-status", "order-notifications"]) {
      await waitFor(async () => ((await peek(twin, `${queue}-poison`)).some((t) => t.includes("not json {")) ? true : undefined), () => `nothing in ${queue}-poison`, 15_000);
    }
  });

  it("the change feed's events reach the subscriber webhook (the publisher speaks the topic's input schema)", async () => {
    expect(shipped.length).toBeGreaterThan(0);
    const id = shipped[0]!;
    await waitFor(
      () => (twin.webhook.calls.some((c) => JSON.stringify(c.body).includes(id) && JSON.stringify(c.body).includes("shipped")) ? true : undefined),
      () =>
        `no webhook call for order ${id} (shipped). Event Grid refused: ${twin.eventGrid!.rejected.slice(-1).map((r) => `${r.status} ${r.message}`).join("") || "nothing"}; ` +
        `deliveries: ${JSON.stringify(twin.eventGrid!.deliveries.slice(-2))}`,
      15_000,
    );
  });
});

describe("every data-plane role assignment is necessary", () => {
  it("removing each grant the scenarios used makes a scenario fail on exactly that 403; unused grants are printed", async () => {
    expect(await grantsWithoutEffect(twin)).toEqual([]);
  }, 400_000);
});

describe("contract breaks are caught by running", () => {
  it("a connection setting the trigger reads but the plan does not set stops the app with the setting's name", async () => {
    // Only fulfillment, without QUEUES__queueServiceUri: what a typo in the infrastructure's setting name would do.
    const edited: Plan = {
      ...plan,
      resources: plan.resources
        .filter((r) => r.type !== "azure-native:web:WebApp" || r.name === "fulfillment-app")
        .map((r) => {
          if (r.name !== "fulfillment-app") return r;
          const siteConfig = r.inputs.siteConfig as { appSettings: { name: string }[] };
          return { ...r, inputs: { ...r.inputs, siteConfig: { ...siteConfig, appSettings: siteConfig.appSettings.filter((s) => s.name !== "QUEUES__queueServiceUri") } } };
        }),
    };
    const broken = new Twin({ plan: edited, bundles: bundlesFor(edited), log: () => undefined });
    try {
      await expect(broken.start()).rejects.toThrow(/startFulfillment.*QUEUES__queueServiceUri.*plan does not set/);
    } finally {
      await broken.stop();
    }
  });
});
