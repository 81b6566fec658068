/**
 * `npm run dev -- --stack dev`: the whole system on this machine, from the stack's offline plan (see
 * engine/twin and docs/LOCAL-DEVELOPMENT.md). Plans the stack (which bundles every service as `pulumi up`
 * would), starts Azurite, the Cosmos DB emulator, the twin's proxies, Event Grid, every Function App and
 * the gateway; prints the gateway URL, a token for a test customer and a ready-to-paste request; streams
 * each service's logs with its name. Ctrl-C stops everything it started.
 *
 * Options: --stack <name> (default dev), --port <gateway port> (default 7080), --quiet (only errors and
 * the gateway's access log), --payment decline|error|hang (the payment stub's mode).
 */
import { startStackTwin, type Twin } from "../engine/twin";
import type { PaymentMode } from "../engine/twin/stubs";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const stack = arg("stack") ?? "dev";
const port = Number(arg("port") ?? 7080);
const quiet = process.argv.includes("--quiet");
const payment = arg("payment") as PaymentMode | undefined;
const COLORS = [36, 35, 33, 32, 34, 91, 96, 95];
const colorOf = new Map<string, number>();

function print(source: string, line: string): void {
  if (quiet && !/ERROR|WARN/.test(line) && source !== "gateway") return;
  if (!colorOf.has(source)) colorOf.set(source, COLORS[colorOf.size % COLORS.length]!);
  const tty = process.stdout.isTTY;
  const label = source.padEnd(13);
  process.stdout.write(`${tty ? `\x1b[${colorOf.get(source)}m${label}\x1b[0m` : label} | ${line}\n`);
}

async function main(): Promise<void> {
  const started = Date.now();
  print("twin", `planning stack ${stack} (bundles every service as pulumi up would)...`);
  let twin: Twin | undefined;
  let stopping = false;
  const stop = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    print("twin", "stopping...");
    // Least privilege measured by execution: what the plan grants that this session never used.
    if (twin?.apps.size) for (const line of twin.unusedDataActionsReport().split("\n")) print("twin", line);
    await twin?.stop();
    process.exit(code);
  };
  process.on("SIGINT", () => void stop(0));
  process.on("SIGTERM", () => void stop(0));
  try {
    const result = await startStackTwin({ stack, log: print, gatewayPort: port });
    twin = result.twin;
  } catch (error) {
    print("twin", `ERROR could not start: ${(error as Error).message}`);
    await stop(1);
    return;
  }
  if (payment) twin.payment.mode = payment;
  const client = twin.adminCosmos();
  await client.database("fulfillment-db").container("stock").items.upsert({ id: "SKU-1", sku: "SKU-1", available: 1000, reservations: {} });
  client.dispose();
  // The customer id is the token's oid: callers act only for themselves (docs/GATEWAY.md).
  const customerId = "22222222-2222-2222-2222-222222222222";
  const token = twin.userToken("orders", ["Orders.Read", "Orders.Write"], customerId, { name: "Test Customer" });
  const gw = twin.gateway!;
  const body = JSON.stringify({
    customerId,
    currency: "EUR",
    items: [{ sku: "SKU-1", quantity: 1, unitPriceMinor: 1250 }],
    shippingAddress: { name: "Ada", line1: "Main St 1", city: "Utrecht", postalCode: "3511", country: "NL" },
  });
  process.stdout.write(
    [
      "",
      `Twin of stack "${stack}" ready in ${((Date.now() - started) / 1000).toFixed(1)} s (plan + start).`,
      `  gateway:           ${gw.url}   (stands in for ${twin.model.gateway?.gatewayUrl ?? "the gateway"})`,
      `  subscription key:  ${gw.subscriptionKey}`,
      `  customer token:    Orders.Read + Orders.Write, valid 1 h (issuer ${twin.issuer.issuer})`,
      `  webhook received:  ${twin.webhook.url} (logged below as "webhook")`,
      "",
      "Create an order:",
      `  curl -si -X POST ${gw.url}/orders/v1/orders \\`,
      `    -H 'Ocp-Apim-Subscription-Key: ${gw.subscriptionKey}' \\`,
      `    -H 'Authorization: Bearer ${token}' \\`,
      `    -H 'Content-Type: application/json' -H 'Idempotency-Key: demo-'$(date +%s) \\`,
      `    -d '${body}'`,
      "",
      `Then GET /orders/v1/customers/${customerId}/orders/<id> with the same headers. Ctrl-C stops everything.`,
      "",
    ].join("\n"),
  );
  let seen = 0;
  setInterval(() => {
    for (const call of twin!.webhook.calls.slice(seen)) print("webhook", JSON.stringify(call.body));
    seen = twin!.webhook.calls.length;
  }, 500);
}

void main();
