import { describe, expect, it } from "vitest";
import { evaluateProgram } from "../../engine/plan";
import type { Plan } from "../../engine/plan-format";
import { BootstrapRole, GRAPH_APPLICATION_READWRITE_OWNEDBY, assignableRolesCondition, createCiIdentity } from "../../bootstrap/ci-identity";
import { BuiltInRole } from "../../components/core/roles";

const SUB = "11111111-1111-4111-a111-111111111111";
const run = (args: Partial<Parameters<typeof createCiIdentity>[1]> = {}): Promise<Plan> =>
  evaluateProgram({
    project: "serverless-platform-bootstrap",
    stack: "ci",
    program: () => {
      createCiIdentity("ci", { repository: "contoso/platform", subscriptionId: SUB, ...args });
      return {};
    },
  });
const ofType = (p: Plan, t: string) => p.resources.filter((r) => r.type === t);
const byName = (p: Plan, n: string) => {
  const r = p.resources.find((x) => x.name === n);
  if (!r) throw new Error(`no resource ${n}`);
  return r;
};

describe("createCiIdentity", () => {
  it("federates the deployer with the dev and prod environments and the previewer with pull requests only", async () => {
    const plan = await run();
    const fics = ofType(plan, "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential");
    expect(fics.map((f) => [f.name, f.inputs.subject]).sort()).toEqual([
      ["ci-deployer-dev", "repo:contoso/platform:environment:dev"],
      ["ci-deployer-prod", "repo:contoso/platform:environment:prod"],
      ["ci-previewer-pull-request", "repo:contoso/platform:pull_request"],
    ]);
    for (const f of fics) {
      expect(f.inputs.issuer).toBe("https://token.actions.githubusercontent.com");
      expect(f.inputs.audiences).toEqual(["api://AzureADTokenExchange"]);
    }
    const deployerApp = byName(plan, "ci-deployer");
    expect(byName(plan, "ci-deployer-dev").propertyDependencies.applicationId).toEqual([deployerApp.urn]);
    expect(byName(plan, "ci-previewer-pull-request").propertyDependencies.applicationId).toEqual([byName(plan, "ci-previewer").urn]);
    // No secrets anywhere: no password or certificate credentials.
    expect(plan.resources.some((r) => /Password|Certificate/.test(r.type))).toBe(false);
  });

  it("gives the deployer Contributor, a constrained RBAC administrator and lock rights; never Owner or User Access Administrator", async () => {
    const plan = await run();
    const assignments = ofType(plan, "azure-native:authorization:RoleAssignment");
    const role = (n: string) => String(byName(plan, n).inputs.roleDefinitionId).split("/").pop();
    expect(role("ci-deployer-contributor")).toBe(BootstrapRole.contributor);
    expect(role("ci-deployer-rbac")).toBe(BootstrapRole.roleBasedAccessControlAdministrator);
    const rbac = byName(plan, "ci-deployer-rbac");
    expect(rbac.inputs.conditionVersion).toBe("2.0");
    expect(rbac.inputs.condition).toBe(assignableRolesCondition(Object.values(BuiltInRole)));
    for (const id of Object.values(BuiltInRole)) expect(String(rbac.inputs.condition)).toContain(id);
    const lock = byName(plan, "ci-lock-operator");
    expect(lock.inputs.permissions).toEqual([{ actions: ["Microsoft.Authorization/locks/read", "Microsoft.Authorization/locks/write", "Microsoft.Authorization/locks/delete"] }]);
    expect(lock.inputs.assignableScopes).toEqual([`/subscriptions/${SUB}`]);
    expect(role("ci-deployer-locks")).toBe(lock.inputs.roleDefinitionId);
    const owner = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635";
    const userAccessAdministrator = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9";
    for (const a of assignments) {
      expect(a.inputs.scope).toBe(`/subscriptions/${SUB}`);
      expect(a.inputs.principalType).toBe("ServicePrincipal");
      expect(String(a.inputs.roleAssignmentName)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect([owner, userAccessAdministrator]).not.toContain(String(a.inputs.roleDefinitionId).split("/").pop());
    }
  });

  it("gives the previewer Reader only", async () => {
    const plan = await run();
    const previewer = byName(plan, "ci-previewer");
    const sp = plan.resources.find((r) => r.type === "azuread:index/servicePrincipal:ServicePrincipal" && r.name === "ci-previewer")!;
    const mine = ofType(plan, "azure-native:authorization:RoleAssignment").filter((a) => a.inputs.principalId === sp.outputs.objectId);
    expect(mine.map((a) => String(a.inputs.roleDefinitionId).split("/").pop())).toEqual([BootstrapRole.reader]);
    expect(previewer.inputs.signInAudience).toBe("AzureADMyOrg");
  });

  it("grants Graph Application.ReadWrite.OwnedBy only when Graph's principal is given", async () => {
    expect(ofType(await run(), "azuread:index/appRoleAssignment:AppRoleAssignment")).toEqual([]);
    const plan = await run({ msGraphServicePrincipalObjectId: "22222222-2222-4222-a222-222222222222" });
    const [graph] = ofType(plan, "azuread:index/appRoleAssignment:AppRoleAssignment");
    expect(graph?.inputs).toMatchObject({ appRoleId: GRAPH_APPLICATION_READWRITE_OWNEDBY, resourceObjectId: "22222222-2222-4222-a222-222222222222" });
  });

  it("rejects a repository that is not <owner>/<name>", () => {
    expect(() => createCiIdentity("x", { repository: "platform", subscriptionId: SUB })).toThrow(/repository: expected "<owner>\/<name>"/);
    expect(() => createCiIdentity("x", { repository: "a/b", subscriptionId: SUB, environments: [] })).toThrow(/environments/);
  });
});
