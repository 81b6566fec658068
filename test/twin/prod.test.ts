/**
 * The prod stack's plan run by the twin (private endpoints and zone redundancy are not emulated: the
 * data planes are reached on loopback): an order ships through the gateway, malformed messages reach their
 * poison queues, and every data-plane role assignment those paths use is necessary (see ./necessity.ts).
 * The dev stack runs the full scenario list (scenarios.test.ts).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startStackTwin, type Twin } from "../../engine/twin";
import { grantsWithoutEffect } from "./necessity";
import { createOrder, peek, putRaw, seedStock, waitFor, waitForStatus } from "./support";

let twin: Twin;

beforeAll(async () => {
  ({ twin } = await startStackTwin({ stack: "prod", log: () => undefined, eventGridTimeScale: 0.001, retryTimeScale: 0.01 }));
  await seedStock(twin);
}, 180_000);

afterAll(async () => {
  await twin?.stop();
});

describe("prod plan", () => {
  it("an order ships and malformed messages reach their poison queues, with no 403", async () => {
    const created = await createOrder(twin);
    expect(created.status, created.text).toBe(201);
    await waitForStatus(twin, String(created.json.id), "shipped");
    for (const queue of ["order-fulfillment", "order-status", "order-notifications"]) await putRaw(twin, queue, Buffer.from("not json {").toString("base64"));
    for (const queue of ["order-fulfillment", "order-status", "order-notifications"]) {
      await waitFor(async () => ((await peek(twin, `${queue}-poison`)).some((t) => t.includes("not json {")) ? true : undefined), () => `nothing in ${queue}-poison`, 15_000);
    }
    expect(twin.authorizer.denials.map((d) => d.message)).toEqual([]);
  });

  it("every data-plane role assignment those paths used is necessary", async () => {
    expect(await grantsWithoutEffect(twin)).toEqual([]);
  }, 400_000);
});
