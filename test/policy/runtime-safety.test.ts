/**
 * The runtime-safety rules (policy/rules/runtime-safety.ts) on the real prod and dev plans, and on
 * variants of them that make each class of mistake again somewhere else: a hand-written resource, a
 * removed dependency, another account or app. Each variant must be a mandatory violation naming the
 * resource, the rule and the fix.
 */
import * as path from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { planStack } from "../../engine/plan";
import type { Plan, PlannedResource } from "../../engine/plan-format";
import { evaluatePolicies, type PolicyViolation } from "../../engine/policy-runner";
import { PLATFORM_TOPIC_INPUT_SCHEMA } from "../../functions-src/shared/event-schema";
import { PUBLISHER_INPUT_SCHEMA, runtimeSafetyPolicies } from "../../policy/rules/runtime-safety";

const root = path.resolve(__dirname, "../..");
const plans: Record<string, Plan> = {};

beforeAll(async () => {
  plans.dev = await planStack({ stack: "dev", projectDir: root });
  vi.resetModules();
  plans.prod = await planStack({ stack: "prod", projectDir: root });
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
