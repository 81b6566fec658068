import * as path from "node:path";
import { describe, expect, it } from "vitest";
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
