/**
 * Smoke test of a deployed stack, through the API gateway, as the CI identity:
 *   1. GET  {gateway}/orders/v1/health                                  → 200 (anonymous)
 *   2. POST {gateway}/orders/v1/orders                                  → 201 with the order (Bearer token)
 *   3. GET  {gateway}/orders/v1/customers/{customerId}/orders/{orderId} → 200, same order
 *   4. POST {gateway}/orders/v1/customers/{customerId}/orders/{orderId}/cancel → 2xx, status "cancelling"
 *      (a request fulfillment answers; see functions-src/shared/contracts/order-lifecycle.ts)
 *
 * Usage (deploy.yml runs it after `pulumi up`, with `azure/login` done):
 *   npx tsx scripts/smoke.ts --gateway https://<apim>.azure-api.net --scope api://<orders-api>/.default
 *   npx tsx scripts/smoke.ts --gateway https://<apim>.azure-api.net --health-only
 *
 * The token comes from the Azure CLI session `azure/login` opened with the CI identity (OIDC, no secret):
 * `AzureCliCredential` asks for `--scope`, the orders API's application ID URI + `/.default`. The CI
 * identity needs the API's `Orders.Write` and `Orders.Read` app roles (an app role assignment; see
 * docs/DELIVERY.md). The order belongs to the CI identity itself (its token's `oid` is its customer id:
 * callers act only for themselves unless they hold Orders.Support, see docs/GATEWAY.md) and is
 * cancelled at the end; `--customer` names another customer (which then needs Orders.Support).
 * The gateway may still be warming up right after a deployment: each step retries 5xx/network errors.
 */
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { AzureCliCredential } from "@azure/identity";

interface Options {
  readonly gateway: string;
  readonly scope?: string;
  readonly healthOnly: boolean;
  readonly api: string;
  /** @default the token's `oid` (the caller acting for itself) */
  readonly customerId?: string;
  readonly attempts: number;
}

class SmokeError extends Error {}

function options(): Options {
  const { values } = parseArgs({
    options: {
      gateway: { type: "string" },
      scope: { type: "string" },
      "health-only": { type: "boolean", default: false },
      api: { type: "string", default: "orders/v1" },
      customer: { type: "string" },
      attempts: { type: "string", default: "10" },
    },
    strict: true,
  });
  if (!values.gateway || !/^https:\/\//.test(values.gateway)) {
    throw new SmokeError("--gateway https://<apim>.azure-api.net is required (the stack output gatewayUrl)");
  }
  if (!values["health-only"] && !values.scope) {
    throw new SmokeError("--scope api://<orders api>/.default is required unless --health-only");
  }
  return {
    gateway: values.gateway.replace(/\/+$/, ""),
    ...(values.scope ? { scope: values.scope } : {}),
    healthOnly: values["health-only"] === true,
    api: (values.api ?? "orders/v1").replace(/^\/+|\/+$/g, ""),
    ...(values.customer ? { customerId: values.customer } : {}),
    attempts: Math.max(1, Number(values.attempts ?? "10")),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Sends a request, retrying network errors and 5xx (a cold gateway or app) with backoff. */
async function call(o: Options, method: string, path: string, init: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<{ status: number; body: unknown; etag: string | null }> {
  const url = `${o.gateway}/${o.api}${path}`;
  let last = "";
  for (let attempt = 1; attempt <= o.attempts; attempt++) {
    try {
      const res = await fetch(url, {
        method,
        headers: {
          accept: "application/json",
          ...(init.body !== undefined ? { "content-type": "application/json" } : {}),
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...init.headers,
        },
        ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        /* not JSON: keep the text for the message */
      }
      if (res.status < 500) return { status: res.status, body, etag: res.headers.get("etag") };
      last = `HTTP ${res.status}: ${text.slice(0, 300)}`;
    } catch (e) {
      last = (e as Error).message;
    }
    console.log(`  ${method} ${url}: ${last}; retrying (${attempt}/${o.attempts})`);
    await sleep(Math.min(30_000, 2000 * 2 ** (attempt - 1)));
  }
  throw new SmokeError(`${method} ${url} failed after ${o.attempts} attempts: ${last}`);
}

function expect(condition: boolean, message: string): void {
  if (!condition) throw new SmokeError(message);
}

function field(body: unknown, name: string): unknown {
  return body !== null && typeof body === "object" ? (body as Record<string, unknown>)[name] : undefined;
}

/** The `oid` claim of a JWT (read, not verified: the gateway verifies it; we only need our own id). */
function objectIdOf(token: string): string {
  const payload = token.split(".")[1] ?? "";
  const oid = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { oid?: unknown }).oid;
  if (typeof oid !== "string") throw new SmokeError("the access token has no oid claim; pass --customer");
  return oid;
}

async function main(): Promise<void> {
  const o = options();
  console.log(`smoke test through ${o.gateway}/${o.api}`);
  const health = await call(o, "GET", "/health");
  expect(health.status === 200, `health: expected 200, got ${health.status} ${JSON.stringify(health.body)}`);
  console.log("  health ok");
  if (o.healthOnly) return;

  const token = (await new AzureCliCredential().getToken(o.scope!))?.token;
  expect(Boolean(token), `no token for ${o.scope}: is azure/login done, and does the CI identity have the API's roles?`);

  const customerId = o.customerId ?? objectIdOf(token!);
  const order = {
    customerId,
    currency: "EUR",
    items: [{ sku: "SMOKE-TEST", quantity: 1, unitPriceMinor: 100 }],
    shippingAddress: { name: "Smoke Test", line1: "1 Test Street", city: "Testville", postalCode: "0000", country: "NL" },
  };
  const created = await call(o, "POST", "/orders", { token, body: order, headers: { "idempotency-key": randomUUID() } });
  expect(created.status === 201, `create: expected 201, got ${created.status} ${JSON.stringify(created.body)}`);
  const orderId = String(field(created.body, "id") ?? field(created.body, "orderId") ?? "");
  expect(orderId.length > 0, `create: no order id in ${JSON.stringify(created.body)}`);
  console.log(`  created order ${orderId}`);

  const path = `/customers/${encodeURIComponent(customerId)}/orders/${encodeURIComponent(orderId)}`;
  const read = await call(o, "GET", path, { token });
  expect(read.status === 200, `read: expected 200, got ${read.status} ${JSON.stringify(read.body)}`);
  expect((field(read.body, "id") ?? field(read.body, "orderId")) === orderId, `read: another order came back: ${JSON.stringify(read.body)}`);
  console.log("  read it back");

  // A cancellation must name the version it cancels (If-Match: the ETag of the read; 428 without it).
  expect(read.etag !== null, `read: no ETag header in the answer, so the order cannot be cancelled`);
  const cancelled = await call(o, "POST", `${path}/cancel`, { token, headers: { "if-match": read.etag! } });
  expect(cancelled.status >= 200 && cancelled.status < 300, `cancel: expected 2xx, got ${cancelled.status} ${JSON.stringify(cancelled.body)}`);
  // Accepted as a request (202 "cancelling"); "cancelled" if fulfillment already answered.
  expect(
    ["cancelling", "cancelled"].includes(String(field(cancelled.body, "status"))),
    `cancel: expected status "cancelling" or "cancelled", got ${JSON.stringify(cancelled.body)}`,
  );
  console.log("  cancelled it: smoke test passed");
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(`smoke test failed: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(e instanceof SmokeError ? 1 : 2);
  },
);
