/**
 * The policy pack catches a regression in OUR components, not only in hand-written plan fixtures:
 * each case builds a real component under the simulated provider, makes one of its resources
 * insecure with a stack transformation (as a careless edit of the component would), and checks
 * that the runner flags exactly that resource with the rule's name under the prod config; the
 * same component built as-is must carry no violation of that rule, so each case fails both ways.
 */
import { beforeAll, describe, expect, it } from "vitest";
import * as pulumi from "@pulumi/pulumi";
import * as authorization from "@pulumi/azure-native/authorization";
import { Gateway } from "../../components/api-management";
import { CosmosDb } from "../../components/cosmos";
import { EventTopic } from "../../components/event-grid";
import { FunctionApp } from "../../components/function-app";
import { KeyVault } from "../../components/key-vault";
import { Messaging } from "../../components/messaging";
import { Observability } from "../../components/monitoring";
import { evaluatePolicies, type PolicyReport } from "../../engine/policy-runner";
import { Simulator } from "../../engine/simulator";
import type { Plan } from "../../engine/plan-format";
import { evaluate, testConfig } from "../helpers/plan";

const config = testConfig({ environment: "prod", location: "eastus2", tags: { owner: "team", costCenter: "1" } });
const names = { prefix: "test", environment: "prod" };
const common = { names, resourceGroupName: "rg-test", location: config.location, tags: config.tags };
const SUBSCRIPTION = new Simulator({ stack: "test" }).subscriptionId;
/** The built-in Owner role (a well-known id, written out so a wrong id in the pack cannot hide). */
const OWNER_ROLE = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";

const T = {
  webApp: "azure-native:web:WebApp",
  ftpAllowed: "azure-native:web:WebAppFtpAllowed",
  storageAccount: "azure-native:storage:StorageAccount",
  cosmosAccount: "azure-native:cosmosdb:DatabaseAccount",
  vault: "azure-native:keyvault:Vault",
  apim: "azure-native:apimanagement:ApiManagementService",
  appInsights: "azure-native:applicationinsights:Component",
  topic: "azure-native:eventgrid:Topic",
  roleAssignment: "azure-native:authorization:RoleAssignment",
} as const;

// ---------------------------------------------------------------------------------------------
// The components, with minimal args
// ---------------------------------------------------------------------------------------------

type Program = () => void;

function functionApp(): FunctionApp {
  return new FunctionApp("hello", {
    ...common,
    service: { name: "hello", directory: "test/fixtures/services/hello", entry: "src/index.ts" },
    triggers: ["http"],
    sizing: { instanceMemoryMB: 2048, maximumInstanceCount: 100, alwaysReady: [] },
    // No bundling: the policies look at the site, not the package.
    deploy: false,
  });
}

const components = {
  functionApp: (): void => void functionApp(),
  messaging: (): void => void new Messaging("msg", { ...common, protect: true, queues: [{ name: "orders" }] }),
  cosmos: (): void =>
    void new CosmosDb("data", {
      ...common,
      protect: true,
      databases: [{ service: "orders", containers: [{ name: "orders", partitionKeyPaths: ["/customerId"] }] }],
    }),
  keyVault: (): void => void new KeyVault("kv", { ...common, protect: true }),
  gateway: (): void => void new Gateway("gw", { ...common, environment: config.environment, config: config.apiManagement }),
  monitoring: (): void => void new Observability("mon", { ...common, monitoring: config.monitoring }),
  eventGrid: (): void => void new EventTopic("events", common),
} satisfies Record<string, Program>;
type ComponentName = keyof typeof components;

// ---------------------------------------------------------------------------------------------
// Insecure changes: stack transformations on one resource type
// ---------------------------------------------------------------------------------------------

type Change = (props: pulumi.Inputs) => pulumi.Inputs;

/** `update` applied to the plain value at `path` inside `value`; an undefined result removes the key. */
function updatedAt(value: unknown, path: readonly string[], update: (old: unknown) => unknown): unknown {
  if (path.length === 0) return update(value);
  const [key, ...rest] = path as [string, ...string[]];
  const { [key]: old, ...others } = (value ?? {}) as Record<string, unknown>;
  const next = updatedAt(old, rest, update);
  return next === undefined ? others : { ...others, [key]: next };
}

/**
 * Changes the input at `path` (top-level property first). Nested values go through an Output,
 * since a component may pass an Output there (FunctionApp's own transformation does for siteConfig).
 */
function change(path: readonly [string, ...string[]], update: (old: unknown) => unknown): Change {
  const [key, ...rest] = path;
  return (props) => {
    const old = props[key];
    // A top-level input left unset stays an (undefined) key, as the SDK's constructors register it.
    return { ...props, [key]: rest.length === 0 ? update(old) : pulumi.output(old).apply((v) => updatedAt(v, rest, update)) };
  };
}
const set = (path: readonly [string, ...string[]], value: unknown): Change => change(path, () => value);
const remove = (...path: [string, ...string[]]): Change => change(path, () => undefined);

/** `program`, with `changes` applied to every resource of `type` it creates. */
function insecure(program: Program, type: string, ...changes: Change[]): Program {
  return () => {
    pulumi.runtime.registerStackTransformation((args) =>
      args.type === type ? { props: changes.reduce((props, c) => c(props), args.props), opts: args.opts } : undefined,
    );
    program();
  };
}

/** A FunctionApp whose identity also holds Owner on the whole resource group. */
const functionAppWithOwnerGrant: Program = () => {
  const app = functionApp();
  new authorization.RoleAssignment("hello-owner", {
    scope: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-test`,
    principalId: app.identity.principalId,
    principalType: "ServicePrincipal",
    roleDefinitionId: `/subscriptions/${SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${OWNER_ROLE}`,
  });
};

// ---------------------------------------------------------------------------------------------
// The cases
// ---------------------------------------------------------------------------------------------

interface Case {
  readonly family: string;
  readonly rule: string;
  readonly component: ComponentName;
  readonly insecure: Program;
  /** The resource (type, logical name) the violation must name, and the only one. */
  readonly flagged: { readonly type: string; readonly name: string };
  /**
   * The component's own guard that also rejects the insecure variant once the resource's outputs
   * arrive (an error in an apply, which Pulumi reports as unhandled): the pack still sees the
   * resource first, as it would during `pulumi preview`, where those outputs are unknown.
   */
  readonly alsoRefusedBy?: RegExp;
}

const app = { type: T.webApp, name: "hello-app" };
const { functionApp: fa, messaging, cosmos, keyVault, gateway, monitoring, eventGrid } = components;

const cases: readonly Case[] = [
  { family: "web", rule: "web-https-only", component: "functionApp", flagged: app, insecure: insecure(fa, T.webApp, set(["httpsOnly"], false)) },
  { family: "web", rule: "web-min-tls", component: "functionApp", flagged: app, insecure: insecure(fa, T.webApp, set(["siteConfig", "minTlsVersion"], "1.0")) },
  {
    family: "web",
    rule: "web-remote-debug",
    component: "functionApp",
    flagged: app,
    insecure: insecure(fa, T.webApp, set(["siteConfig", "remoteDebuggingEnabled"], true)),
  },
  {
    family: "functions",
    rule: "flex-unsupported-settings",
    component: "functionApp",
    flagged: app,
    insecure: insecure(
      fa,
      T.webApp,
      change(["siteConfig", "appSettings"], (old) => [...((old ?? []) as unknown[]), { name: "FUNCTIONS_WORKER_RUNTIME", value: "node" }]),
    ),
  },
  {
    family: "functions",
    rule: "func-runtime-version-format",
    component: "functionApp",
    flagged: app,
    insecure: insecure(fa, T.webApp, set(["functionAppConfig", "runtime", "version"], "22.0")),
  },
  {
    family: "web",
    rule: "web-basic-auth-off",
    component: "functionApp",
    flagged: { type: T.ftpAllowed, name: "hello-ftp" },
    insecure: insecure(fa, T.ftpAllowed, set(["allow"], true)),
  },
  {
    family: "storage",
    rule: "st-shared-key",
    component: "messaging",
    flagged: { type: T.storageAccount, name: "msg-account" },
    insecure: insecure(messaging, T.storageAccount, set(["allowSharedKeyAccess"], true)),
  },
  {
    family: "storage",
    rule: "st-min-tls",
    component: "messaging",
    flagged: { type: T.storageAccount, name: "msg-account" },
    insecure: insecure(messaging, T.storageAccount, set(["minimumTlsVersion"], "TLS1_0")),
  },
  {
    family: "storage",
    rule: "st-blob-public",
    component: "messaging",
    flagged: { type: T.storageAccount, name: "msg-account" },
    insecure: insecure(messaging, T.storageAccount, set(["allowBlobPublicAccess"], true)),
  },
  {
    family: "cosmos",
    rule: "cosmos-local-auth",
    component: "cosmos",
    flagged: { type: T.cosmosAccount, name: "data-account" },
    insecure: insecure(cosmos, T.cosmosAccount, set(["disableLocalAuth"], false)),
  },
  {
    family: "cosmos",
    rule: "cosmos-min-tls",
    component: "cosmos",
    flagged: { type: T.cosmosAccount, name: "data-account" },
    insecure: insecure(cosmos, T.cosmosAccount, set(["minimalTlsVersion"], "Tls")),
  },
  {
    family: "keyvault",
    rule: "kv-rbac",
    component: "keyVault",
    flagged: { type: T.vault, name: "kv-vault" },
    insecure: insecure(keyVault, T.vault, set(["properties", "enableRbacAuthorization"], false)),
  },
  {
    family: "keyvault",
    rule: "kv-purge",
    component: "keyVault",
    flagged: { type: T.vault, name: "kv-vault" },
    insecure: insecure(keyVault, T.vault, remove("properties", "enablePurgeProtection")),
  },
  {
    family: "apim",
    rule: "apim-min-api",
    component: "gateway",
    flagged: { type: T.apim, name: "gw-service" },
    insecure: insecure(gateway, T.apim, remove("apiVersionConstraint")),
  },
  {
    family: "apim",
    rule: "apim-identity",
    component: "gateway",
    flagged: { type: T.apim, name: "gw-service" },
    insecure: insecure(gateway, T.apim, remove("identity")),
    alsoRefusedBy: /the API Management service returned no system-assigned identity/,
  },
  {
    family: "monitoring",
    rule: "appi-local-auth",
    component: "monitoring",
    flagged: { type: T.appInsights, name: "mon-appinsights" },
    insecure: insecure(monitoring, T.appInsights, set(["disableLocalAuth"], false)),
  },
  {
    family: "monitoring",
    rule: "appi-workspace",
    component: "monitoring",
    flagged: { type: T.appInsights, name: "mon-appinsights" },
    insecure: insecure(monitoring, T.appInsights, remove("workspaceResourceId")),
  },
  {
    family: "eventgrid",
    rule: "eg-local-auth",
    component: "eventGrid",
    flagged: { type: T.topic, name: "events-topic" },
    insecure: insecure(eventGrid, T.topic, set(["disableLocalAuth"], false)),
  },
  {
    family: "least privilege",
    rule: "func-identity-least-privilege",
    component: "functionApp",
    flagged: { type: T.roleAssignment, name: "hello-owner" },
    insecure: functionAppWithOwnerGrant,
  },
];

// ---------------------------------------------------------------------------------------------
// Running the pack
// ---------------------------------------------------------------------------------------------

/** The prod enforcement (policy/config.prod.json applies). */
const runPack = (plan: Plan): PolicyReport => evaluatePolicies(plan, { stack: "prod" });

/** The resources `rule` flags, each once, with the levels it reported them at. */
function flaggedBy(report: PolicyReport, rule: string): { type: string; name: string; level: string }[] {
  const seen = new Map<string, { type: string; name: string; level: string }>();
  for (const v of report.violations) {
    if (v.policy === rule) seen.set(`${v.urn}|${v.enforcementLevel}`, { type: v.type, name: v.name, level: v.enforcementLevel });
  }
  return [...seen.values()];
}

/**
 * Evaluates `program`, collecting the unhandled rejections it causes instead of letting them fail
 * the run, so a case can assert that they are exactly its component's guard (and nothing else).
 */
async function evaluateCollectingRejections(program: Program): Promise<{ plan: Plan; rejections: unknown[] }> {
  const saved = process.listeners("unhandledRejection");
  const rejections: unknown[] = [];
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", (reason) => rejections.push(reason));
  try {
    const plan = await evaluate(program);
    // Rejections are reported after the microtask queue drains: let one macrotask pass.
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { plan, rejections };
  } finally {
    process.removeAllListeners("unhandledRejection");
    for (const l of saved) process.on("unhandledRejection", l);
  }
}

describe("the policy pack flags insecure variants of our components (prod)", () => {
  // Each component as-is, evaluated once: the baseline every case compares with.
  const secureReports = new Map<ComponentName, PolicyReport>();
  beforeAll(async () => {
    for (const name of Object.keys(components) as ComponentName[]) {
      secureReports.set(name, runPack(await evaluate(components[name])));
    }
  });

  describe.each(cases)("$family: $rule ($component)", (c) => {
    it("is not violated by the component as built", () => {
      const report = secureReports.get(c.component)!;
      expect(report.policies.map((p) => p.name)).toContain(c.rule);
      expect(flaggedBy(report, c.rule)).toEqual([]);
    });

    it("flags exactly the insecure resource, as mandatory", async () => {
      const { plan, rejections } = c.alsoRefusedBy
        ? await evaluateCollectingRejections(c.insecure)
        : { plan: await evaluate(c.insecure), rejections: [] };
      expect(flaggedBy(runPack(plan), c.rule)).toEqual([{ ...c.flagged, level: "mandatory" }]);
      if (c.alsoRefusedBy) {
        expect(rejections.length).toBeGreaterThan(0);
        for (const r of rejections) expect(String(r instanceof Error ? r.message : r)).toMatch(c.alsoRefusedBy);
      }
    });
  });
});
