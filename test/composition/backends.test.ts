import * as path from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { describe, expect, it } from "vitest";
import { PaymentClient } from "../../functions-src/fulfillment/src/payment";
import { Gateway } from "../../components/api-management";
import { DEFAULT_BACKEND_METHODS, addBackendApis, loadBackendDocument } from "../../composition/backends";
import { evaluate, ofType, testConfig } from "../helpers/plan";

const root = path.resolve(__dirname, "../..");
const TENANT = "11111111-2222-3333-4444-555555555555";

describe("existing back ends behind the gateway (issue 18 items 6, 10)", () => {
  it("exposes a documented back end's real paths, an undocumented one on /* per method, a mock from its examples", async () => {
    const config = testConfig({
      backends: {
        payment: { mock: true, openapi: "backends/payment.openapi.json" },
        billing: { url: "https://billing.fabrikam.com/api", openapi: "backends/payment.openapi.json" },
        ledger: { url: "https://ledger.fabrikam.com" },
      },
    });
    let urls: Record<string, unknown> = {};
    const plan = await evaluate(async () => {
      const gw = new Gateway("gw", {
        names: { prefix: "test", environment: "dev" },
        resourceGroupName: "rg",
        location: "eastus",
        tags: {},
        environment: "dev",
        config: config.apiManagement,
      });
      const raw = addBackendApis(gw, config, TENANT, root);
      urls = Object.fromEntries(await Promise.all(Object.entries(raw).map(async ([k, v]) => [k, await new Promise((r) => (typeof v === "string" ? r(v) : (v as { apply(f: (x: unknown) => void): void }).apply(r)))])));
    });
    expect(urls.billing).toBe("https://billing.fabrikam.com/api");
    expect(urls.ledger).toBe("https://ledger.fabrikam.com");
    expect(String(urls.payment)).toMatch(/^https:\/\/test-gw-d-[a-z0-9]+\.azure-api\.net\/payment\/v1$/);
    const ops = (apiId: string) => ofType(plan, "azure-native:apimanagement:ApiOperation").filter((o) => o.inputs.apiId === apiId).map((o) => `${String(o.inputs.method)} ${String(o.inputs.urlTemplate)}`);
    expect(ops("ledger-v1")).toEqual(DEFAULT_BACKEND_METHODS.map((m) => `${m} /*`));
    // Documented back ends: operations come with the import, each with its role check.
    expect(ops("billing-v1")).toEqual([]);
    const billingPolicies = ofType(plan, "azure-native:apimanagement:ApiOperationPolicy").filter((p) => p.inputs.apiId === "billing-v1");
    expect(billingPolicies.map((p) => p.inputs.operationId)).toEqual(["charge", "refund"]);
    expect(billingPolicies.every((p) => String(p.inputs.value).includes("Billing.Invoke"))).toBe(true);
    // No app registration for the mock: nobody authenticates to it.
    expect(ofType(plan, "azuread:index/application:Application").map((a) => a.name).sort()).toEqual(["billing-backend-api-app", "ledger-backend-api-app"]);
  });

  it("names the config key when the document cannot be read", () => {
    expect(() => loadBackendDocument("payment", "backends/nope.json", root)).toThrow(/serverless-platform:backends\.payment\.openapi: cannot read "backends\/nope\.json" as JSON/);
  });
});

/**
 * Dev works end to end only if what the mock answers is what fulfillment's client accepts: the
 * document's 2xx examples, served the way `mock-response` serves them, go through the real client.
 */
describe("the payment document the dev mock answers from", () => {
  const doc = loadBackendDocument("payment", "backends/payment.openapi.json", root) as {
    paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { example?: unknown }> }> }>>;
  };

  it("is valid OpenAPI 3.0", async () => {
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeDefined();
  });

  it("satisfies the client fulfillment uses, on every path it calls", async () => {
    const base = "https://gw.azure-api.net/payment/v1";
    // What APIM's mock-response does: the operation matched by method and path, its first 2xx example.
    const mockFetch = (async (url: URL | string, init?: RequestInit) => {
      const p = new URL(String(url)).pathname.replace(/^\/payment\/v1/, "");
      const op = doc.paths[p]?.[String(init?.method).toLowerCase()];
      if (!op) return new Response("", { status: 404 });
      const code = Object.keys(op.responses).filter((c) => /^2/.test(c)).sort()[0]!;
      return new Response(JSON.stringify(op.responses[code]!.content!["application/json"]!.example), { status: Number(code) });
    }) as unknown as typeof fetch;
    const client = new PaymentClient(new URL(base), mockFetch);
    await expect(client.charge({ orderId: "o1", customerId: "c1", amountMinor: 100, currency: "EUR" })).resolves.toEqual({ ok: true, paymentId: "pay-mock-0001" });
    await expect(client.refund({ orderId: "o1", amountMinor: 100, currency: "EUR", reason: "x" })).resolves.toEqual({ refunded: true, refundId: "ref-mock-0001" });
  });
});
