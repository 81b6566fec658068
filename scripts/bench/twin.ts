/**
 * Figures of the local twin (engine/twin), printed against their targets; nothing asserts:
 * - plan (evaluating the stack, which bundles every service) and twin start (emulators, proxies, every app,
 *   the gateway), target: ready ≤ 15 s for both together (what `npm run dev` reports as "ready in");
 * - end-to-end order latency: create through the gateway → shipped (the order document), and → notified
 *   (the subscriber webhook received the shipped event), median over `count` orders run one after another.
 * `npx tsx scripts/bench/twin.ts [count=5] [stack=dev]`, or `npm run bench -- twin`.
 */
import * as os from "node:os";
import { startStackTwin } from "../../engine/twin";

/** The customer is the token's `oid` (orders accepts an order only for the caller's own id). */
const CUSTOMER = "22222222-2222-4222-8222-222222222222";

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const value = await f();
  return [value, performance.now() - t0];
}

export async function run(count = 5, stack = "dev"): Promise<void> {
  const [{ twin, planMs, startMs }] = await timed(() => startStackTwin({ stack, log: () => undefined }));
  const gw = twin.gateway!;
  const headers = (roles: string[]): Record<string, string> => ({
    "ocp-apim-subscription-key": gw.subscriptionKey,
    authorization: `Bearer ${twin.userToken("orders", roles, CUSTOMER)}`,
    "content-type": "application/json",
  });
  try {
    const client = twin.adminCosmos();
    await client.database("fulfillment-db").container("stock").items.upsert({ id: "SKU-B", sku: "SKU-B", available: 100_000, reservations: {} });
    const orders = client.database("orders-db").container("orders");
    const toShipped: number[] = [];
    const toNotified: number[] = [];
    let notifiedFailure = "";
    for (let i = 0; i < count; i++) {
      const t0 = performance.now();
      const created = await fetch(`${gw.url}/orders/v1/orders`, {
        method: "POST",
        headers: { ...headers(["Orders.Write"]), "idempotency-key": `bench-${Date.now()}-${i}` },
        body: JSON.stringify({ customerId: CUSTOMER, currency: "EUR", items: [{ sku: "SKU-B", quantity: 1, unitPriceMinor: 1000 }], shippingAddress: { name: "B", line1: "L", city: "C", postalCode: "1", country: "NL" } }),
      });
      const body = (await created.json()) as { id?: string };
      if (created.status !== 201) throw new Error(`creating an order: HTTP ${created.status} ${JSON.stringify(body)}`);
      const id = String(body.id);
      const deadline = Date.now() + 30_000;
      let shippedAt: number | undefined;
      let notifiedAt: number | undefined;
      while (Date.now() < deadline && (shippedAt === undefined || notifiedAt === undefined)) {
        if (shippedAt === undefined) {
          // Read the document directly: polling through the gateway would hit the product's rate limit (60/min).
          const { resource } = await orders.item(id, CUSTOMER).read<{ status?: string }>();
          if (resource?.status === "shipped") shippedAt = performance.now();
        }
        if (notifiedAt === undefined && twin.webhook.calls.some((c) => JSON.stringify(c.body).includes(id) && JSON.stringify(c.body).includes("shipped"))) notifiedAt = performance.now();
        if (shippedAt !== undefined && notifiedAt === undefined && twin.eventGrid!.rejected.length > 0 && performance.now() - shippedAt > 5_000) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      if (shippedAt !== undefined) toShipped.push(shippedAt - t0);
      else console.log(`order ${id} not shipped within 30 s; last log lines:\n${twin.logs.filter((l) => l.source !== "eventgrid" && !l.line.includes("publishOrderStatusChanges")).slice(-6).map((l) => `  ${l.source}: ${l.line}`).join("\n")}`);
      if (notifiedAt !== undefined) toNotified.push(notifiedAt - t0);
      else notifiedFailure = twin.eventGrid!.rejected.at(-1)?.message ?? "no webhook call within 30 s";
    }
    const median = (xs: number[]): string => (xs.length ? `${([...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]! / 1000).toFixed(2)} s` : "n/a");
    console.log(`twin of stack ${stack}, Node ${process.version}, ${count} orders one after another`);
    console.log(`plan (evaluate + bundle)       ${(planMs / 1000).toFixed(1)} s`);
    console.log(`twin start                     ${(startMs / 1000).toFixed(1)} s`);
    // What `npm run dev` reports as "ready in": the plan and the start, from the command's first step.
    const readyMs = planMs + startMs;
    console.log(`twin ready (plan + start)      ${(readyMs / 1000).toFixed(1)} s   target <= 15 s: ${readyMs <= 15_000 ? "MET" : "MISS"} (load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")})`);
    console.log(`order created -> shipped       median ${median(toShipped)} (${toShipped.length}/${count} reached)`);
    console.log(`order created -> notified      median ${median(toNotified)} (${toNotified.length}/${count} reached)${notifiedFailure ? `\n  not notified: ${notifiedFailure}` : ""}`);
    console.log(`scenario suite (target <= 60 s): npx vitest run --project twin prints its duration`);
    client.dispose();
  } finally {
    await twin.stop();
  }
}

if (require.main === module) {
  run(process.argv[2] ? Number(process.argv[2]) : undefined, process.argv[3]).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}
