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
import { parseArgs } from "node:util";
import type * as TwinModule from "../engine/twin";
import type { Twin } from "../engine/twin";
import type { PaymentMode } from "../engine/twin/stubs";

export const USAGE = `usage: npm run dev -- [--stack <name>] [--port <port>] [--quiet] [--payment <mode>]

Runs the whole system on this machine from the stack's offline plan (docs/LOCAL-DEVELOPMENT.md):
emulators, every Function App and the gateway; prints the gateway URL, a customer token and a request
to paste. Ctrl-C stops everything it started.

  --stack <name>     the stack whose plan to run (default dev)
  --port <port>      the gateway's local port (default 7080)
  --quiet            only errors, warnings and the gateway's access log
  --payment <mode>   the payment back end's answer: approve (default), decline, error or hang
  --help             this text`;

const PAYMENT_MODES: readonly PaymentMode[] = ["approve", "decline", "error", "hang"];

/** The options, or one line saying what is wrong (no stack trace for a mistyped flag). */
function options(argv: readonly string[]): { stack: string; port: number; quiet: boolean; payment?: PaymentMode; help: boolean } | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        stack: { type: "string", default: "dev" },
        port: { type: "string", default: "7080" },
        quiet: { type: "boolean", default: false },
        payment: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    return (error as Error).message;
  }
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) return `--port: expected a port number (1-65535), found "${values.port}"`;
  if (values.payment !== undefined && !PAYMENT_MODES.includes(values.payment as PaymentMode)) {
    return `--payment: expected one of ${PAYMENT_MODES.join(", ")}, found "${values.payment}"`;
  }
  return { stack: values.stack, port, quiet: values.quiet, help: values.help, ...(values.payment ? { payment: values.payment as PaymentMode } : {}) };
}

const parsed = options(process.argv.slice(2));
if (typeof parsed === "string") {
  console.error(`error: ${parsed}\n\n${USAGE}`);
  process.exit(2);
}
if (parsed.help) {
  console.log(USAGE);
  process.exit(0);
}
const { stack, port, quiet, payment } = parsed;
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
    // Loaded only now: --help and a mistyped flag answer without loading the twin.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { startStackTwin } = require("../engine/twin") as typeof TwinModule;
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
