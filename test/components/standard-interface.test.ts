/**
 * The standard interface (components/core/standard.ts), once for every component: each member has
 * the effect it claims, judged from the plan alone.
 * - tags: every child whose azure-native type takes `tags` (read from the installed typings, not
 *   from a list of ours) carries them;
 * - lock: a management lock of the asked level and name, scoped to the main resource;
 * - roleAssignments: a role assignment of the asked role, principal and description at the main
 *   resource's scope;
 * - diagnosticSettings: a diagnostic setting of the asked name, on the main resource, to the asked workspace;
 * - physicalNames without `names`: the component builds with the explicit names and no NameContext.
 */
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { beforeAll, describe, expect, it } from "vitest";
import { CosmosDb } from "../../components/cosmos";
import { Messaging } from "../../components/messaging";
import { KeyVault } from "../../components/key-vault";
import { EventTopic } from "../../components/event-grid";
import { FunctionApp } from "../../components/function-app";
import { Gateway } from "../../components/api-management";
import { Observability, type MonitoringConfig } from "../../components/monitoring";
import { PrivateNetwork } from "../../components/network";
import { BuiltInRole } from "../../components/core/roles";
import type { StandardArgs } from "../../components/core/standard";
import type { Plan, PlannedResource } from "../../engine/plan-format";
import { evaluate } from "../helpers/plan";
import * as pkg from "@contoso/serverless-platform";

const ROOT = path.resolve(__dirname, "..", "..");
const TAGS = { owner: "team-x", costCenter: "42" };
const PRINCIPAL = "99999999-9999-9999-9999-999999999999";
const WORKSPACE = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/central";
const STANDARD: Required<StandardArgs> = {
  tags: TAGS,
  lock: { kind: "ReadOnly", name: "frozen", notes: "changed only through the pipeline" },
  roleAssignments: [{ principalId: PRINCIPAL, role: "websiteContributor", description: "ops on call", key: "ops" }],
  diagnosticSettings: [{ workspaceResourceId: WORKSPACE, name: "to-central" }],
};
const names = { prefix: "test", environment: "dev" };
const place = { resourceGroupName: "rg", location: "eastus" };

const MONITORING: MonitoringConfig = {
  retentionDays: 30,
  dailyQuotaGb: 0.1,
  samplingPercentage: 10,
  availabilityTest: { enabled: true, locations: ["us-va-ash-azr"], frequencySeconds: 900 },
  actionGroup: { emails: ["oncall@example.com"], webhooks: [] },
  logAlertFrequency: "PT15M",
  severity: { failure: 2, degradation: 3 },
};

/** A component under test: how to build it with extra args, its type token and its main resource's type. */
interface Case {
  readonly component: string;
  readonly main: string;
  readonly build: (extra: Record<string, unknown>) => void;
  /** Explicit physical names that let it build without `names`. */
  readonly physicalNames: Record<string, string>;
}

const CASES: readonly Case[] = [
  {
    component: "CosmosDb",
    main: "azure-native:cosmosdb:DatabaseAccount",
    build: (x) =>
      new CosmosDb("data", { ...place, protect: false, databases: [{ service: "orders", containers: [{ name: "orders", partitionKeyPaths: ["/id"] }] }], ...x }),
    physicalNames: { account: "contoso-data" },
  },
  {
    component: "Messaging",
    main: "azure-native:storage:StorageAccount",
    build: (x) => new Messaging("messaging", { ...place, protect: false, queues: [{ name: "work" }], ...x }),
    physicalNames: { account: "contosomessaging" },
  },
  {
    component: "KeyVault",
    main: "azure-native:keyvault:Vault",
    build: (x) => new KeyVault("secrets", { ...place, protect: false, ...x }).setSecret("s", pulumi.secret("v")),
    physicalNames: { vault: "contoso-secrets" },
  },
  {
    component: "EventTopic",
    main: "azure-native:eventgrid:Topic",
    build: (x) => new EventTopic("events", { ...place, ...x }),
    physicalNames: { topic: "contoso-events", deliveryIdentity: "contoso-events-delivery" },
  },
  {
    component: "FunctionApp",
    main: "azure-native:web:WebApp",
    build: (x) =>
      new FunctionApp("hello", {
        ...place,
        service: { name: "hello", directory: path.join(ROOT, "test/fixtures/services/hello"), entry: "src/index.ts" },
        triggers: ["http", "queue"],
        sizing: { instanceMemoryMB: 2048, maximumInstanceCount: 100, alwaysReady: [] },
        deploy: false,
        ...x,
      }),
    physicalNames: { site: "contoso-hello", plan: "contoso-hello-plan", identity: "contoso-hello-id", hostStorage: "contosohellohost", packageContainer: "packages" },
  },
  {
    component: "Gateway",
    main: "azure-native:apimanagement:ApiManagementService",
    build: (x) =>
      new Gateway("gateway", {
        ...place,
        environment: "dev",
        config: {
          sku: "Consumption",
          capacity: 0,
          publisherName: "Team",
          publisherEmail: "team@example.com",
          corsOrigins: [],
          rateLimit: { calls: 100, renewalPeriodSeconds: 60 },
          quota: { calls: 100_000, renewalPeriodSeconds: 2_592_000 },
          rateLimitKey: "subscription",
          samplingPercentage: 10,
        },
        ...x,
      }),
    physicalNames: { service: "contoso-gateway" },
  },
  {
    component: "Observability",
    main: "azure-native:operationalinsights:Workspace",
    // Alerts, the availability test and the workbook are named by the helper: `names` stays required.
    build: (x) => new Observability("monitoring", { names, ...place, monitoring: MONITORING, ...x }),
    physicalNames: { workspace: "contoso-logs", appInsights: "contoso-appi", actionGroup: "contoso-oncall" },
  },
  {
    component: "PrivateNetwork",
    main: "azure-native:network:VirtualNetwork",
    build: (x) => new PrivateNetwork("network", { ...place, ...x }),
    physicalNames: { virtualNetwork: "contoso-vnet" },
  },
];

/** Whether an azure-native resource type takes `tags`, read from the installed typings (its `<Type>Args`). */
function taggable(type: string): boolean {
  const m = /^azure-native:([^:]+):(.+)$/.exec(type);
  if (!m) return false;
  const [, module, resource] = m as unknown as [string, string, string];
  const file = path.join(ROOT, "node_modules/@pulumi/azure-native", module, `${resource[0]!.toLowerCase()}${resource.slice(1)}.d.ts`);
  if (!existsSync(file)) throw new Error(`no typings for ${type} at ${file}`);
  const text = readFileSync(file, "utf8");
  const args = new RegExp(`export interface ${resource}Args \\{([\\s\\S]*?)\\n\\}`).exec(text);
  if (!args) throw new Error(`no ${resource}Args in ${file}`);
  return /\n\s+tags\?:/.test(args[1]!);
}

function mainOf(plan: Plan, c: Case): PlannedResource {
  const found = plan.resources.filter((r) => r.type === c.main);
  expect(found, `${c.component}: one ${c.main}`).toHaveLength(1);
  return found[0]!;
}

/**
 * Components whose main object is no Azure Resource Manager resource, so tags, locks, ARM role
 * assignments and diagnostic settings have nothing to apply to (AVM's interfaces are ARM's).
 */
const NOT_ARM: Readonly<Record<string, string>> = {
  EntraApiApp: "an Entra ID application and service principal (Microsoft Graph objects): no ARM tags, locks, role assignments or diagnostic settings",
  ServiceApi: "an API inside the Gateway's API Management service: tagged, locked, assigned and diagnosed through the Gateway (its main resource)",
};

it("every component the package exports offers the standard interface, or says why it cannot", () => {
  const exported = Object.entries(pkg)
    .filter(([, v]) => typeof v === "function" && v.prototype instanceof pulumi.ComponentResource)
    .map(([k]) => k)
    .sort();
  expect(exported).toEqual([...CASES.map((c) => c.component), ...Object.keys(NOT_ARM)].sort());
});

describe.each(CASES)("the standard interface of $component", (c) => {
  let planned: Plan;
  // One evaluation at a time: the engine's mocks are process-wide.
  beforeAll(async () => {
    planned = await evaluate(() => c.build({ names, ...STANDARD }));
  });

  it("tags every taggable child", async () => {
    const plan = await planned;
    const children = plan.resources.filter((r) => r.custom && taggable(r.type));
    expect(children.length).toBeGreaterThan(0);
    const untagged = children.filter((r) => {
      const tags = (r.inputs.tags ?? {}) as Record<string, unknown>;
      return Object.entries(TAGS).some(([k, v]) => tags[k] !== v);
    });
    expect(untagged.map((r) => `${r.type} ${r.name}`)).toEqual([]);
  });

  it("locks the main resource with the asked level and name", async () => {
    const plan = await planned;
    const main = mainOf(plan, c);
    const locks = plan.resources.filter((r) => r.type === "azure-native:authorization:ManagementLockByScope" && r.inputs.scope === main.id);
    expect(locks.map((l) => l.inputs)).toEqual([{ scope: main.id, level: "ReadOnly", lockName: "frozen", notes: "changed only through the pipeline" }]);
  });

  it("assigns the asked role to the asked principal at the main resource's scope", async () => {
    const plan = await planned;
    const main = mainOf(plan, c);
    const assigned = plan.resources.filter((r) => r.type === "azure-native:authorization:RoleAssignment" && r.inputs.principalId === PRINCIPAL);
    expect(assigned).toHaveLength(1);
    expect(assigned[0]!.inputs).toMatchObject({ scope: main.id, principalType: "ServicePrincipal", description: "ops on call" });
    expect(String(assigned[0]!.inputs.roleDefinitionId)).toMatch(new RegExp(`/roleDefinitions/${BuiltInRole.websiteContributor}$`));
  });

  it("sends the main resource's diagnostics where asked", async () => {
    const plan = await planned;
    const main = mainOf(plan, c);
    const settings = plan.resources.filter((r) => r.type === "azure-native:monitor:DiagnosticSetting" && r.inputs.resourceUri === main.id);
    expect(settings.map((s) => [s.inputs.name, s.inputs.workspaceId])).toEqual([["to-central", WORKSPACE]]);
  });

  it("builds with explicit physical names, and uses them", async () => {
    const plan = await evaluate(() => c.build(c.component === "Observability" ? { physicalNames: c.physicalNames } : { physicalNames: c.physicalNames, names: undefined }));
    const inputs = JSON.stringify(plan.resources.map((r) => r.inputs));
    for (const explicit of Object.values(c.physicalNames)) expect(inputs).toContain(`"${explicit}"`);
  });

  it.skipIf(c.component === "Observability")("without names or physical names, says which argument is missing", () => {
    return evaluate(() => {
      expect(() => c.build({ names: undefined })).toThrow(new RegExp(`${c.component} "[^"]+": physicalNames\\.\\w+ is required when names`));
    });
  });
});

describe("the managed identity, where it applies", () => {
  const ID = "/subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/shared";
  const CLIENT = "77777777-7777-7777-7777-777777777777";

  it("FunctionApp runs as the identity it is given: none created, the site, Key Vault references, settings and grants use it", async () => {
    const plan = await evaluate(() =>
      CASES.find((c) => c.component === "FunctionApp")!.build({ names, identity: { resourceId: ID, principalId: PRINCIPAL, clientId: CLIENT } }),
    );
    expect(plan.resources.filter((r) => r.type === "azure-native:managedidentity:UserAssignedIdentity")).toEqual([]);
    const site = plan.resources.find((r) => r.type === "azure-native:web:WebApp")!.inputs;
    expect(site.identity).toEqual({ type: "UserAssigned", userAssignedIdentities: [ID] });
    expect(site.keyVaultReferenceIdentity).toBe(ID);
    const settings = (site.siteConfig as { appSettings: { name: string; value: unknown }[] }).appSettings;
    expect(settings.find((s) => s.name === "AZURE_CLIENT_ID")?.value).toBe(CLIENT);
    const grants = plan.resources.filter((r) => r.type === "azure-native:authorization:RoleAssignment");
    expect(grants.length).toBeGreaterThan(0);
    expect(new Set(grants.map((g) => g.inputs.principalId))).toEqual(new Set([PRINCIPAL]));
  });

  it("FunctionApp creates its own user-assigned identity by default", async () => {
    const plan = await evaluate(() => CASES.find((c) => c.component === "FunctionApp")!.build({ names }));
    const identities = plan.resources.filter((r) => r.type === "azure-native:managedidentity:UserAssignedIdentity");
    expect(identities).toHaveLength(1);
    const site = plan.resources.find((r) => r.type === "azure-native:web:WebApp")!.inputs;
    expect(site.identity).toEqual({ type: "UserAssigned", userAssignedIdentities: [identities[0]!.id] });
  });
});
