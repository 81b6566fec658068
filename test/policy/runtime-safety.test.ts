/**
 * The runtime-safety rules (policy/rules/runtime-safety.ts) on the real prod and dev plans, and on
 * variants of them that make each class of mistake again somewhere else: a hand-written resource, a
 * removed dependency, another account or app. Each variant must be a mandatory violation naming the
 * resource, the rule and the fix.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { stackPlan } from "../helpers/stack-plans";
import type { Plan, PlannedResource } from "../../engine/plan-format";
import { evaluatePolicies, type PolicyViolation } from "../../engine/policy-runner";
import { PLATFORM_TOPIC_INPUT_SCHEMA } from "../../functions-src/shared/event-schema";
import { PUBLISHER_INPUT_SCHEMA, runtimeSafetyPolicies } from "../../policy/rules/runtime-safety";

const plans: Record<string, Plan> = {};

beforeAll(async () => {
  [plans.dev, plans.prod] = await Promise.all([stackPlan("dev"), stackPlan("prod")]);
}, 180_000);

const RULES = new Set(runtimeSafetyPolicies.map((p) => p.name));

function violations(plan: Plan, stack: string, rule?: string): PolicyViolation[] {
  return evaluatePolicies(plan, { stack }).violations.filter((v) => (rule ? v.policy === rule : RULES.has(v.policy)));
}

type Mutable = { -readonly [K in keyof PlannedResource]: PlannedResource[K] } & { inputs: Record<string, unknown>; outputs: Record<string, unknown> };
const clone = (plan: Plan): { plan: Plan; resources: Mutable[] } => {
  const copy = structuredClone(plan) as Plan & { resources: Mutable[] };
  return { plan: copy, resources: copy.resources };
};
const ofType = (resources: readonly Mutable[], type: string): Mutable[] => resources.filter((r) => r.type === type);

const ASSIGNMENT = "azure-native:cosmosdb:SqlResourceSqlRoleAssignment";

describe.each(["dev", "prod"])("the real %s plan", (stack) => {
  it("breaks no runtime-safety rule", () => {
    expect(violations(plans[stack]!, stack)).toEqual([]);
  });
});

describe("eventgrid-topic-input-schema", () => {
  it("is the schema the shared publisher speaks", () => {
    expect(PUBLISHER_INPUT_SCHEMA).toBe(PLATFORM_TOPIC_INPUT_SCHEMA);
  });

  it.each([["EventGridSchema"], [undefined]])("refuses a topic with inputSchema %s", (schema) => {
    const { plan, resources } = clone(plans.dev!);
    const topic = ofType(resources, "azure-native:eventgrid:Topic")[0]!;
    if (schema === undefined) {
      delete topic.inputs.inputSchema;
      delete topic.outputs.inputSchema;
    } else {
      topic.inputs.inputSchema = schema;
      topic.outputs.inputSchema = schema;
    }
    const found = violations(plan, "dev", "eventgrid-topic-input-schema");
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ enforcementLevel: "mandatory", name: topic.name });
    expect(found[0]!.message).toMatch(/\[eventgrid-topic-input-schema\] Event Grid topic ".*": inputSchema is .* Fix: set inputSchema: "CloudEventSchemaV1_0"/);
  });
});

describe("cosmos-role-assignments-serialized", () => {
  it("the real plan chains every assignment of an account", () => {
    const grants = ofType(clone(plans.prod!).resources, ASSIGNMENT);
    expect(grants.length).toBeGreaterThanOrEqual(8);
  });

  it("catches an assignment whose chain link was removed", () => {
    const { plan, resources } = clone(plans.prod!);
    const grants = ofType(resources, ASSIGNMENT);
    const victim = grants[3]!;
    const others = new Set(grants.map((g) => g.urn));
    victim.dependencies = victim.dependencies.filter((u) => !others.has(u));
    const found = violations(plan, "prod", "cosmos-role-assignments-serialized");
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((v) => v.enforcementLevel === "mandatory")).toBe(true);
    expect(found.some((v) => v.message.includes(`"${victim.name}"`))).toBe(true);
    expect(found[0]!.message).toMatch(/Fix: make ".*" depend on ".*" \(dependsOn\)/);
  });

  it("catches a hand-written assignment on the same account that waits for nothing", () => {
    const { plan, resources } = clone(plans.prod!);
    const model = ofType(resources, ASSIGNMENT)[0]!;
    const extra: Mutable = {
      ...structuredClone(model),
      urn: model.urn.replace(/::[^:]+$/, "::handwritten-grant"),
      name: "handwritten-grant",
      dependencies: [],
      propertyDependencies: {},
    };
    resources.push(extra);
    const found = violations(plan, "prod", "cosmos-role-assignments-serialized");
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((v) => v.message.includes("handwritten-grant"))).toBe(true);
  });
});

describe("cosmos-data-role-container-scope", () => {
  it.each([
    ["a database", (id: string) => id.replace(/\/colls\/[^/]+$/, "")],
    ["the account", (id: string) => id.replace(/\/dbs\/.*$/, "")],
  ])("refuses a grant on %s", (_what, widen) => {
    const { plan, resources } = clone(plans.prod!);
    const grant = ofType(resources, ASSIGNMENT).find((g) => String(g.inputs.scope).includes("/colls/"))!;
    grant.inputs.scope = widen(String(grant.inputs.scope));
    grant.outputs.scope = grant.inputs.scope;
    const found = violations(plan, "prod", "cosmos-data-role-container-scope");
    expect(found.map((v) => v.name)).toEqual([grant.name]);
    expect(found[0]!.message).toMatch(/Fix: scope it to the container\(s\)/);
  });

  it("the change-feed consumer reads only the watched container", () => {
    const grants = ofType(clone(plans.prod!).resources, ASSIGNMENT).filter((g) => g.name.startsWith("data-notifications-data-reader"));
    expect(grants.map((g) => String(g.inputs.scope).replace(/^.*\/dbs\//, "dbs/"))).toEqual(["dbs/orders-db/colls/orders"]);
  });
});

describe("storage-settings-private-endpoints", () => {
  const RULE = "storage-settings-private-endpoints";
  const app = (resources: Mutable[], name: string) => resources.find((r) => r.type === "azure-native:web:WebApp" && r.name === name)!;
  const settings = (r: Mutable) => (r.inputs.siteConfig as { appSettings: { name: string; value: string }[] }).appSettings;
  const addSetting = (r: Mutable, name: string, value: string) => {
    for (const bag of [r.inputs, r.outputs]) (bag.siteConfig as { appSettings: { name: string; value: string }[] }).appSettings.push({ name, value });
  };

  it("catches a host storage setting naming a service the closed account has no endpoint for (catalog-host had blob only)", () => {
    const { plan, resources } = clone(plans.prod!);
    const catalog = app(resources, "catalog-app");
    const blob = settings(catalog).find((s) => s.name === "AzureWebJobsStorage__blobServiceUri")!.value;
    addSetting(catalog, "AzureWebJobsStorage__queueServiceUri", blob.replace(".blob.", ".queue."));
    const found = violations(plan, "prod", RULE);
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({ enforcementLevel: "mandatory", name: "catalog-app" });
    expect(found[0]!.message).toMatch(/setting AzureWebJobsStorage__queueServiceUri: it names the queue service .* no private endpoint .*Fix: add a private endpoint with groupId "queue"/);
  });

  it("catches any other connection's service URI too (a table setting on the closed messaging account)", () => {
    const { plan, resources } = clone(plans.prod!);
    const orders = app(resources, "orders-app");
    const queue = settings(orders).find((s) => s.name === "QUEUES__queueServiceUri")!.value;
    addSetting(orders, "QUEUES__tableServiceUri", queue.replace(".queue.", ".table."));
    expect(violations(plan, "prod", RULE).map((v) => [v.name, /QUEUES__tableServiceUri/.test(v.message)])).toEqual([["orders-app", true]]);
  });

  it("catches an app that does not wait for its host storage's private DNS zone groups", () => {
    const { plan, resources } = clone(plans.prod!);
    const fulfillment = app(resources, "fulfillment-app");
    const networkTypes = new Set(["azure-native:network:PrivateDnsZoneGroup", "azure-native:network:PrivateEndpoint"]);
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    fulfillment.dependencies = fulfillment.dependencies.filter((u) => !networkTypes.has(byUrn.get(u)?.type ?? ""));
    const found = violations(plan, "prod", RULE);
    expect(found.map((v) => v.name)).toEqual(["fulfillment-app", "fulfillment-app", "fulfillment-app"]);
    expect(found.map((v) => /(blob|queue|table)ServiceUri/.exec(v.message)?.[1]).sort()).toEqual(["blob", "queue", "table"]);
    expect(found[0]!.message).toMatch(/does not wait for the private DNS zone group.*Fix: make the app dependOn/);
  });
});

describe("flex-zone-redundant-always-ready", () => {
  it("catches an app of the real prod plan set back to 1 always-ready instance", () => {
    const { plan, resources } = clone(plans.prod!);
    const orders = resources.find((r) => r.type === "azure-native:web:WebApp" && r.name === "orders-app")!;
    for (const bag of [orders.inputs, orders.outputs]) {
      (bag.functionAppConfig as { scaleAndConcurrency: { alwaysReady: { name: string; instanceCount: number }[] } }).scaleAndConcurrency.alwaysReady = [{ name: "http", instanceCount: 1 }];
    }
    const found = violations(plan, "prod", "flex-zone-redundant-always-ready");
    expect(found.map((v) => [v.name, v.enforcementLevel])).toEqual([["orders-app", "mandatory"]]);
  });

  it("every prod app is zone redundant, and every always-ready entry has at least 2", () => {
    const apps = plans.prod!.resources.filter((r) => r.type === "azure-native:web:WebApp");
    const zr = plans.prod!.resources.filter((r) => r.type === "azure-native:web:AppServicePlan").map((p) => p.inputs.zoneRedundant);
    expect(zr.every((z) => z === true)).toBe(true);
    for (const app of apps) {
      const entries = (app.inputs.functionAppConfig as { scaleAndConcurrency: { alwaysReady?: { instanceCount: number }[] } }).scaleAndConcurrency.alwaysReady ?? [];
      for (const e of entries) expect(e.instanceCount).toBeGreaterThanOrEqual(2);
    }
  });
});
