import { beforeAll, describe, expect, it } from "vitest";
import { stackPlan } from "../helpers/stack-plans";
import type { Plan, PlannedResource } from "../../engine/plan-format";
import { evaluatePolicies } from "../../engine/policy-runner";
import { resourceKey } from "../../engine/preview";
import { offlineOnlyRules } from "../../engine/preview-fresh";

const stacks = ["dev", "prod"] as const;
const plans: Record<string, Plan> = {};
const fresh: Record<string, Plan> = {};

beforeAll(async () => {
  await Promise.all(
    stacks.map(async (stack) => {
      [plans[stack], fresh[stack]] = await Promise.all([stackPlan(stack), stackPlan(stack, { fresh: true })]);
    }),
  );
}, 300_000);

const one = (plan: Plan, type: string): PlannedResource => {
  const found = plan.resources.find((r) => r.type === type);
  if (!found) throw new Error(`no ${type} in the plan`);
  return found;
};

describe.each(stacks)("the fresh-stack preview of %s (dry run, as a new stack's first pulumi preview)", (stack) => {
  it("registers exactly the resources of the offline plan", () => {
    expect(fresh[stack]!.resources.map(resourceKey).sort()).toEqual(plans[stack]!.resources.map(resourceKey).sort());
  });

  // A new app's whole siteConfig is unknown in a real preview (the SDK wraps it in an apply): rules
  // that need it must say "can't run during preview", never count the unknown as a violation.
  it("raises no mandatory violation on unknown values", () => {
    const report = evaluatePolicies(fresh[stack]!, { stack });
    expect(report.violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
  });

  it("leaves the siteConfig rules to the offline plan: a real preview cannot judge them for new apps", () => {
    const rules = offlineOnlyRules(evaluatePolicies(fresh[stack]!, { stack })).map((r) => r.policy);
    expect(rules).toEqual(expect.arrayContaining(["web-min-tls", "web-remote-debug", "web-cors", "web-http2"]));
    // The offline plan judges them: none of them "can't run" there.
    expect(offlineOnlyRules(evaluatePolicies(plans[stack]!, { stack }))).toEqual([]);
  });

  it("answers like azure-native's PreviewOutputs: inputs in the output shape, everything else unknown, ids unknown", () => {
    const identity = one(fresh[stack]!, "azure-native:managedidentity:UserAssignedIdentity");
    expect(identity.id).toBeUndefined();
    expect(identity.outputs).toMatchObject({ principalId: "[unknown]", clientId: "[unknown]", location: identity.inputs.location });
    const site = one(fresh[stack]!, "azure-native:web:WebApp");
    // `name` is an input of a site, so it is known; the host name is computed by Azure.
    expect(site.outputs).toMatchObject({ name: site.inputs.name, defaultHostName: "[unknown]" });
    const account = one(fresh[stack]!, "azure-native:storage:StorageAccount");
    expect(account.outputs.primaryEndpoints).toBe("[unknown]");
    const deployment = one(fresh[stack]!, "pulumi-nodejs:dynamic/functionapp:FunctionCodeDeployment");
    // Dynamic providers echo their inputs (the site's id is itself unknown).
    expect(deployment.outputs).toEqual(deployment.inputs);
    expect(deployment.inputs.siteId).toBe("[unknown]");
  });
});
