/**
 * The whole program, per stack: what `pulumi up` would create, checked across components.
 */
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readStackFiles } from "../../engine/plan";
import { stackPlan } from "../helpers/stack-plans";
import { parseStackConfig } from "../../lib/config";
import type { Plan, PlannedResource } from "../../engine/plan-format";
import { DIAGNOSTIC_SUPPORTED_TYPES } from "../../components/core/diagnostics";
import { NAME_RULES, validateName, type NameKind } from "../../components/core/naming";

const root = path.resolve(__dirname, "../..");
const plans: Record<string, Plan> = {};

beforeAll(async () => {
  [plans.dev, plans.prod] = await Promise.all([stackPlan("dev"), stackPlan("prod")]);
}, 120_000);

const ofType = (plan: Plan, type: string): PlannedResource[] => plan.resources.filter((r) => r.type === type);
const settingsOf = (app: PlannedResource): Record<string, string> =>
  Object.fromEntries(((app.inputs.siteConfig as { appSettings?: { name: string; value: string }[] }).appSettings ?? []).map((s) => [s.name, s.value]));

describe.each(["dev", "prod"])("the %s stack", (stack) => {
  it("deploys each configured service as its own Flex Consumption app with its own code package", () => {
    const plan = plans[stack]!;
    const configured = Object.keys(parseStackConfig(stack, readStackFiles(root, stack).config).services).sort();
    expect(configured).toEqual(expect.arrayContaining(["fulfillment", "notifications", "orders"]));
    const apps = ofType(plan, "serverless-platform:web:FunctionApp").map((r) => r.name).sort();
    expect(apps).toEqual(configured);
    const plansFc1 = ofType(plan, "azure-native:web:AppServicePlan");
    expect(plansFc1).toHaveLength(configured.length);
    expect(plansFc1.every((p) => (p.inputs.sku as { name: string }).name === "FC1")).toBe(true);
    const deployments = ofType(plan, "pulumi-nodejs:dynamic/functionapp:FunctionCodeDeployment");
    expect(deployments).toHaveLength(configured.length);
    expect(new Set(deployments.map((d) => d.inputs.packageSha256)).size).toBe(configured.length);
  });

  it("probes every HTTP service through one availability test on the gateway's aggregate health route", () => {
    const plan = plans[stack]!;
    const tests = ofType(plan, "azure-native:applicationinsights:WebTest");
    expect(tests).toHaveLength(1);
    const url = (tests[0]!.inputs.request as { requestUrl: string }).requestUrl;
    expect(url).toBe(`${String(plan.outputs.gatewayUrl)}/health/all`);
    const aggregate = ofType(plan, "azure-native:apimanagement:ApiOperationPolicy").find((p) => p.name === "gateway-health-all-policy")!;
    const httpApps = ofType(plan, "serverless-platform:apimanagement:ServiceApi").filter((a) => a.name !== "gateway-payment").length;
    expect((String(aggregate.inputs.value).match(/<send-request /g) ?? []).length).toBe(httpApps);
  });

  it("gives every resource that supports diagnostics a setting into the workspace", () => {
    const plan = plans[stack]!;
    const settings = ofType(plan, "azure-native:monitor:DiagnosticSetting");
    const workspace = ofType(plan, "azure-native:operationalinsights:Workspace")[0]!;
    const covered = new Set(settings.filter((s) => s.inputs.workspaceId === workspace.id).map((s) => String(s.inputs.resourceUri).toLowerCase()));
    const supported = new Set<string>(DIAGNOSTIC_SUPPORTED_TYPES);
    const targets = plan.resources.filter((r) => supported.has(r.type));
    expect(targets.length).toBeGreaterThan(10);
    const missing = targets.filter((r) => !covered.has(String(r.id).toLowerCase())).map((r) => `${r.type} ${r.name}`);
    expect(missing).toEqual([]);
  });

  it("holds no key, SAS token or secret connection string anywhere in the plan", () => {
    const text = JSON.stringify(plans[stack]!.resources.map((r) => r.inputs));
    expect(text).not.toMatch(/AccountKey=|SharedAccessKey=|SharedAccessSignature=|[?&]sig=|InstrumentationKey=[^;"]*;(?!IngestionEndpoint)/);
    for (const app of ofType(plans[stack]!, "azure-native:web:WebApp")) {
      const settings = settingsOf(app);
      expect(settings.AzureWebJobsStorage).toBeUndefined();
      expect(settings.AzureWebJobsStorage__credential).toBe("managedidentity");
      expect(settings.APPLICATIONINSIGHTS_AUTHENTICATION_STRING).toMatch(/^Authorization=AAD;ClientId=[0-9a-f-]{36}$/);
      for (const [name, value] of Object.entries(settings)) {
        if (name.endsWith("__accountEndpoint") || name.endsWith("__queueServiceUri")) {
          const prefix = name.split("__")[0]!;
          expect(settings[`${prefix}__credential`]).toBe("managedidentity");
          expect(settings[`${prefix}__clientId`]).toBe(settings.AZURE_CLIENT_ID);
          expect(value).toMatch(/^https:\/\//);
        }
      }
    }
  });

  it("keeps every physical name unique and within its type's limits", () => {
    const kinds: Record<string, [NameKind, string]> = {
      "azure-native:storage:StorageAccount": ["storageAccount", "accountName"],
      "azure-native:keyvault:Vault": ["keyVault", "vaultName"],
      "azure-native:cosmosdb:DatabaseAccount": ["cosmosAccount", "accountName"],
      "azure-native:web:WebApp": ["functionApp", "name"],
      "azure-native:apimanagement:ApiManagementService": ["apiManagement", "serviceName"],
      "azure-native:managedidentity:UserAssignedIdentity": ["userAssignedIdentity", "resourceName"],
      "azure-native:storage:Queue": ["queue", "queueName"],
      "azure-native:operationalinsights:Workspace": ["logAnalytics", "workspaceName"],
    };
    for (const [type, [kind, key]] of Object.entries(kinds)) {
      const names = ofType(plans[stack]!, type).map((r) => String(r.inputs[key]));
      expect(names.length, type).toBeGreaterThan(0);
      expect(new Set(names).size, `${type} names are unique`).toBe(names.length);
      for (const n of names) expect(validateName(kind, n), `${kind} ${n} (${NAME_RULES[kind].describe})`).toBeUndefined();
    }
  });

  it("exports the gateway URL the deploy workflow's smoke test reads", () => {
    expect(plans[stack]!.outputs.gatewayUrl).toMatch(/^https:\/\/[a-z0-9-]+\.azure-api\.net$/);
  });
});

describe("production protection", () => {
  it("protects every stateful resource in prod and none in dev", () => {
    const stateful = ["azure-native:cosmosdb:DatabaseAccount", "azure-native:storage:StorageAccount", "azure-native:keyvault:Vault"];
    for (const type of stateful) {
      for (const r of ofType(plans.prod!, type)) {
        expect(r.options, `${type} ${r.name}`).toMatchObject({ protect: true, retainOnDelete: true });
        const lock = plans.prod!.resources.find((l) => l.type === "azure-native:authorization:ManagementLockByScope" && l.inputs.scope === r.id);
        expect(lock?.inputs.level, `lock on ${r.name}`).toBe("CanNotDelete");
      }
      for (const r of ofType(plans.dev!, type)) expect(r.options.protect).toBe(false);
    }
    expect(ofType(plans.dev!, "azure-native:authorization:ManagementLockByScope")).toEqual([]);
  });

  it("makes the always-on costs of prod the ones its stack file lists", () => {
    const orders = ofType(plans.prod!, "azure-native:web:WebApp").find((a) => a.name === "orders-app")!;
    const scale = (orders.inputs.functionAppConfig as { scaleAndConcurrency: { alwaysReady?: unknown[] } }).scaleAndConcurrency;
    // Zone redundant (services.orders.zoneRedundant): Flex accepts no fewer than 2 always-ready instances.
    expect(scale.alwaysReady).toEqual([{ name: "http", instanceCount: 2 }]);
    for (const app of ofType(plans.dev!, "azure-native:web:WebApp")) {
      const devScale = (app.inputs.functionAppConfig as { scaleAndConcurrency: { alwaysReady?: unknown[] } }).scaleAndConcurrency;
      expect(devScale.alwaysReady ?? []).toEqual([]);
    }
    expect((ofType(plans.dev!, "azure-native:apimanagement:ApiManagementService")[0]!.inputs.sku as { name: string }).name).toBe("Consumption");
  });
});

describe("issue 18 on the real plans", () => {
  it("every code deployment carries the functions its bundle registers (confirmed through ARM when the status vanishes)", () => {
    for (const stack of ["dev", "prod"]) {
      const deployments = ofType(plans[stack]!, "pulumi-nodejs:dynamic/functionapp:FunctionCodeDeployment");
      for (const d of deployments) expect((d.inputs.functions as unknown[]).length, d.name).toBeGreaterThan(0);
      const orders = deployments.find((d) => d.name === "orders-code")!;
      expect(orders.inputs.functions).toEqual(expect.arrayContaining([{ name: "relayOutbox", trigger: "timerTrigger", schedule: "0 */1 * * * *" }]));
    }
  });

  it("zone redundancy is a per-service choice of the stack file: every prod service sets it, dev none", () => {
    const zr = (stack: string) => ofType(plans[stack]!, "azure-native:web:AppServicePlan").map((p) => p.inputs.zoneRedundant);
    expect(zr("prod").every((z) => z === true)).toBe(true);
    expect(zr("dev").every((z) => z === false)).toBe(true);
  });
});
