/**
 * Benchmark: the cost of the orders `createOrder` handler over the SDK calls it makes.
 *
 * Starts the emulators (the services' test setup code), then creates 1000 orders through the handler
 * (validation, problem mapping, idempotency, outbox) and performs, for 1000 other orders, exactly the
 * SDK calls the handler makes for one creation with an Idempotency-Key:
 *   1. create the idempotency record, 2. create the order, 3. send OrderCreated, 4. mark the outbox sent.
 * The two run interleaved (handler, raw, handler, ...) against the same clients, so emulator warm-up
 * and container growth affect both alike. Prints medians, p95 and totals, and the ratio (target ≤ 1.3x).
 * Asserts nothing. Run alone with `npx tsx scripts/bench/orders.ts [count]`.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent } from "node:https";
import { performance } from "node:perf_hooks";
import { HttpRequest, InvocationContext } from "@azure/functions";
import { createDatabase } from "../../test/functions-src/support/cosmos";
import { startEmulators } from "../../test/functions-src/support/emulators";
import { queueServiceClientFromSettings } from "../../functions-src/shared/clients";
import { encodeQueueMessage } from "../../functions-src/shared/queue";
import { canonicalJson, sha256Hex } from "../../functions-src/shared/util";
import manifest from "../../functions-src/orders/service";
import { ordersContainers, ordersDeps } from "../../functions-src/orders/src/deps";
import { ordersHandlers } from "../../functions-src/orders/src/handlers";
import { CALLER_HEADERS } from "../../functions-src/shared/caller";
import { newOrderDocument, outboxEntry, outboxMessage } from "../../functions-src/orders/src/model";
import type { CreateOrderRequest } from "../../functions-src/orders/src/schemas";

const WARM_UP = 50;

function body(customerId: string): CreateOrderRequest {
  return {
    customerId,
    currency: "EUR",
    items: [
      { sku: "SKU-1", quantity: 2, unitPriceMinor: 1250 },
      { sku: "SKU-2", quantity: 1, unitPriceMinor: 999 },
    ],
    shippingAddress: { name: "Ada", line1: "Main St 1", city: "Utrecht", postalCode: "3511 AA", country: "NL" },
  };
}

function stats(samples: readonly number[]): { median: number; p95: number; total: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { median: at(0.5), p95: at(0.95), total: samples.reduce((a, b) => a + b, 0) };
}

export async function run(count = 1000): Promise<void> {
  const emulators = await startEmulators();
  try {
    // NODE_EXTRA_CA_CERTS cannot be set for this already-running process: trust the certificate here.
    const cosmosAgent = new Agent({ ca: readFileSync(emulators.certFile), keepAlive: true });
    const database = `orders-bench-${randomUUID().slice(0, 8)}`;
    const settings = { ...emulators.settings, COSMOS_DATABASE: database };
    const queueNames = { fulfillment: "bench-fulfillment", status: "bench-status" };
    await createDatabase(settings, database, manifest.owns.containers, cosmosAgent);
    const queue = queueServiceClientFromSettings(settings).getQueueClient(queueNames.fulfillment);
    await queue.createIfNotExists();

    const deps = ordersDeps(settings, { queueNames, cosmosAgent });
    const { createOrder } = ordersHandlers(() => deps);
    const { orders, idempotency } = ordersContainers(settings, { cosmosAgent });
    const context = new InvocationContext({ functionName: "createOrder", logHandler: () => undefined });

    const viaHandler = async (i: number): Promise<void> => {
      const request = new HttpRequest({
        method: "POST",
        url: "http://localhost/api/orders",
        // As the gateway forwards a customer acting for itself (functions-src/shared/caller.ts).
        headers: {
          "content-type": "application/json",
          "idempotency-key": `h-${i}-${randomUUID()}`,
          [CALLER_HEADERS.objectId]: `bench-h-${i % 50}`,
          [CALLER_HEADERS.roles]: "Orders.Write",
        },
        body: { string: JSON.stringify(body(`bench-h-${i % 50}`)) },
      });
      const response = await createOrder(request, context);
      if (response.status !== 201) throw new Error(`handler answered ${response.status}: ${String(response.body)}`);
    };

    const viaSdk = async (i: number): Promise<void> => {
      const order = body(`bench-r-${i % 50}`);
      const now = new Date();
      const orderId = randomUUID();
      const requestHash = sha256Hex(canonicalJson(order));
      await idempotency.items.create({
        id: sha256Hex(`r-${i}-${randomUUID()}`),
        orderId,
        customerId: order.customerId,
        requestHash,
        createdAt: now.toISOString(),
      });
      const entry = outboxEntry(randomUUID(), "OrderCreated", now);
      const doc = newOrderDocument(orderId, order, requestHash, now, entry);
      const created = await orders.items.create(doc);
      await queue.sendMessage(encodeQueueMessage(outboxMessage(doc, entry)));
      await orders
        .item(orderId, order.customerId)
        .replace(
          { ...doc, outbox: [{ ...entry, state: "sent", sentAt: new Date().toISOString() }], outboxPending: false },
          { accessCondition: { type: "IfMatch", condition: created.etag } },
        );
    };

    for (let i = 0; i < WARM_UP; i++) {
      await viaHandler(-i - 1);
      await viaSdk(-i - 1);
    }
    const handlerTimes: number[] = [];
    const sdkTimes: number[] = [];
    for (let i = 0; i < count; i++) {
      let start = performance.now();
      await viaHandler(i);
      handlerTimes.push(performance.now() - start);
      start = performance.now();
      await viaSdk(i);
      sdkTimes.push(performance.now() - start);
      // Keep the queue short: its length does not matter to either path.
      if (i % 250 === 249) await queue.clearMessages();
    }

    const h = stats(handlerTimes);
    const r = stats(sdkTimes);
    const ms = (v: number): string => `${v.toFixed(2).padStart(8)} ms`;
    const s = (v: number): string => `${(v / 1000).toFixed(2).padStart(7)} s`;
    console.log(`orders createOrder x${count} (Idempotency-Key, outbox), Cosmos DB emulator + Azurite, Node ${process.version}`);
    console.log(`                     median          p95      total`);
    console.log(`handler          ${ms(h.median)} ${ms(h.p95)} ${s(h.total)}`);
    console.log(`raw SDK calls    ${ms(r.median)} ${ms(r.p95)} ${s(r.total)}   (4 calls: idempotency create, order create, send, outbox replace)`);
    console.log(`ratio handler/raw: median ${(h.median / r.median).toFixed(2)}x, total ${(h.total / r.total).toFixed(2)}x (target <= 1.3x)`);
  } finally {
    await emulators.stop();
  }
}

if (require.main === module) {
  run(process.argv[2] ? Number(process.argv[2]) : undefined).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
