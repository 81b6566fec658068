import { readFileSync } from "node:fs";
import * as path from "node:path";
import SwaggerParser from "@apidevtools/swagger-parser";
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import {
  Gateway,
  type GatewayArgs,
  MIN_API_VERSION,
  OpenApiError,
  TIERS,
  TierError,
  operationRolesByMethod,
  parseOpenApi,
  wildcardOperations,
} from "../../../components/api-management";
import { type ServiceApiArgs, checkServiceApiArgs } from "../../../components/api-management/service-api";
import type { Plan, PlannedResource } from "../../../engine/plan-format";
import type { StackConfig } from "../../../lib/config";
import { evaluate, one, ofType, testConfig } from "../../helpers/plan";

/** A parsed policy: nested elements, attributes as "@name", text as strings. */
interface XmlTree {
  readonly [key: string]: XmlTree;
}
const widgets = JSON.parse(readFileSync(path.resolve(__dirname, "../../fixtures/openapi/widgets.json"), "utf8")) as Record<string, unknown>;
const TENANT = "11111111-2222-3333-4444-555555555555";
const API_CLIENT = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee";
const ROLES = [{ value: "Widgets.Read" }, { value: "Widgets.Write" }];
const operationRoles = operationRolesByMethod(widgets, { read: ["Widgets.Read"], write: ["Widgets.Write"] });
const T = "azure-native:apimanagement:";
const parser = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", isArray: (n) => ["origin", "audience", "value"].includes(n) });

function apiConfig(overrides: Record<string, unknown> = {}, environment: "dev" | "prod" = "dev"): StackConfig {
  return testConfig({
    environment,
    ...(environment === "prod" ? { tags: { owner: "t", costCenter: "1" } } : {}),
    apiManagement: {
      publisherName: "Team",
      publisherEmail: "team@example.com",
      corsOrigins: ["https://shop.contoso.example"],
      rateLimit: { calls: 60, renewalPeriodSeconds: 60 },
      quota: { calls: 10_000, renewalPeriodSeconds: 2_592_000 },
      samplingPercentage: 25,
      ...overrides,
    },
  });
}

function gatewayArgs(config: StackConfig, extra: Partial<GatewayArgs> = {}): GatewayArgs {
  return {
    names: { prefix: "test", environment: config.environment },
    resourceGroupName: "rg-test",
    location: "eastus",
    tags: { owner: "team", environment: config.environment },
    environment: config.environment,
    config: config.apiManagement,
    appInsights: {
      resourceId: "/subscriptions/s/resourceGroups/rg-test/providers/Microsoft.Insights/components/appi",
      connectionString: "InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://eastus-0.in.applicationinsights.azure.com/",
    },
    workspaceId: "/subscriptions/s/resourceGroups/rg-test/providers/Microsoft.OperationalInsights/workspaces/law",
    ...extra,
  };
}

/** A gateway with the widgets service API and the payment back-end API. */
function program(config: StackConfig): () => void {
  return () => {
    const gw = new Gateway("gw", gatewayArgs(config));
    gw.addServiceApi("widgets", {
      openapi: widgets,
      path: "widgets",
      version: "v1",
      displayName: "Widgets",
      roles: ROLES,
      operationRoles,
      callers: { tenantId: TENANT, audiences: [`api://${API_CLIENT}`, API_CLIENT] },
      backend: { hostName: "test-widgets-d-abcde.azurewebsites.net", routePrefix: "api", appClientId: API_CLIENT },
    });
    gw.addBackendApi("payment", {
      openapi: JSON.stringify(widgets),
      path: "payment",
      version: "v1",
      displayName: "Payment",
      roles: ROLES,
      operationRoles,
      products: ["internal"],
      callers: { tenantId: TENANT, audiences: [API_CLIENT] },
      backend: { url: "https://payments-dev.contoso.example/api" },
    });
  };
}

/** ServiceApi arguments as the Gateway would pass them (for the pure checks). */
function serviceArgs(overrides: Partial<ServiceApiArgs> = {}): ServiceApiArgs {
  return {
    openapi: JSON.stringify(widgets),
    path: "widgets",
    version: "v1",
    displayName: "Widgets",
    roles: ROLES,
    operationRoles,
    callers: { tenantId: TENANT, audiences: [API_CLIENT] },
    backend: { kind: "functionApp", hostName: "h.azurewebsites.net", routePrefix: "api", appClientId: API_CLIENT },
    resourceGroupName: "rg",
    serviceName: "svc",
    sku: "Consumption",
    corsOrigins: ["https://shop.contoso.example"],
    productIds: { public: "public", internal: "internal" },
    ...overrides,
  };
}

const policyOf = (r: PlannedResource): XmlTree => {
  const xml = r.inputs.value as string;
  expect(XMLValidator.validate(xml)).toBe(true);
  return parser.parse(xml) as XmlTree;
};

describe("Gateway (Consumption)", () => {
  let plan: Plan;
  const load = async (): Promise<Plan> => (plan ??= await evaluate(program(apiConfig())));

  it("creates the service with identity, TLS settings, API version floor and tier settings", async () => {
    const svc = one(await load(), `${T}ApiManagementService`);
    expect(svc.inputs).toMatchObject({
      sku: { name: "Consumption", capacity: 0 },
      identity: { type: "SystemAssigned" },
      apiVersionConstraint: { minApiVersion: "2021-08-01" },
      enableClientCertificate: false,
      publicNetworkAccess: "Enabled",
      publisherName: "Team",
      publisherEmail: "team@example.com",
      tags: { owner: "team", environment: "dev" },
    });
    expect(MIN_API_VERSION).toBe("2021-08-01");
    const p = "Microsoft.WindowsAzure.ApiManagement.Gateway.Security";
    // Consumption rejects Protocols.Ssl30 and Ciphers.TripleDes168: only protocol switches are set.
    expect(svc.inputs.customProperties).toEqual({
      [`${p}.Protocols.Tls10`]: "False",
      [`${p}.Protocols.Tls11`]: "False",
      [`${p}.Backend.Protocols.Tls10`]: "False",
      [`${p}.Backend.Protocols.Tls11`]: "False",
      [`${p}.Backend.Protocols.Ssl30`]: "False",
    });
    expect(svc.options.customTimeouts).toEqual({ create: "20m", update: "20m", delete: "20m" });
    expect(String(svc.inputs.serviceName)).toMatch(/^test-gw-d-[a-z0-9]{5}$/);
  });

  it("creates a rate-limited public product and an internal product, both published and approval-only", async () => {
    const p = await load();
    expect(one(p, `${T}Product`, "gw-product-public").inputs).toMatchObject({
      productId: "public",
      subscriptionRequired: true,
      approvalRequired: true,
      state: "published",
    });
    expect(one(p, `${T}Product`, "gw-product-internal").inputs).toMatchObject({
      productId: "internal",
      subscriptionRequired: true,
      approvalRequired: true,
      state: "published",
    });
    const policies = ofType(p, `${T}ProductPolicy`);
    expect(policies.map((r) => r.inputs.productId)).toEqual(["public"]);
    const inbound = policyOf(policies[0]!).policies.inbound;
    expect(inbound["rate-limit"]).toEqual({ "@calls": "60", "@renewal-period": "60" });
    expect(inbound.quota).toEqual({ "@calls": "10000", "@renewal-period": "2592000" });
    expect(policies[0]!.inputs.format).toBe("xml");
  });

  it("logs to Application Insights with the gateway's identity, never a key", async () => {
    const p = await load();
    const svc = one(p, `${T}ApiManagementService`);
    const principalId = (svc.outputs.identity as { principalId: string }).principalId;
    const logger = one(p, `${T}Logger`);
    expect(logger.inputs).toMatchObject({
      loggerId: "appinsights",
      loggerType: "applicationInsights",
      resourceId: "/subscriptions/s/resourceGroups/rg-test/providers/Microsoft.Insights/components/appi",
      credentials: { identityClientId: "SystemAssigned", connectionString: expect.stringContaining("IngestionEndpoint=") },
    });
    expect(Object.keys(logger.inputs.credentials as object).sort()).toEqual(["connectionString", "identityClientId"]);
    const grant = one(p, "azure-native:authorization:RoleAssignment", "gw-appi-publisher");
    expect(grant.inputs.principalId).toBe(principalId);
    expect(String(grant.inputs.roleDefinitionId)).toMatch(/3913510d-42f4-4e42-8a64-420c390055eb$/);
    expect(logger.dependencies).toContain(grant.urn);
    const diag = one(p, `${T}Diagnostic`);
    expect(diag.inputs).toMatchObject({
      loggerId: expect.stringMatching(/\/loggers\/appinsights$/),
      sampling: { samplingType: "fixed", percentage: 25 },
      httpCorrelationProtocol: "W3C",
      logClientIp: false,
    });
  });

  it("sends the service's logs and metrics to the workspace", async () => {
    const p = await load();
    const svc = one(p, `${T}ApiManagementService`);
    const ds = one(p, "azure-native:monitor:DiagnosticSetting", "gw-diag");
    expect(ds.inputs.resourceUri).toMatch(new RegExp(`/providers/Microsoft.ApiManagement/service/${String(svc.outputs.name)}$`));
    expect(ds.propertyDependencies.resourceUri).toEqual([svc.urn]);
  });

  // Issue 18 item 9: Consumption has no Azure Monitor resource logs (Microsoft Learn, feature-based
  // comparison of the API Management tiers): `allLogs` there deploys an empty table.
  it("asks Consumption's diagnostic setting for metrics only, as the tier table says", async () => {
    const ds = one(await load(), "azure-native:monitor:DiagnosticSetting", "gw-diag");
    expect(TIERS.Consumption.resourceLogs).toBe(false);
    expect(ds.inputs.logs ?? []).toEqual([]);
    expect(ds.inputs.metrics).toEqual([{ category: "AllMetrics", enabled: true }]);
  });

  it("imports the service API from OpenAPI into a Segment version set (/widgets/v1), https only, subscription required", async () => {
    const p = await load();
    const vs = one(p, `${T}ApiVersionSet`, "gw-widgets-versions");
    expect(vs.inputs).toMatchObject({ versionSetId: "widgets", versioningScheme: "Segment", displayName: "Widgets" });
    const api = one(p, `${T}Api`, "gw-widgets-api");
    expect(api.inputs).toMatchObject({
      apiId: "widgets-v1",
      path: "widgets",
      apiVersion: "v1",
      apiVersionSetId: expect.stringMatching(/\/service\/test-gw-d-[a-z0-9]{5}\/apiVersionSets\/widgets$/),
      apiRevision: "1",
      protocols: ["https"],
      subscriptionRequired: true,
      format: "openapi+json",
      serviceUrl: "https://test-widgets-d-abcde.azurewebsites.net/api",
    });
    expect(JSON.parse(api.inputs.value as string)).toEqual(widgets);
    const links = ofType(p, `${T}ProductApiLink`).filter((l) => l.parent === one(p, "serverless-platform:apimanagement:ServiceApi", "gw-widgets").urn);
    expect(links.map((l) => l.inputs.productId).sort()).toEqual(["internal", "public"]);
    for (const l of links) expect(l.inputs.apiId).toMatch(/\/apis\/widgets-v1$/);
    expect(api.propertyDependencies.apiVersionSetId).toEqual([vs.urn]);
  });

  it("validates caller tokens at the API and routes to the Function App", async () => {
    const p = await load();
    const policy = ofType(p, `${T}ApiPolicy`).find((r) => r.inputs.apiId === "widgets-v1")!;
    // The documents are XML-escaped by the builders: format "xml" (issue 18 item 1; policy apim-policy-document).
    expect(policy.inputs.format).toBe("xml");
    const inbound = policyOf(policy).policies.inbound;
    expect(inbound.cors["allowed-origins"].origin).toEqual(["https://shop.contoso.example"]);
    const jwt = inbound["validate-jwt"];
    expect(jwt["openid-config"]["@url"]).toBe(`https://login.microsoftonline.com/${TENANT}/v2.0/.well-known/openid-configuration`);
    expect(jwt.audiences.audience).toEqual([`api://${API_CLIENT}`, API_CLIENT]);
    expect(inbound["set-backend-service"]["@base-url"]).toBe("https://test-widgets-d-abcde.azurewebsites.net/api");
    expect(inbound["authentication-managed-identity"]).toBeUndefined();
  });

  it("requires the mapped roles per operation and calls the back end with the gateway's identity", async () => {
    const p = await load();
    const ops = ofType(p, `${T}ApiOperationPolicy`).filter((r) => r.inputs.apiId === "widgets-v1");
    const byOp = Object.fromEntries(ops.map((r) => [r.inputs.operationId as string, policyOf(r).policies.inbound]));
    expect(Object.keys(byOp).sort()).toEqual(["createWidget", "deleteWidget", "getWidget", "listWidgets"]);
    expect(byOp.listWidgets["validate-jwt"]["required-claims"].claim.value).toEqual(["Widgets.Read"]);
    expect(byOp.getWidget["validate-jwt"]["required-claims"].claim.value).toEqual(["Widgets.Read"]);
    expect(byOp.createWidget["validate-jwt"]["required-claims"].claim.value).toEqual(["Widgets.Write"]);
    expect(byOp.deleteWidget["validate-jwt"]["required-claims"].claim.value).toEqual(["Widgets.Write"]);
    for (const inbound of Object.values(byOp)) {
      expect(inbound["validate-jwt"]["@failed-validation-httpcode"]).toBe("403");
      expect(inbound["authentication-managed-identity"]["@resource"]).toBe(API_CLIENT);
    }
    // No function key anywhere in the API's policies.
    for (const r of [...ops, ...ofType(p, `${T}ApiPolicy`)]) expect(String(r.inputs.value)).not.toMatch(/x-functions-key|[?&]code=/i);
  });

  it("puts the existing payment back end behind a Backend entity, without a circuit breaker on Consumption", async () => {
    const p = await load();
    const backend = one(p, `${T}Backend`);
    expect(backend.inputs).toMatchObject({
      backendId: "gw-payment",
      url: "https://payments-dev.contoso.example/api",
      protocol: "http",
      tls: { validateCertificateChain: true, validateCertificateName: true },
    });
    expect(backend.inputs.circuitBreaker).toBeUndefined();
    const policy = ofType(p, `${T}ApiPolicy`).find((r) => r.inputs.apiId === "payment-v1")!;
    const inbound = policyOf(policy).policies.inbound;
    expect(inbound["set-backend-service"]["@backend-id"]).toBe("gw-payment");
    expect(inbound["validate-jwt"].audiences.audience).toEqual([API_CLIENT]);
    const links = ofType(p, `${T}ProductApiLink`).filter((l) => l.inputs.apiLinkId === "payment-v1");
    expect(links.map((l) => l.inputs.productId)).toEqual(["internal"]);
    // An external back end gets no gateway token unless one is configured.
    const op = ofType(p, `${T}ApiOperationPolicy`).find((r) => r.inputs.apiId === "payment-v1")!;
    expect(policyOf(op).policies.inbound["authentication-managed-identity"]).toBeUndefined();
  });
});

describe("Gateway (v2 tiers)", () => {
  it("StandardV2: capacity at least 1, long timeouts, rate-limit-by-key, circuit breaker on the back end", async () => {
    const plan = await evaluate(program(apiConfig({ sku: "StandardV2" })));
    const svc = one(plan, `${T}ApiManagementService`);
    expect(svc.inputs.sku).toEqual({ name: "StandardV2", capacity: 1 });
    expect(svc.inputs.enableClientCertificate).toBe(false);
    expect(svc.options.customTimeouts).toEqual({ create: "60m", update: "60m", delete: "45m" });
    expect(Object.keys(svc.inputs.customProperties as object).some((k) => k.includes("Ciphers"))).toBe(false);
    // v2 tiers have resource logs: the diagnostic setting asks for them.
    expect(one(plan, "azure-native:monitor:DiagnosticSetting", "gw-diag").inputs.logs).toEqual([{ categoryGroup: "allLogs", enabled: true }]);
    const inbound = policyOf(one(plan, `${T}ProductPolicy`)).policies.inbound;
    expect(inbound["rate-limit-by-key"]).toEqual({ "@calls": "60", "@renewal-period": "60", "@counter-key": "@(context.Subscription.Id)" });
    expect(inbound.quota).toBeDefined();
    expect(one(plan, `${T}Backend`).inputs.circuitBreaker).toEqual({
      rules: [
        {
          name: "backend-failures",
          failureCondition: { count: 5, interval: "PT1M", statusCodeRanges: [{ min: 500, max: 599 }, { min: 429, max: 429 }] },
          tripDuration: "PT1M",
          acceptRetryAfter: true,
        },
      ],
    });
  });

  it("BasicV2 keeps a configured capacity", async () => {
    const plan = await evaluate(() => {
      new Gateway("gw", gatewayArgs(apiConfig({ sku: "BasicV2", capacity: 2 }), { appInsights: undefined, workspaceId: undefined }));
    });
    expect(one(plan, `${T}ApiManagementService`).inputs.sku).toEqual({ name: "BasicV2", capacity: 2 });
    expect(ofType(plan, `${T}Logger`)).toEqual([]);
    expect(ofType(plan, "azure-native:monitor:DiagnosticSetting")).toEqual([]);
  });
});

describe("plan-time refusals", () => {
  it("refuses a per-IP rate limit on Consumption (no rate-limit-by-key)", () => {
    // The stack config refuses this too (test/lib/config.test.ts); the component keeps its own check.
    const base = apiConfig({});
    const perIp = { config: { ...base.apiManagement, rateLimitKey: "clientIp" as const } };
    expect(() => new Gateway("gw", gatewayArgs(base, perIp))).toThrow(TierError);
    expect(() => new Gateway("gw", gatewayArgs(base, perIp))).toThrow(
      /API Management Consumption: product "public" uses <rate-limit-by-key> \(use rate-limit/,
    );
  });

  it("refuses capacity on Consumption", () => {
    expect(() => new Gateway("gw", gatewayArgs(apiConfig({ capacity: 2 })))).toThrow(/capacity must be 0/);
  });

  it("refuses a circuit breaker on Consumption", () => {
    expect(() => checkServiceApiArgs("payment", serviceArgs({ backend: { kind: "external", url: "https://payments.example/api", circuitBreaker: true } }))).toThrow(
      /API Management Consumption: API "payment" backend asks for a backend circuit breaker, which Consumption does not support/,
    );
    // The default follows the tier: none on Consumption, one on v2.
    expect(checkServiceApiArgs("payment", serviceArgs({ backend: { kind: "external", url: "https://payments.example/api" } })).wantsBreaker).toBe(false);
    expect(checkServiceApiArgs("payment", serviceArgs({ sku: "BasicV2", backend: { kind: "external", url: "https://payments.example/api" } })).wantsBreaker).toBe(true);
  });

  it("refuses a plain-http back end, a bad path or version", () => {
    expect(() => checkServiceApiArgs("p", serviceArgs({ backend: { kind: "external", url: "http://payments.example" } }))).toThrow(/backend url must be https/);
    expect(() => checkServiceApiArgs("p", serviceArgs({ path: "Orders" }))).toThrow(/path "Orders" must be lowercase/);
    expect(() => checkServiceApiArgs("p", serviceArgs({ version: "1" }))).toThrow(/version "1" must look like "v1"/);
  });

  // The back end is one plain-data interface (other Pulumi languages cannot pass a TypeScript union):
  // each kind's fields are checked at construction, naming the arg.
  it("refuses a back end whose fields do not fit its kind, naming the arg", () => {
    const backend = (b: Record<string, unknown>) => () => checkServiceApiArgs("p", serviceArgs({ backend: b as unknown as ServiceApiArgs["backend"] }));
    expect(backend({ kind: "functionApp", hostName: "h.azurewebsites.net" })).toThrow(/API "p": backend\.routePrefix, backend\.appClientId are required with backend\.kind "functionApp"/);
    expect(backend({ kind: "external" })).toThrow(/API "p": backend\.url is required with backend\.kind "external"/);
    expect(backend({ kind: "functionApp", hostName: "h", routePrefix: "api", appClientId: "c", url: "https://x.example" })).toThrow(
      /API "p": backend\.url does not apply to backend\.kind "functionApp" \(it takes hostName, routePrefix, appClientId\)/,
    );
    expect(backend({ kind: "mock", tokenResource: "api://x" })).toThrow(/backend\.tokenResource does not apply to backend\.kind "mock" \(it takes description\)/);
    expect(backend({ kind: "lambda" })).toThrow(/API "p": backend\.kind "lambda" is not one of functionApp, external, mock/);
    // Each kind with its own fields passes.
    expect(checkServiceApiArgs("p", serviceArgs({ backend: { kind: "external", url: "https://x.example", description: "d", tokenResource: "api://x" } })).backend.kind).toBe("external");
  });

  it("refuses a rate-limit period the gateway does not accept", () => {
    // The stack config refuses this too (test/lib/config.test.ts); the component keeps its own check.
    const base = apiConfig({});
    const hourly = { config: { ...base.apiManagement, rateLimit: { calls: 10, renewalPeriodSeconds: 3600 } } };
    expect(() => new Gateway("gw", gatewayArgs(base, hourly))).toThrow(/maximum of 300 s/);
  });

  it('refuses "*" and plain-http CORS origins in prod', () => {
    const prod = apiConfig({}, "prod");
    expect(() => new Gateway("gw", gatewayArgs(prod, { config: { ...prod.apiManagement, corsOrigins: ["*"] } }))).toThrow(/"\*" is not allowed in prod/);
    expect(() => new Gateway("gw", gatewayArgs(prod, { config: { ...prod.apiManagement, corsOrigins: ["http://localhost:5173"] } }))).toThrow(/prod lists https origins only/);
  });

  it("refuses operations without roles, unknown operations and undeclared roles", () => {
    const check = (map: Record<string, string[]>) => () => checkServiceApiArgs("widgets", serviceArgs({ operationRoles: map }));
    expect(check({ listWidgets: ["Widgets.Read"] })).toThrow(/every operation must list the app roles.*createWidget \(POST \/widgets\)/);
    expect(check({ ...operationRoles, nope: ["Widgets.Read"] })).toThrow(/names operations the document does not have: nope/);
    expect(check({ ...operationRoles, listWidgets: ["Admin"] })).toThrow(/does not declare: Admin/);
  });
});

describe("OpenAPI documents", () => {
  it("refuses OpenAPI 3.1, Swagger 2.0 and missing or duplicate operationIds", () => {
    expect(() => parseOpenApi({ ...widgets, openapi: "3.1.0" }, "x")).toThrow(OpenApiError);
    expect(() => parseOpenApi({ ...widgets, openapi: "3.1.0" }, "x")).toThrow(/OpenAPI 3\.1\.0 is refused/);
    expect(() => parseOpenApi({ swagger: "2.0", paths: {} }, "x")).toThrow(/Swagger 2\.0 found/);
    const noId = structuredClone(widgets) as { paths: Record<string, Record<string, { operationId?: string }>> };
    delete noId.paths["/widgets/{id}"]!.delete!.operationId;
    expect(() => parseOpenApi(noId, "x")).toThrow(/missing on DELETE \/widgets\/\{id\}/);
    const dup = structuredClone(widgets) as { paths: Record<string, Record<string, { operationId?: string }>> };
    dup.paths["/widgets/{id}"]!.get!.operationId = "listWidgets";
    expect(() => parseOpenApi(dup, "x")).toThrow(/duplicate operationId\(s\): listWidgets/);
    expect(() => parseOpenApi("{not json", "x")).toThrow(/not valid JSON/);
  });

  it("the fixture document is valid OpenAPI 3.0", async () => {
    const api = await SwaggerParser.validate(structuredClone(widgets) as never);
    expect((api as { openapi?: string }).openapi).toBe("3.0.3");
    expect(parseOpenApi(widgets, "fixture").operations.map((o) => o.operationId)).toEqual(["listWidgets", "createWidget", "getWidget", "deleteWidget"]);
  });

  it("the orders service's document is valid OpenAPI 3.0 the gateway accepts", async () => {
    const { openApiDocument } = (await import("../../../functions-src/orders/src/openapi.js")) as unknown as { openApiDocument: () => Record<string, unknown> };
    const doc = openApiDocument();
    await SwaggerParser.validate(structuredClone(doc) as never);
    const parsed = parseOpenApi(doc, "orders");
    expect(parsed.operations.length).toBeGreaterThan(0);
  });
});

/**
 * Issue 18 item 10: the hybrid payment API was `/{path}` with POST only. An APIM URL template
 * parameter matches one segment, so nested paths and other methods answered 404.
 */
describe("pass-through back-end APIs", () => {
  /** The document composition/system.ts generated for every back end before this fix. */
  const legacyProxy = {
    openapi: "3.0.3",
    info: { title: "payment", version: "v1" },
    paths: {
      "/{path}": {
        parameters: [{ name: "path", in: "path", required: true, schema: { type: "string" } }],
        post: { operationId: "payment-proxy", responses: { default: { description: "x" } } },
      },
    },
  };
  const withPath = (p: string, param: Record<string, unknown> = { name: p.slice(2, -1), in: "path", required: true, schema: { type: "string" } }) => ({
    ...legacyProxy,
    paths: { [p]: { parameters: [param], get: { operationId: "op", responses: { default: { description: "x" } } } } },
  });

  it("refuses a template parameter meant to hold several segments, whatever its spelling", () => {
    expect(() => parseOpenApi(legacyProxy, "backend payment")).toThrow(
      /backend payment: an API Management URL template parameter matches exactly one path segment, so nested paths under it answer 404: POST \/\{path\}: \{path\} reads as "the rest of the path".*wildcardMethods/,
    );
    for (const p of ["/{proxy+}", "/{*rest}", "/{segments*}", "/api/{remainder}", "/files/{subPath}"]) expect(() => parseOpenApi(withPath(p), "x"), p).toThrow(/matches exactly one path segment/);
    expect(() => parseOpenApi(withPath("/files/{key}", { name: "key", in: "path", required: true, schema: { type: "string", pattern: "^[a-z/]+$" } }), "x")).toThrow(/\{key\}'s schema pattern accepts "\/"/);
    expect(() => parseOpenApi(withPath("/files/{key}", { name: "key", in: "path", required: true, allowReserved: true, schema: { type: "string" } }), "x")).toThrow(/allowReserved/);
    // One-segment parameters stay fine.
    expect(parseOpenApi(withPath("/widgets/{id}"), "x").operations).toHaveLength(1);
    expect(parseOpenApi(withPath("/files/{key}", { name: "key", in: "path", required: true, schema: { type: "string", pattern: "^[a-z0-9-]+$" } }), "x").operations).toHaveLength(1);
  });

  it("forwards any path with one /* operation per method, each with its role check", async () => {
    const plan = await evaluate(() => {
      const gw = new Gateway("gw", gatewayArgs(apiConfig()));
      gw.addBackendApi("ledger", {
        wildcardMethods: ["GET", "POST", "DELETE"],
        path: "ledger",
        version: "v1",
        displayName: "Ledger",
        roles: [{ value: "Ledger.Invoke" }],
        operationRoles: Object.fromEntries(wildcardOperations(["GET", "POST", "DELETE"]).map((o) => [o.operationId, ["Ledger.Invoke"]])),
        products: ["internal"],
        callers: { tenantId: TENANT, audiences: [API_CLIENT] },
        backend: { url: "https://ledger.fabrikam.com/api" },
      });
    });
    const api = one(plan, `${T}Api`, "gw-ledger-api");
    expect(api.inputs.format).toBeUndefined();
    const ops = ofType(plan, `${T}ApiOperation`).filter((o) => o.inputs.apiId === "ledger-v1");
    expect(ops.map((o) => [o.inputs.operationId, o.inputs.method, o.inputs.urlTemplate])).toEqual([
      ["any-get", "GET", "/*"],
      ["any-post", "POST", "/*"],
      ["any-delete", "DELETE", "/*"],
    ]);
    const policies = ofType(plan, `${T}ApiOperationPolicy`).filter((p) => p.inputs.apiId === "ledger-v1");
    expect(policies).toHaveLength(3);
    for (const p of policies) {
      const op = ops.find((o) => o.inputs.operationId === p.inputs.operationId)!;
      expect(p.dependencies).toContain(op.urn); // the policy waits for its operation
      expect(policyOf(p).policies.inbound["validate-jwt"]).toBeDefined();
    }
    expect(() => checkServiceApiArgs("x", serviceArgs({ openapi: undefined, wildcardMethods: [] }))).toThrow(/wildcardMethods must list HTTP methods/);
    expect(() => checkServiceApiArgs("x", serviceArgs({ wildcardMethods: ["GET"] }))).toThrow(/exactly one of openapi .* and wildcardMethods/);
  });
});

/** Issue 18 item 6: dev works without a payment system, the gateway answering from the examples. */
describe("mocked back ends", () => {
  const payment = JSON.parse(readFileSync(path.resolve(__dirname, "../../../backends/payment.openapi.json"), "utf8")) as Record<string, unknown>;

  it("answers each operation with its 2xx example, anonymously, and exposes its URL", async () => {
    let url: unknown;
    const plan = await evaluate(async () => {
      const gw = new Gateway("gw", gatewayArgs(apiConfig()));
      const api = gw.addMockBackendApi("payment", { openapi: payment, path: "payment", version: "v1", displayName: "Payment (mock)" });
      url = await new Promise((resolve) => api.url.apply(resolve));
    });
    const svc = one(plan, `${T}ApiManagementService`);
    expect(url).toBe(`${String(svc.outputs.gatewayUrl)}/payment/v1`);
    const api = one(plan, `${T}Api`, "gw-payment-api");
    expect(api.inputs).toMatchObject({ subscriptionRequired: false, format: "openapi+json" });
    expect(api.inputs.serviceUrl).toBeUndefined();
    expect(ofType(plan, `${T}Backend`)).toEqual([]);
    expect(ofType(plan, `${T}ProductApiLink`).filter((l) => l.inputs.apiLinkId === "payment-v1")).toEqual([]);
    const policies = ofType(plan, `${T}ApiOperationPolicy`).filter((p) => p.inputs.apiId === "payment-v1");
    expect(policies.map((p) => [p.inputs.operationId, p.inputs.format, policyOf(p).policies.inbound["mock-response"]])).toEqual([
      ["charge", "xml", { "@status-code": "201", "@content-type": "application/json" }],
      ["refund", "xml", { "@status-code": "201", "@content-type": "application/json" }],
    ]);
  });

  it("refuses an operation the mock could only answer with an empty body", () => {
    const bare = structuredClone(payment) as { paths: Record<string, { post: { responses: Record<string, { content?: unknown }> } }> };
    delete bare.paths["/payments/refunds"]!.post.responses["201"]!.content;
    expect(() => checkServiceApiArgs("payment", serviceArgs({ openapi: JSON.stringify(bare), backend: { kind: "mock" }, roles: [], operationRoles: {} }))).toThrow(
      /a mocked back end answers with each operation's 2xx JSON example; add one .* to refund \(POST \/payments\/refunds, 201 has no application\/json example\)/,
    );
  });
});
